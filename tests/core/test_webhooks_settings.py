"""The webhooks' settings: read strictly from the environment, safe by default in
production (https only, public addresses only)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from salesflow import env
from tests.core.test_settings import GOOD_SECRET, run_manage

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "salesflow.settings.production",
    "SECRET_KEY": GOOD_SECRET,
    "ALLOWED_HOSTS": "crm.example.test",
    "DATABASE_URL": "postgres://salesflow@127.0.0.1/salesflow",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}
SHOW = (
    "from django.conf import settings as s; print(s.SALESFLOW_WEBHOOKS_ALLOW_HTTP, "
    "s.SALESFLOW_WEBHOOKS_ALLOW_PRIVATE, s.SALESFLOW_WEBHOOKS_RETRY_SCHEDULE)"
)


@pytest.mark.parametrize("value", ["5,x", "5,,300", "0,5", "five"])
def test_a_malformed_retry_schedule_stops_the_process(value):
    with pytest.raises(ImproperlyConfigured, match="SCHEDULE"):
        env.env_int_list("SCHEDULE", [5], minimum=1, environ={"SCHEDULE": value})


def test_a_retry_schedule_parses():
    assert env.env_int_list("S", [5], minimum=1, environ={"S": " 1, 2 ,30"}) == [1, 2, 30]
    assert env.env_int_list("S", [5, 300], minimum=1, environ={}) == [5, 300]


def test_production_sends_to_https_and_public_addresses_only(tmp_path):
    result = run_manage(
        "shell", "-c", SHOW, extra_env={**PRODUCTION, "SALESFLOW_VAR_DIR": str(tmp_path)}
    )
    assert result.returncode == 0, result.stderr
    shown = "False False [5, 300, 1800, 7200, 18000, 36000, 36000]"
    assert shown in result.stdout.splitlines()


def test_a_malformed_webhook_setting_stops_production_at_boot(tmp_path):
    result = run_manage(
        "shell",
        "-c",
        SHOW,
        extra_env={
            **PRODUCTION,
            "SALESFLOW_VAR_DIR": str(tmp_path),
            "SALESFLOW_WEBHOOKS_ALLOW_PRIVATE": "perhaps",
        },
    )
    assert result.returncode != 0
    assert "SALESFLOW_WEBHOOKS_ALLOW_PRIVATE='perhaps' is not a boolean" in result.stderr
