"""celery beat starts where its folder does not exist yet: a fresh clone, a new container."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from pipeline.followups.models import FollowUp, FollowUpEvent
from salesflow.core.beat import main as beat_health
from salesflow.core.models import Notification
from tests.factories import AccountFactory
from tests.processes import process_env, start_redis


@pytest.mark.redis
def test_beat_starts_and_keeps_its_schedule_when_its_folder_is_missing(tmp_path):
    schedule = tmp_path / "fresh-clone" / "var" / "celerybeat-schedule"
    assert not schedule.parent.exists()
    command = [sys.executable, "-m", "celery", "-A", "salesflow", "beat", "--loglevel=INFO"]
    beat = subprocess.Popen(
        [*command, "--schedule", str(schedule), "--max-interval", "1"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "salesflow.settings.test"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and beat.poll() is None:
            if schedule.parent.exists() and any(schedule.parent.iterdir()):
                break
            time.sleep(0.2)
        # Ticking a few times, not gone: celery used to take the missing folder for a corrupt
        # file and exit.
        time.sleep(3)
        running = beat.poll() is None
        healthy = beat_health([str(schedule)])
    finally:
        beat.terminate()
        output = beat.communicate(timeout=20)[0]
    assert running, output
    assert healthy == 0, output
    assert any(path.name.startswith("celerybeat-schedule") for path in schedule.parent.iterdir())
    assert "corrupted" not in output, output


def test_beat_health_check_fails_without_a_schedule_or_with_a_stale_one(tmp_path, capsys):
    schedule = tmp_path / "celerybeat-schedule"
    assert beat_health([str(schedule)]) == 1
    assert "no schedule" in capsys.readouterr().out
    schedule.write_bytes(b"")
    assert beat_health([str(schedule), "--max-age", "120"]) == 0
    three_minutes_ago = time.time() - 180
    os.utime(schedule, (three_minutes_ago, three_minutes_ago))
    assert beat_health([str(schedule), "--max-age", "120"]) == 1
    assert "180 s ago" in capsys.readouterr().out


def _fresh_clone(destination: Path) -> Path:
    """The project's files as a new clone has them: what git tracks, no var/, nothing built."""
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=settings.BASE_DIR, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, tracked.split("\0")):
        source = Path(settings.BASE_DIR) / name
        if source.is_file():  # a file deleted but not yet committed is not in a clone
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_fresh_clone_runs_its_first_sweep_as_soon_as_beat_and_a_worker_start(settings, tmp_path):
    clone = _fresh_clone(tmp_path / "salesflow")
    assert not (clone / "var").exists()
    account = AccountFactory()
    follow_up = FollowUp.objects.create(
        account=account,
        owner=account.owner,
        purpose="Ask how the pilot went",
        surface_at=timezone.now() - timedelta(minutes=5),
    )
    redis, port = start_redis(tmp_path)
    env = process_env(settings, REDIS_URL=f"redis://127.0.0.1:{port}/0", EMAIL_URL="dummy://")
    env.pop("SALESFLOW_VAR_DIR", None)  # the default: var/ inside the clone, not there yet
    celery = [sys.executable, "-m", "celery", "-A", "salesflow"]
    processes = [
        subprocess.Popen(
            [*celery, *arguments, "--loglevel=INFO"],
            cwd=clone,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for arguments in (["worker", "--concurrency", "1", "--without-gossip"], ["beat"])
    ]
    try:
        # Beat sends an interval job that never ran at once: well inside the minute a new
        # container would otherwise wait for the first sweep.
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline and all(p.poll() is None for p in processes):
            follow_up.refresh_from_db()
            if follow_up.status == FollowUp.Status.SURFACED:
                break
            time.sleep(0.5)
        running = [p.poll() is None for p in processes]
    finally:
        for process in processes:
            process.terminate()
        outputs = [process.communicate(timeout=30)[0] for process in processes]
        redis.terminate()
        redis.wait(timeout=10)
    assert running == [True, True], outputs
    assert follow_up.status == FollowUp.Status.SURFACED, outputs
    assert beat_health([str(clone / "var" / "celerybeat-schedule")]) == 0
    surfaced = FollowUpEvent.objects.filter(
        follow_up=follow_up, action=FollowUpEvent.Action.SURFACED
    )
    assert surfaced.count() == 1
    assert Notification.objects.filter(user=account.owner).count() == 1
