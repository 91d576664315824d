"""Settings read the environment strictly, and the embedded default runs with no servers."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from salesflow import env

ROOT = Path(settings.BASE_DIR)
GOOD_SECRET = "k3y-" + "x7Q9pL2mZ4vB8nR1" * 4


def run_manage(*args: str, extra_env: dict[str, str], timeout: int = 120):
    """Run manage.py in a clean process: only the variables given, plus PATH and HOME."""
    clean = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **extra_env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize(
    ("reader", "value"),
    [
        (lambda e: env.env_bool("DEBUG", False, environ=e), "maybe"),
        (lambda e: env.env_int("DEBUG", 1, environ=e), "twelve"),
        (lambda e: env.env_int("DEBUG", 1, minimum=1, environ=e), "0"),
        (lambda e: env.env_int("DEBUG", 1, maximum=23, environ=e), "24"),
        (lambda e: env.env_list("DEBUG", [], environ=e), "a,,b"),
        (lambda e: env.env_time_zone("DEBUG", "UTC", environ=e), "Mars/Olympus_Mons"),
        (lambda e: env.env_database("DEBUG", environ=e), "mysql://db/x"),
        (lambda e: env.env_database("DEBUG", environ=e), "postgres://host"),
        (lambda e: env.env_redis_url("DEBUG", environ=e), "http://cache:6379"),
        (lambda e: env.env_redis_url("DEBUG", environ=e), "redis://cache:port/0"),
        (lambda e: env.env_redis_url("DEBUG", environ=e), "redis://cache:6379/zero"),
        (lambda e: env.env_email("DEBUG", "console://", environ=e), "carrier-pigeon://coop"),
        (lambda e: env.env_email("DEBUG", "console://", environ=e), "smtp://:587"),
        (lambda e: env.env_email("DEBUG", "console://", environ=e), "smtp://mail?tls=perhaps"),
        (lambda e: env.env_choice("DEBUG", "INFO", ["INFO"], environ=e), "LOUD"),
    ],
)
def test_malformed_value_raises_improperly_configured(reader, value):
    with pytest.raises(ImproperlyConfigured, match=r"DEBUG|tls"):
        reader({"DEBUG": value})


def test_well_formed_values_parse():
    environ = {
        "B": "Yes",
        "I": " 42 ",
        "L": "a.example, b.example",
        "Z": "America/New_York",
        "D": "postgres://u:p@db:5433/sales",
        "R": "redis://cache:6380/2",
        "E": "smtp://me%40x.test:s3cret@mail.x.test:587?tls=true",
    }
    assert env.env_bool("B", False, environ=environ) is True
    assert env.env_int("I", 0, environ=environ) == 42
    assert env.env_list("L", [], environ=environ) == ["a.example", "b.example"]
    assert env.env_time_zone("Z", "UTC", environ=environ) == "America/New_York"
    database = env.env_database("D", environ=environ)
    assert (database["HOST"], database["PORT"], database["NAME"]) == ("db", 5433, "sales")
    assert env.env_redis_url("R", environ=environ) == "redis://cache:6380/2"
    email = env.env_email("E", "console://", environ=environ)
    assert email["EMAIL_HOST_USER"] == "me@x.test"
    assert (email["EMAIL_PORT"], email["EMAIL_USE_TLS"]) == (587, True)


def test_defaults_apply_when_unset():
    assert env.env_bool("NOPE", True, environ={}) is True
    assert env.env_redis_url("NOPE", environ={}) is None
    assert env.env_email("NOPE", "console://", environ={})["EMAIL_BACKEND"].endswith(
        "console.EmailBackend"
    )


def test_bad_environment_stops_the_process_at_boot(tmp_path):
    result = run_manage(
        "check",
        extra_env={
            "DJANGO_SETTINGS_MODULE": "salesflow.settings.base",
            "SALESFLOW_VAR_DIR": str(tmp_path),
            "DEBUG": "sometimes",
        },
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DEBUG='sometimes' is not a boolean" in result.stderr


def test_production_refuses_to_start_without_a_real_secret_key(tmp_path):
    result = run_manage(
        "check",
        extra_env={
            "DJANGO_SETTINGS_MODULE": "salesflow.settings.production",
            "SALESFLOW_VAR_DIR": str(tmp_path),
            "SECRET_KEY": "short",
            "ALLOWED_HOSTS": "crm.example.test",
            "DATABASE_URL": "postgres://salesflow@127.0.0.1/salesflow",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
        },
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be a long random value" in result.stderr


def test_production_settings_pass_check_deploy_without_warnings(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        extra_env={
            "DJANGO_SETTINGS_MODULE": "salesflow.settings.production",
            "SALESFLOW_VAR_DIR": str(tmp_path),
            "SECRET_KEY": GOOD_SECRET,
            "ALLOWED_HOSTS": "crm.example.test",
            "DATABASE_URL": "postgres://salesflow@127.0.0.1/salesflow",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


EMBEDDED_JOB = textwrap.dedent(
    """
    import celery.contrib.testing.tasks
    from celery.contrib.testing.worker import start_worker
    from django.conf import settings
    from salesflow.celery import app
    from salesflow.core.health import check_broker
    from salesflow.core.models import WorkerHeartbeat
    from salesflow.core.tasks import record_worker_heartbeat
    import time

    assert settings.DATABASES["default"]["ENGINE"] == "salesflow.core.embedded_db"
    assert app.conf.broker_url.startswith("filesystem://")
    assert check_broker(app.conf.broker_url, app.conf.broker_transport_options).ok
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        record_worker_heartbeat.delay()
        deadline = time.monotonic() + 30
        while not WorkerHeartbeat.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    print("heartbeats:", WorkerHeartbeat.objects.count())
    """
)


def test_embedded_default_boots_and_runs_background_jobs_without_servers(embedded_var_dir):
    """Nothing set: the embedded PostgreSQL and the file-system broker under var/, and a
    worker that runs a job."""
    embedded = {
        "DJANGO_SETTINGS_MODULE": "salesflow.settings.base",
        "SALESFLOW_VAR_DIR": str(embedded_var_dir),
    }
    migrate = run_manage("migrate", "--noinput", extra_env=embedded, timeout=300)
    assert migrate.returncode == 0, migrate.stderr
    assert (embedded_var_dir / "postgres" / "data" / "PG_VERSION").exists()

    job = run_manage("shell", "-c", EMBEDDED_JOB, extra_env=embedded)
    assert job.returncode == 0, job.stderr
    assert "heartbeats: 1" in job.stdout


@pytest.mark.parametrize(
    "entry",
    [
        {"USER": "sales", "PASSWORD": "p@ss/w:rd", "HOST": "db", "PORT": 5433, "NAME": "crm"},
        {
            "USER": "postgres",
            "PASSWORD": "",
            "HOST": "/srv/sales flow/var/postgres",
            "PORT": "5432",
            "NAME": "test_salesflow",
        },
    ],
)
def test_a_database_entry_round_trips_through_its_url(entry):
    """A child process given database_url() connects where this one does, a socket folder
    (the embedded server) included."""
    parsed = env.env_database("D", environ={"D": env.database_url(entry)})
    assert {key: parsed[key] for key in entry} == {**entry, "PORT": int(entry["PORT"])}


# --- Tests in parallel (pytest-xdist): a Redis database per pytest process ---------------


def test_each_xdist_worker_gets_the_next_redis_database_and_a_queue_of_its_own():
    from salesflow.settings import test as test_settings

    url = "redis://127.0.0.1:6379/6"
    assert test_settings._per_worker(url, None) == url  # one process: the URL as given
    assert test_settings._per_worker(url, 0) == url
    assert test_settings._per_worker(url, 1) == "redis://127.0.0.1:6379/7"
    assert test_settings._per_worker("redis://:pw@cache:6380", 2) == "redis://:pw@cache:6380/2"
    assert test_settings._per_worker(None, 1) is None  # no Redis: nothing to move
    with pytest.raises(ImproperlyConfigured, match="database 16"):
        test_settings._per_worker("redis://127.0.0.1:6379/15", 1)


def test_this_process_uses_its_workers_redis_database_and_queue():
    """Whatever this run is, the settings in use follow from it: under xdist the worker's
    number moves the database and names the queue; in one process nothing moves."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    if settings.REDIS_URL is None:
        assert not settings.TEST_SERVICES["redis"]
    elif worker is None:
        assert queue == "salesflow-tests"
    else:
        number = int(worker.removeprefix("gw"))
        given = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/1"
        expected_db = int(given.rsplit("/", 1)[1] or 0) + number
        assert settings.REDIS_URL.rsplit("/", 1)[1] == str(expected_db)
        assert settings.CELERY_BROKER_URL == settings.REDIS_URL
        assert queue == f"salesflow-tests-{worker}"
