"""The dashboard's flow, SOE, readiness, lead-source and coaching figures, each asserted
exactly on a small history built by hand (the period: January to June 2026)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pipeline.dashboard import coaching
from pipeline.dashboard.figures import (
    funnel,
    lead_sources,
    outcomes,
    segments,
    slipped_steps,
    soe_health,
    time_in_stage,
    velocity_trend,
    win_rate_by_readiness,
    win_rate_by_reception,
)
from pipeline.dashboard.scope import DashboardFilters, Period, Scope
from pipeline.deals import services as deal_services
from pipeline.followups.models import FollowUp
from pipeline.soe.models import Sequence, SoeStep
from prospects.models import Account, Conversation
from tests.pipeline.conftest import at

pytestmark = pytest.mark.django_db

PERIOD = {"start": date(2026, 1, 1), "end": date(2026, 6, 30)}


@pytest.fixture
def soe(history):
    """A keen SOE on A, declined on C, lukewarm on F with one step late and one moved later;
    H's prospect received theirs keenly and said yes to all three questions."""
    today = timezone.localdate()
    Sequence.objects.create(opportunity=history["A"], reception="keen")
    Sequence.objects.create(opportunity=history["C"], reception="declined")
    f = Sequence.objects.create(opportunity=history["F"], reception="lukewarm")
    late = today - timedelta(days=5)
    SoeStep.objects.create(
        sequence=f, position=0, text="Visit", target_date=late, first_target_date=late
    )
    SoeStep.objects.create(
        sequence=f,
        position=1,
        text="Pilot",
        target_date=today + timedelta(days=10),
        first_target_date=today + timedelta(days=2),
    )
    Sequence.objects.create(opportunity=history["H"], reception="keen")
    Account.objects.filter(pk=history["H"].account_id).update(
        has_problem="yes", accepts_significance="yes", ready_to_act="yes"
    )
    return history


def scope(user, **filters):
    return Scope(user=user, filters=DashboardFilters(**{**PERIOD, **filters}))


def test_conversion_counts_skipped_stages_as_passed(manager, history):
    rows = funnel(scope(manager))
    assert [
        (r["stage"], r["reached"], r["next_stage"], r["went_on"], r["conversion"]) for r in rows
    ] == [
        ("Lead", 6, "Qualified", 4, 66.7),
        ("Qualified", 4, "Solution development", 2, 50.0),
        ("Solution development", 2, "Evaluation", 2, 100.0),  # B skipped it, and counts
        ("Evaluation", 2, "Decision", 2, 100.0),
        ("Decision", 2, "Won", 2, 100.0),
    ]


def test_time_in_stage_median_and_80th_percentile(manager, history):
    rows = time_in_stage(scope(manager))
    assert [(r["stage"], r["stays"], r["median_days"], r["p80_days"]) for r in rows] == [
        ("Lead", 5, 5.0, 12.0),  # 4, 5, 5, 10, 20 days; E is still in Lead
        ("Qualified", 3, 20.0, 20.0),  # 10, 20, 20; F is still there
        ("Solution development", 1, 10.0, 10.0),
        ("Evaluation", 2, 20.0, 20.0),
        ("Decision", 1, 10.0, 10.0),
    ]


def test_win_rate_size_cycle_and_velocity(manager, history):
    eur = {row["currency"]: row for row in outcomes(scope(manager))}["EUR"]
    assert (eur["open"], eur["won"], eur["lost"], eur["disqualified"]) == (2, 2, 1, 1)
    assert eur["win_rate"] == 66.7  # disqualified is not a loss
    assert eur["won_value"] == Decimal("16000.00")
    assert eur["average_won"] == Decimal("8000.00")
    assert eur["cycle_days"] == 57.5  # 70 and 45 days
    # 2 open * 2/3 * 8,000 / 57.5 days
    assert eur["velocity"] == Decimal("185.51")


def test_velocity_trend_per_month(manager, history):
    rows = [r for r in velocity_trend(scope(manager)) if r["currency"] == "EUR"]
    assert [r["month"] for r in rows] == [date(2026, month, 1) for month in range(1, 7)]
    january, february, march = rows[:3]
    assert (january["open"], january["won"], january["velocity"]) == (2, 0, None)
    assert (february["open"], february["won"], february["win_rate"]) == (2, 1, 100.0)
    assert february["velocity"] == Decimal("266.67")  # 2 * 1 * 6,000 / 45
    assert (march["open"], march["won"], march["lost"]) == (2, 1, 1)
    assert march["velocity"] == Decimal("142.86")  # 2 * 1/2 * 10,000 / 70
    assert all(row["currency"] != "GBP" for row in velocity_trend(scope(manager)))


def test_segments_side_by_side(manager, history):
    rows = {(r["segment"], r["currency"]): r for r in segments(scope(manager))}
    assert set(rows) == {("Hospitals", "EUR"), ("Hospitals", "GBP"), ("Schools", "EUR")}
    hospitals = rows[("Hospitals", "EUR")]
    assert (hospitals["won"], hospitals["lost"], hospitals["win_rate"]) == (2, 1, 66.7)
    assert hospitals["velocity"] == Decimal("0.00")  # nothing left open
    schools = rows[("Schools", "EUR")]
    assert (schools["open"], schools["disqualified"], schools["win_rate"]) == (2, 1, None)
    # How far the deals opened in the period got: D went straight to lost, so of the schools
    # only F was qualified.
    got = {
        key: (r["opened"], r["qualified_share"], r["opened_won_share"]) for key, r in rows.items()
    }
    assert got == {
        ("Hospitals", "EUR"): (3, 100.0, 66.7),
        ("Hospitals", "GBP"): (0, None, None),
        ("Schools", "EUR"): (3, 33.3, 0.0),
    }


def test_soe_health(manager, rep, soe):
    health = soe_health(scope(manager))
    assert (health["deals"], health["with_soe"], health["with_soe_share"]) == (8, 4, 50.0)
    assert {r["reception"]: (r["count"], r["share"]) for r in health["receptions"]} == {
        "Not yet shared": (0, 0.0),
        "Keen": (2, 50.0),
        "Lukewarm": (1, 25.0),
        "Declined": (1, 25.0),
    }
    by_reception = {
        r["reception"]: (r["won"], r["decided"]) for r in win_rate_by_reception(scope(manager))
    }
    assert by_reception == {"Keen": (1, 1), "Declined": (0, 1), "No SOE": (1, 1)}
    assert slipped_steps(scope(manager)) == [
        {"rep_id": rep.pk, "rep": rep.username, "open_steps": 2, "late": 1, "moved": 1}
    ]


def test_win_rate_by_readiness_when_qualified(manager, history):
    rows = {
        (r["question"], r["answer"]): (r["won"], r["decided"], r["win_rate"])
        for r in win_rate_by_readiness(scope(manager))
    }
    assert rows[("Has a problem", "Yes")] == (2, 2, 100.0)
    assert rows[("Has a problem", "No")] == (0, 1, 0.0)
    assert rows[("Has a problem", "Unknown")] == (0, 0, None)
    assert rows[("Accepts it is significant", "No")] == (1, 2, 50.0)
    assert rows[("Is ready to act", "Unknown")] == (0, 1, 0.0)
    assert rows[("All three", "Yes")] == (1, 1, 100.0)


def test_lead_source_return(manager, history):
    rows = {r["source"]: r for r in lead_sources(scope(manager))}
    events, web = rows["Events"], rows["Web"]
    assert (events["leads"], events["qualified"], events["cost"]) == (3, 3, Decimal("300.00"))
    assert events["won_value"] == Decimal("16000.00")
    assert events["cost_per_qualified"] == Decimal("100.00")
    assert events["return"] == Decimal("53.33")
    # Paid per month: January to June is six months of 300; D went straight to lost, E never
    # moved, so only F was qualified.
    assert (web["leads"], web["qualified"], web["cost"]) == (3, 1, Decimal("1800.00"))
    assert (web["cost_per_qualified"], web["return"]) == (Decimal("1800.00"), Decimal("0.00"))
    # Narrowed to one segment, a monthly cost is not the segment's: it is not shown.
    schools = {
        r["source"]: r
        for r in lead_sources(scope(manager, segment=history["D"].account.segment_id))
    }
    assert (schools["Web"]["cost"], schools["Web"]["return"]) == (None, None)
    assert schools["Web"]["leads"] == 3


def test_a_period_counts_calendar_months_and_a_year_back_from_29_february(manager):
    assert Period(date(2026, 1, 1), date(2026, 6, 30)).months == Decimal("6.00")
    assert Period(date(2025, 11, 24), date(2026, 11, 23)).months == Decimal("12.00")
    assert Period(date(2026, 1, 1), date(2026, 1, 15)).months == Decimal("0.49")
    leap = Scope(user=manager, today=date(2028, 2, 29)).period
    assert (leap.start, leap.end) == (date(2027, 3, 1), date(2028, 2, 29))
    leap_end = Scope(user=manager, filters=DashboardFilters(end=date(2024, 2, 29)))
    assert leap_end.period.start == date(2023, 3, 1)


@pytest.fixture
def follow_ups(rep, history):
    account = history["F"].account

    def follow_up(**fields):
        return FollowUp.objects.create(
            account=account, owner=rep, purpose="Check in", surface_at=at(4, 1), **fields
        )

    follow_up(
        status="done", surfaced_at=at(4, 1), closed_at=at(4, 2), surfaced_early_reason="They asked"
    )
    follow_up(status="dismissed", closed_at=at(4, 3), dismissed_reason="Not needed")
    follow_up(status="surfaced", surfaced_at=at(5, 1))
    follow_up(status="surfaced", surfaced_at=at(8, 1))  # after the period
    for when in (at(2, 1), at(3, 1), at(9, 1)):
        Conversation.objects.create(
            account=account, logged_by=rep, occurred_at=when, channel="call", kind="qualifying"
        )


def test_coaching_per_rep_and_happy_ears(manager, rep, teammate, soe, follow_ups):
    deal_services.opportunities_mark_stuck()  # the daily check, which coaching reads
    rows = {row["rep_id"]: row for row in coaching.coaching(scope(manager))}
    assert set(rows) == {rep.pk, teammate.pk, manager.pk}
    figures = rows[rep.pk]
    assert {
        k: figures[k] for k in ("conversations", "surfaced", "done", "dismissed", "patience_broken")
    } == {
        "conversations": 2,
        "surfaced": 2,
        "done": 1,
        "dismissed": 1,
        "patience_broken": 1,
    }
    assert figures["stuck"] == 2  # E and F have been quiet since March
    assert figures["happy_ears"] == 0  # E and F are not in commit stages
    assert rows[teammate.pk]["happy_ears"] == 1  # G, not H: H's evidence carries it

    view = coaching.rep_coaching(scope(manager), teammate)
    assert [(deal.name, flags) for deal, flags in view.happy_ears] == [
        (
            "G",
            [
                "Has a problem: Unknown",
                "Accepts it is significant: Unknown",
                "Is ready to act: Unknown",
                "No SOE",
            ],
        )
    ]
    mine = coaching.rep_coaching(scope(manager), rep)
    assert [follow_up.surfaced_early_reason for follow_up in mine.broken] == ["They asked"]
    assert {deal.name for deal in mine.stuck} == {"E", "F"}


def test_a_rep_sees_only_their_own_coaching(
    client, rep, teammate, manager, outsider, sales_ops, history
):
    own = reverse("pipeline:dashboard_rep", args=[rep.pk])
    other = reverse("pipeline:dashboard_rep", args=[teammate.pk])
    client.force_login(rep)
    assert client.get(own).status_code == 200
    page = client.get(reverse("pipeline:dashboard"), {"owner": teammate.pk})
    assert page.status_code == 200
    assert 'name="owner"' not in page.content.decode()  # nothing to pick: it is their own
    assert "Theo Mate" not in page.content.decode()
    assert client.get(other).status_code == 404  # a teammate, by changing the URL
    assert [r["rep"] for r in coaching.coaching(scope(rep))] == ["Rita Rep"]
    # Another team's rep sees none of these deals in any figure.
    assert funnel(scope(outsider)) == []
    assert outcomes(scope(outsider)) == []
    assert [r["rep"] for r in coaching.coaching(scope(outsider))] == ["Olga Out"]
    # A teammate's figures are not a rep's: their dashboard is their own.
    assert {r["currency"] for r in outcomes(scope(teammate))} == {"GBP"}
    client.force_login(outsider)
    assert client.get(own).status_code == 404
    for user in (manager, sales_ops):
        client.force_login(user)
        page = client.get(other)
        assert page.status_code == 200
        assert ">G</a>" not in page.content.decode()
        assert "Coaching: Theo Mate" in page.content.decode()


def test_the_page_shows_every_section_and_its_csv(client, manager, soe, follow_ups):
    client.force_login(manager)
    page = client.get(reverse("pipeline:dashboard"), {"start": "2026-01-01", "end": "2026-06-30"})
    html = page.content.decode()
    for heading in (
        "Conversion between stages",
        "Time in stage",
        "Velocity by month",
        "Segments side by side",
        "SOE health",
        "Win rate by readiness when qualified",
        "five cents in, ten cents out",
        "Coaching",
    ):
        assert heading in html
    assert 'data-chart="funnel"' in html
    assert 'id="dashboard-charts"' in html
    for table in dashboard_tables():
        response = client.get(reverse("pipeline:dashboard_csv", args=[table]), PERIOD)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
    funnel = client.get(reverse("pipeline:dashboard_csv", args=["funnel"]), PERIOD).content.decode()
    assert funnel.splitlines()[1] == "Standard,Lead,6,Qualified,4,66.7"


def dashboard_tables():
    from pipeline.dashboard.columns import CSV_COLUMNS

    return list(CSV_COLUMNS)


def test_a_filter_change_answers_with_the_figures_only(client, manager, rep, history):
    client.force_login(manager)
    response = client.get(
        reverse("pipeline:dashboard"), {**PERIOD, "owner": rep.pk}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="figures"')
    assert "<html" not in html


def test_going_back_to_a_page_htmx_did_not_keep_gets_the_whole_page(client, manager, history):
    client.force_login(manager)
    response = client.get(
        reverse("pipeline:dashboard"),
        PERIOD,
        HTTP_HX_REQUEST="true",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )
    assert "<html" in response.content.decode()
    assert "HX-Request" in response["Vary"]


def test_a_future_start_without_an_end_is_refused_with_a_message(client, manager, history):
    client.force_login(manager)
    page = client.get(reverse("pipeline:dashboard"), {"start": "2099-01-01"}).content.decode()
    assert "Pick a day up to today, or an Until date as well." in page
