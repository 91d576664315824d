"""The coaching figures per rep (conversations, follow-ups, patience broken, stuck deals,
happy ears), one rep's coaching view, and who may see whose."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pipeline.dashboard import coaching
from pipeline.dashboard.figures import funnel, outcomes
from pipeline.deals import services as deal_services
from tests.pipeline.dashboard.conftest import scope

pytestmark = pytest.mark.django_db


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
