"""The dashboard's figures are kept for a few minutes once worked out, shared by everyone who
sees the same deals with the same filters, and worked out again on request."""

from __future__ import annotations

import csv
import io
import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.core.cache.backends import locmem
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from pipeline.dashboard import snapshot
from pipeline.dashboard.scope import DashboardFilters, Scope
from tests.factories import TeamFactory, UserFactory
from tests.hostile import fuzz, ids

pytestmark = pytest.mark.django_db


def open_deals(client, **filters) -> int:
    """How many open deals the page's "by stage" table counts (read from its CSV)."""
    response = client.get(reverse("pipeline:dashboard_csv", args=["stages"]), filters)
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    return sum(int(row["count"]) for row in rows)


def age(scope: Scope, minutes: int) -> None:
    """Make the figures kept for `scope` look `minutes` older."""
    key = scope.cache_key
    kept = cache.get(key)
    cache.set(key, snapshot.Snapshot(kept.taken_at - timedelta(minutes=minutes), kept.figures))


def test_the_page_shows_the_kept_figures_until_they_are_worked_out_again(
    client, manager, rep, open_deal
):
    open_deal(rep)
    client.force_login(manager)
    page = client.get(reverse("pipeline:dashboard")).content.decode()
    assert "Figures as of" in page
    assert "kept for 10 minutes" in page
    assert "each team's are worked out again" in page
    assert open_deals(client) == 1

    open_deal(rep)
    assert open_deals(client) == 1  # the kept figures, page and CSV alike

    # Asked again within a minute: the same figures, and the page says why.
    response = client.post(reverse("pipeline:dashboard_refresh"), follow=True)
    assert "worked out less than a minute ago" in response.content.decode()
    assert open_deals(client) == 1

    age(Scope(user=manager), minutes=2)
    response = client.post(reverse("pipeline:dashboard_refresh"))
    assert response.status_code == 302
    assert response["Location"] == reverse("pipeline:dashboard")
    assert open_deals(client) == 2


def test_kept_figures_expire_by_themselves(client, manager, rep, open_deal, settings, monkeypatch):
    settings.SALESFLOW_DASHBOARD_KEEP_MINUTES = 1
    open_deal(rep)
    client.force_login(manager)
    assert open_deals(client) == 1
    open_deal(rep)
    assert open_deals(client) == 1
    # A minute later, as the cache's clock sees it: the figures are gone and worked out anew.
    later = time.time() + 61
    with monkeypatch.context() as patch:
        patch.setattr(locmem.time, "time", lambda: later)
        assert open_deals(client) == 2


def test_refresh_keeps_the_filters(client, manager, rep, teammate, open_deal):
    open_deal(rep)
    open_deal(teammate)
    client.force_login(manager)
    assert open_deals(client, owner=rep.pk) == 1
    open_deal(rep)
    age(
        Scope(user=manager, filters=DashboardFilters(owner=rep.pk)),
        minutes=2,
    )
    query = urlencode({"owner": rep.pk})
    response = client.post(f"{reverse('pipeline:dashboard_refresh')}?{query}")
    assert response["Location"] == f"{reverse('pipeline:dashboard')}?{query}"
    assert open_deals(client, owner=rep.pk) == 2
    assert open_deals(client) == 3  # the whole team's view was never kept: worked out now


def test_only_people_who_see_the_same_deals_share_kept_figures(
    client, manager, rep, teammate, outsider, open_deal
):
    admin = UserFactory(role="admin", is_staff=True, is_superuser=True)
    sales_ops = UserFactory(role="sales_ops")
    other_manager = UserFactory(role="manager", team=TeamFactory())

    def key(user, **filters):
        filters = DashboardFilters(**filters)
        return Scope(user=user, filters=filters).cache_key

    assert key(admin) == key(sales_ops)  # both see every deal
    assert len({key(admin), key(manager), key(other_manager), key(rep), key(teammate)}) == 5
    assert key(manager) != key(manager, owner=rep.pk)

    open_deal(rep)
    open_deal(outsider)
    client.force_login(admin)
    assert open_deals(client) == 2
    # The outsider's own figures are not the company's kept ones, nor the rep's team's.
    client.force_login(manager)
    assert open_deals(client) == 1
    client.force_login(outsider)
    assert open_deals(client) == 1
    client.force_login(sales_ops)
    assert open_deals(client) == 2


def test_a_kept_page_reads_no_figures(client, manager, rep, open_deal, django_assert_num_queries):
    open_deal(rep)
    client.force_login(manager)
    client.get(reverse("pipeline:dashboard"))
    # Session and user, the unread count and the five filters' choices: no figure.
    with django_assert_num_queries(8):
        assert client.get(reverse("pipeline:dashboard")).status_code == 200


def test_a_reps_page_does_not_speak_of_the_teams_views(client, rep, open_deal):
    open_deal(rep)
    client.force_login(rep)
    page = client.get(reverse("pipeline:dashboard")).content.decode()
    assert "Figures as of" in page
    assert "each team's" not in page


def test_refresh_asks_for_a_post_and_a_signed_in_user(client, manager):
    assert client.post(reverse("pipeline:dashboard_refresh")).status_code == 302  # to sign in
    client.force_login(manager)
    assert client.get(reverse("pipeline:dashboard_refresh")).status_code == 405


@fuzz
@given(
    params=st.dictionaries(
        st.sampled_from(["owner", "team", "pipeline", "segment", "lead_source", "start", "end"]),
        ids,
    )
)
def test_refresh_with_hostile_filters_never_fails(client, manager, rep, params):
    client.force_login(manager)
    query = urlencode(params)
    response = client.post(f"{reverse('pipeline:dashboard_refresh')}?{query}")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("pipeline:dashboard"))
    assert client.get(response["Location"]).status_code == 200


def test_the_company_and_each_team_are_worked_out_before_anyone_asks(
    client, manager, rep, open_deal, django_assert_num_queries
):
    UserFactory(role="admin", is_staff=True, is_superuser=True)
    UserFactory(role="sales_ops")  # sees what the admin sees: one view for both
    UserFactory(role="manager", team=TeamFactory())
    open_deal(rep)
    hour = timedelta(hours=1)
    assert len(snapshot.shared_scopes()) == 3  # the company, and two teams
    assert snapshot.keep_fresh(older_than=hour) == 3
    assert snapshot.keep_fresh(older_than=hour) == 0  # all recent
    age(Scope(user=manager), minutes=90)
    assert snapshot.keep_fresh(older_than=hour) == 1

    client.force_login(manager)
    with django_assert_num_queries(8):  # kept: no figure read
        assert client.get(reverse("pipeline:dashboard")).status_code == 200
    assert open_deals(client) == 1


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_background_job_runs_on_a_real_worker(celery_worker_thread, manager, rep, open_deal):
    from pipeline.tasks import keep_dashboards_fresh

    open_deal(rep)
    key = Scope(user=manager).cache_key
    assert cache.get(key) is None
    keep_dashboards_fresh.delay()
    deadline = time.monotonic() + 60  # a loaded CI machine can be slow to hand it over
    while cache.get(key) is None and time.monotonic() < deadline:
        time.sleep(0.2)
    kept = cache.get(key)
    assert sum(row["count"] for row in kept.figures["stages"]) == 1


def test_the_background_job_is_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["keep-dashboards-fresh"]
    assert entry["task"] == "pipeline.tasks.keep_dashboards_fresh"
    # Every half of the time figures are kept: the shared views never expire.
    assert entry["schedule"] == settings.SALESFLOW_DASHBOARD_KEEP_MINUTES * 30


def test_with_the_caches_redis_down_the_page_works_its_figures_out_and_answers(
    client, manager, rep, open_deal, settings
):
    """The kept figures only save time: a Redis that is down (being restarted, say) must
    not take the dashboard with it."""
    from tests.processes import ClosedPort

    down = ClosedPort()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            # Nothing listens on the port, held for the test: every cache call is refused.
            "LOCATION": f"redis://127.0.0.1:{down.port}/0",
        }
    }
    # (Changing CACHES makes Django drop the cache connections it holds: the page uses this.)
    open_deal(rep)
    client.force_login(manager)
    page = client.get(reverse("pipeline:dashboard"))
    assert page.status_code == 200
    assert "Figures as of" in page.content.decode()
    assert open_deals(client) == 1
    open_deal(rep)
    assert open_deals(client) == 2  # nothing kept: worked out afresh each time
    response = client.post(reverse("pipeline:dashboard_refresh"), follow=True)
    assert response.status_code == 200
