from __future__ import annotations

import pytest
from django.db import DatabaseError
from django.urls import reverse

from salesflow.core import services

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


def test_healthz_is_200_when_database_and_broker_answer(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == {"ok": True, "detail": "postgresql"}
    assert body["broker"]["ok"] is True
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_is_503_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["broker"]["ok"] is False
    assert body["database"]["ok"] is True


def test_healthz_is_503_when_the_database_is_unreachable(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr("salesflow.core.health.connection.cursor", broken_cursor)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["database"]["ok"] is False
    assert "worker" not in response.json()


def test_healthz_reports_the_worker_heartbeat_without_failing_on_it(client):
    assert client.get(reverse("healthz")).json()["worker"]["status"] == "unknown"
    services.worker_heartbeat_record(worker="celery@test")
    worker = client.get(reverse("healthz")).json()["worker"]
    assert worker["status"] == "ok"
    assert worker["age_seconds"] == 0


def test_healthz_answers_head_for_probes(client):
    assert client.head(reverse("healthz")).status_code == 200


def test_favicon_redirects_to_the_static_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")
