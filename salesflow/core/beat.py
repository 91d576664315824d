"""celery beat's scheduler for salesflow."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from celery.beat import PersistentScheduler
from celery.schedules import schedule as every


class Scheduler(PersistentScheduler):
    """celery's own file-backed schedule, with the file's folder made first, and the periodic
    jobs that have never run sent as soon as beat starts.

    On a fresh clone or in a new container `var/` does not exist yet; celery opens its schedule
    file without making the folder, takes the error for a corrupt file, and beat exits —
    nothing would ever surface.
    """

    def setup_schedule(self) -> None:
        Path(self.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()
        # celery dates a new entry's last run "now", so a new container would wait a whole
        # interval before its first sweep. An interval job that never ran is due at once
        # instead; one that ran keeps its stored time, and celery catches it up if overdue.
        # Jobs at a time of day (crontab) keep their time.
        for entry in self.schedule.values():
            if entry.total_run_count == 0 and type(entry.schedule) is every:
                entry.last_run_at = entry.last_run_at - entry.schedule.run_every
        self.sync()


def schedule_age(schedule_filename: str | Path) -> float | None:
    """Seconds since beat last wrote its schedule file (None when there is none): the file
    dbm keeps may carry a suffix."""
    path = Path(schedule_filename)
    times = [
        candidate.stat().st_mtime
        for suffix in PersistentScheduler.known_suffixes
        if (candidate := path.with_name(path.name + suffix)).is_file()
    ]
    return time.time() - max(times) if times else None


def main(argv: list[str] | None = None) -> int:
    """The container's health check: beat writes its schedule after every job it sends
    (CELERY_BEAT_SYNC_EVERY), and the worker heartbeat is sent every minute, so a schedule
    older than `--max-age` means beat is stuck or gone."""
    parser = argparse.ArgumentParser(prog="python -m salesflow.core.beat")
    parser.add_argument("schedule", help="beat's schedule file (its --schedule)")
    parser.add_argument("--max-age", type=float, default=120.0, help="seconds")
    options = parser.parse_args(argv)
    age = schedule_age(options.schedule)
    if age is None:
        print(f"beat has written no schedule at {options.schedule}")
        return 1
    if age > options.max_age:
        print(f"beat last wrote its schedule {age:.0f} s ago")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
