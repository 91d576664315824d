"""celery beat starts where its folder does not exist yet: a fresh clone, a new container."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings


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
    finally:
        beat.terminate()
        output = beat.communicate(timeout=20)[0]
    assert running, output
    assert any(path.name.startswith("celerybeat-schedule") for path in schedule.parent.iterdir())
    assert "corrupted" not in output, output
