"""Sales ops' audit page: every change in a period, filtered by person, kind of record and
door; its CSV streamed with a header row; only for sales ops and admins."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from prospects.models import Account
from salesflow.core.audit.context import audit_context
from salesflow.core.models import Team
from tests.factories import AccountFactory, TeamFactory, UserFactory
from tests.hostile import OK, fuzz, hostile

pytestmark = pytest.mark.django_db

LOG = reverse("audit:log")
EXPORT = reverse("audit:export")


@pytest.fixture
def admin_user(db):
    return UserFactory(role="admin", first_name="Ada", last_name="Admin")


@pytest.fixture
def changes(rep, manager):
    """An account renamed on its page by the rep, a team renamed by a command."""
    account = AccountFactory(owner=rep, name="Northwind")
    team = TeamFactory(name="North")
    with audit_context(door="page", detail=f"/accounts/{account.pk}/edit/", user=rep.pk):
        Account.objects.filter(pk=account.pk).update(name="Northwind Clinics")
    with audit_context(door="command", detail="tidy_teams", user=None):
        Team.objects.filter(pk=team.pk).update(name="North East")
    return account, team


def _csv(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_sales_ops_and_admins_see_the_page_others_find_nothing(
    client, rep, manager, sales_ops, admin_user
):
    for user, status in ((rep, 404), (manager, 404), (sales_ops, 200), (admin_user, 200)):
        client.force_login(user)
        assert client.get(LOG).status_code == status, user
        assert client.get(EXPORT).status_code == status, user


def test_signed_out_is_sent_to_sign_in(client):
    for url in (LOG, EXPORT):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_configure_menu_offers_the_page_to_sales_ops_only(client, rep, sales_ops):
    client.force_login(sales_ops)
    assert f'href="{LOG}"' in client.get(reverse("home")).content.decode()
    client.force_login(rep)
    assert f'href="{LOG}"' not in client.get(reverse("home")).content.decode()


def test_the_page_lists_the_period_s_changes_newest_first(client, sales_ops, rep, changes):
    client.force_login(sales_ops)
    response = client.get(LOG)
    assert response.status_code == 200
    lines = [
        (c.model, c.actor_name, [(f.old, f.new) for f in c.fields])
        for c in response.context["changes"]
        if c.action == "changed"
    ]
    assert lines[:2] == [
        ("core.team", "salesflow", [("North", "North East")]),
        ("prospects.account", rep.display_name, [("Northwind", "Northwind Clinics")]),
    ]
    text = " ".join(response.content.decode().split())
    assert "from the account page" in text
    assert "by the command “tidy_teams”" in text


def test_the_filters_narrow_by_person_kind_of_record_and_door(client, sales_ops, rep, changes):
    client.force_login(sales_ops)

    def keys(**params):
        response = client.get(LOG, params)
        assert response.status_code == 200
        return {(c.model, c.action, c.door) for c in response.context["changes"]}

    assert keys(user=rep.pk) == {("prospects.account", "changed", "page")}
    teams = keys(model="core.team")
    assert {model for model, _, _ in teams} == {"core.team"}
    assert ("core.team", "changed", "command") in teams
    assert keys(door="command") == {("core.team", "changed", "command")}
    # A period before anything happened finds nothing.
    long_ago = (timezone.localdate() - timedelta(days=400)).isoformat()
    assert keys(since=long_ago, until=long_ago) == set()


def test_a_bad_filter_shows_the_form_s_errors_not_a_500(client, sales_ops):
    client.force_login(sales_ops)
    response = client.get(LOG, {"since": "2026-12-07", "until": "2026-12-01", "door": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"until", "door"}
    assert client.get(EXPORT, {"user": "99999999999999999999999"}).status_code == 400


def test_the_csv_streams_a_header_row_and_one_row_per_field_changed(
    client, sales_ops, rep, changes
):
    account, _ = changes
    client.force_login(sales_ops)
    response = client.get(EXPORT, {"model": "prospects.account", "door": "page"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="audit.csv"'
    rows = _csv(response)
    assert rows[0] == [
        "When",
        "Who",
        "Action",
        "Record type",
        "Record",
        "Record id",
        "Field",
        "Before",
        "After",
        "Door",
        "Door detail",
    ]
    [row] = rows[1:]
    assert row[1:] == [
        rep.display_name,
        "changed",
        "Account",
        "Northwind Clinics",
        str(account.pk),
        "Name",
        "Northwind",
        "Northwind Clinics",
        "from the account page",
        f"/accounts/{account.pk}/edit/",
    ]
    # In the viewer's zone, to the second.
    assert len(row[0]) == len("2026-12-07 14:02:11")


def test_the_csv_and_the_page_give_times_in_the_viewer_s_zone(client, sales_ops, rep, changes):
    sales_ops.time_zone = "Asia/Tokyo"
    sales_ops.save(update_fields=["time_zone"])
    client.force_login(sales_ops)
    page = client.get(LOG, {"user": rep.pk})
    [change] = page.context["changes"]
    tokyo = timezone.localtime(change.at, ZoneInfo("Asia/Tokyo"))
    assert f"{tokyo:%-d %b %Y, %H:%M}" in page.content.decode()
    rows = _csv(client.get(EXPORT, {"user": rep.pk}))
    assert rows[1][0] == f"{tokyo:%Y-%m-%d %H:%M:%S}"


def test_the_csv_keeps_a_formula_as_text(client, sales_ops, rep):
    account = AccountFactory(owner=rep, name="Plain")
    with audit_context(door="page", detail="/accounts/", user=rep.pk):
        Account.objects.filter(pk=account.pk).update(name="=HYPERLINK(1)")
    client.force_login(sales_ops)
    rows = _csv(client.get(EXPORT, {"user": rep.pk}))
    assert rows[1][4] == "'=HYPERLINK(1)"
    assert rows[1][8] == "'=HYPERLINK(1)"


def test_the_page_shows_a_page_of_changes_and_links_the_older_ones(client, sales_ops, rep):
    account = AccountFactory(owner=rep, name="A0")
    with audit_context(door="page", detail="/accounts/", user=rep.pk):
        for n in range(1, 106):
            Account.objects.filter(pk=account.pk).update(name=f"A{n}")
    client.force_login(sales_ops)
    first = client.get(LOG, {"user": rep.pk})
    assert len(first.context["changes"]) == 100
    assert first.context["has_older"]
    second = client.get(LOG, {"user": rep.pk, "page": 2})
    assert len(second.context["changes"]) == 5
    assert not second.context["has_older"]
    assert second.context["changes"][-1].fields[0].new == "A1"


FILTER_KEYS = ["since", "until", "user", "model", "door", "page", "other"]


@fuzz
@given(params=st.dictionaries(st.sampled_from(FILTER_KEYS), hostile, max_size=5))
def test_hostile_filters_never_500(client, sales_ops, params):
    client.force_login(sales_ops)
    for url in (LOG, EXPORT):
        response = client.get(url, params)
        assert response.status_code in OK, (url, params)
        if isinstance(response, StreamingHttpResponse):
            b"".join(response.streaming_content)
