"""What the triggers record and what they never do: commands' door, excluded secrets, the
retention prune."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from pipeline.reviews.models import Item
from pipeline.soe.models import CalendarFeed
from pipeline.soe.services import calendar_feed_renew
from salesflow.core.apitokens.models import ApiToken
from salesflow.core.apitokens.services import apitoken_create
from salesflow.core.audit import services
from salesflow.core.audit.context import audit_context
from salesflow.core.audit.selectors import object_history
from salesflow.core.audit.tracking import EVENT_MODELS
from salesflow.core.models import Team, User
from salesflow.core.tasks import prune_audit_history
from salesflow.env import database_url
from tests.factories import TeamFactory, UserFactory


@pytest.mark.django_db(transaction=True)
def test_a_command_run_through_manage_py_is_the_door():
    team = TeamFactory(name="Before")
    # The test database, whatever server holds it (the embedded one's host is a socket).
    env = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict)}
    code = (
        "from salesflow.core.models import Team; "
        f"Team.objects.filter(pk={team.pk}).update(name='After')"
    )

    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=django_settings.BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )

    [change, _created] = object_history(team)[0]
    assert (change.door, change.door_detail, change.door_label) == (
        "command",
        "shell",
        "by the command “shell”",
    )
    assert (change.actor, change.actor_name) == (None, "salesflow")
    assert [(f.old, f.new) for f in change.fields] == [("Before", "After")]


def _event_tables() -> list[str]:
    return [model._meta.db_table for model in EVENT_MODELS.values()]


@pytest.mark.django_db
def test_secrets_and_anonymous_rows_never_reach_an_event_table(client):
    user = UserFactory(role="rep", team=TeamFactory())
    user.set_password("correct horse battery staple")
    user.last_login = timezone.now()
    user.save()
    user.first_name = "Renamed"
    user.save()
    token, _ = apitoken_create(actor=user, name="Zapier")
    feed, _ = calendar_feed_renew(user=user)
    password_hash = User.objects.get(pk=user.pk).password

    tracked = set(EVENT_MODELS)
    assert not {ApiToken, CalendarFeed, Item} & tracked
    with connection.cursor() as cursor:
        for table in _event_tables():
            columns = {
                column.name
                for column in connection.introspection.get_table_description(cursor, table)
            }
            assert not {"password", "last_login", "token_hash", "key_hash"} & columns, table
            for secret in (password_hash, token.key_hash, feed.token_hash):
                cursor.execute(
                    f'SELECT count(*) FROM "{table}" t WHERE t::text LIKE %s', [f"%{secret}%"]
                )
                assert cursor.fetchone()[0] == 0, table
    [change, *_] = object_history(user)[0]
    assert [f.name for f in change.fields] == ["first_name"]


@pytest.mark.django_db
def test_prune_deletes_only_older_events(settings):
    old, recent = TeamFactory(name="Old"), TeamFactory(name="Recent")
    event_model = EVENT_MODELS[Team]
    event_model.objects.filter(pgh_obj_id=old.pk).update(
        pgh_created_at=timezone.now() - timedelta(days=400)
    )

    settings.SALESFLOW_AUDIT_KEEP_DAYS = None
    assert prune_audit_history() == 0  # the default: kept forever
    assert event_model.objects.filter(pgh_obj_id=old.pk).exists()

    settings.SALESFLOW_AUDIT_KEEP_DAYS = 365
    assert prune_audit_history() == 1
    assert not event_model.objects.filter(pgh_obj_id=old.pk).exists()
    assert event_model.objects.filter(pgh_obj_id=recent.pk).count() == 1
    assert services.audit_prune(older_than=timezone.now() + timedelta(seconds=5)) >= 1
    assert not event_model.objects.filter(pgh_obj_id=recent.pk).exists()


@pytest.mark.django_db
def test_nested_contexts_give_back_the_outer_door():
    team = TeamFactory(name="A")
    with audit_context(door="page", detail="/configure/", user=None):
        with audit_context(door="import", detail="12"):
            Team.objects.filter(pk=team.pk).update(name="B")
        Team.objects.filter(pk=team.pk).update(name="C")
    Team.objects.filter(pk=team.pk).update(name="D")

    doors = [(c.door, c.door_detail) for c in object_history(team)[0] if c.action == "changed"]
    assert doors == [("system", ""), ("page", "/configure/"), ("import", "12")]


def test_the_monthly_prune_is_scheduled_only_when_a_retention_is_set():
    from salesflow.settings import base

    assert ("prune-audit-history" in base.CELERY_BEAT_SCHEDULE) == bool(
        base.SALESFLOW_AUDIT_KEEP_DAYS
    )


def test_a_calendar_feeds_token_never_becomes_a_doors_detail(rf):
    from salesflow.core.audit.context import AuditMiddleware

    request = rf.post("/calendar/feed/s3cr3t-token-value.ics")
    detail = AuditMiddleware(lambda request: None).get_context(request)["detail"]
    assert detail == "/calendar/feed/…"


@pytest.mark.django_db
def test_connections_tell_the_triggers_nothing_is_ignored():
    """Every audit trigger first asks pgtrigger whether to skip itself by reading
    pgtrigger.ignore; unset, that read raises and is caught in a subtransaction per row (a
    10,000-row import ran 50 % slower). The connection sets it to none from the start."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('pgtrigger.ignore', true)")
        assert cursor.fetchone() == ("{}",)
    team = TeamFactory(name="Before")
    team.name = "After"
    team.save()  # and the triggers still record
    (change, _) = object_history(team)[0]
    assert [(f.name, f.old, f.new) for f in change.fields] == [("name", "Before", "After")]
