"""The notifications page: each user sees only their own, and reading them marks all read."""

from __future__ import annotations

import pytest
from django.urls import reverse

from salesflow.core.models import Notification

pytestmark = pytest.mark.django_db


def as_user(client, user):
    client.force_login(user)
    return client


def test_notifications_page_marks_all_read(client, rep):
    Notification.objects.create(user=rep, kind="stuck_deal", title="Deal X is stuck")
    client.force_login(rep)
    html = client.get(reverse("home")).content.decode()
    assert '1<span class="visually-hidden"> unread</span>' in html
    assert client.post(reverse("notifications")).status_code == 302
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_notifications_are_private(client, rep, teammate):
    from salesflow.core.models import Notification

    Notification.objects.create(user=rep, kind="stuck_deal", title="Rita's stuck deal")
    html = as_user(client, teammate).get(reverse("notifications")).content.decode()
    assert "Rita&#x27;s stuck deal" not in html
    html = as_user(client, rep).get(reverse("notifications")).content.decode()
    assert "Rita&#x27;s stuck deal" in html
