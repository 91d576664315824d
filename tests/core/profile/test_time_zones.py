"""The user's time zone where no page of theirs asked: a script's request with their API
token speaks in their zone (as their pages do), and nothing of it stays behind for the
next request."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from salesflow.core.apitokens import services as token_services
from salesflow.core.apitokens.models import ApiToken
from salesflow.core.models import Notification

pytestmark = pytest.mark.django_db


def test_an_expired_tokens_day_is_the_owners_day(client, rep, settings):
    settings.TIME_ZONE = "Europe/London"
    rep.time_zone = "Pacific/Kiritimati"  # UTC+14: already the next day
    rep.save()
    token, secret = token_services.apitoken_create(actor=rep, name="Nightly", expires_at=None)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=datetime(2026, 3, 10, 12, tzinfo=UTC))
    response = client.get(
        reverse("notifications_api:notifications"), HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert response.status_code == 401
    assert "This token expired on 11 March 2026." in response.content.decode()


def test_a_token_request_gives_times_in_the_owners_zone_and_leaves_none_behind(rep, settings):
    settings.TIME_ZONE = "Europe/London"
    rep.time_zone = "Asia/Kolkata"
    rep.save()
    Notification.objects.create(user=rep, kind=Notification.Kind.FOLLOW_UP, title="Call back")
    Notification.objects.filter(user=rep).update(created_at=datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    _, secret = token_services.apitoken_create(actor=rep, name="Script", expires_at=None)
    response = Client().get(
        reverse("notifications_api:notifications"), HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["created_at"] == "2026-12-01T13:30:00+05:30"
    # The middleware ends the zone with the request: the thread's next user starts clean.
    assert timezone.get_current_timezone_name() == "Europe/London"
