"""celery beat's scheduler for salesflow."""

from __future__ import annotations

from pathlib import Path

from celery.beat import PersistentScheduler


class Scheduler(PersistentScheduler):
    """celery's own file-backed schedule, with the file's folder made first.

    On a fresh clone or in a new container `var/` does not exist yet; celery opens its schedule
    file without making the folder, takes the error for a corrupt file, and beat exits —
    nothing would ever surface.
    """

    def setup_schedule(self) -> None:
        Path(self.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()
