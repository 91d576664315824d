"""SOE health on the dashboard: how many deals have an SOE and how it was received, the win
rate by reception, and the steps that slipped."""

from __future__ import annotations

import pytest

from pipeline.dashboard import figures
from tests.pipeline.dashboard.conftest import scope

pytestmark = pytest.mark.django_db


def test_soe_health(manager, rep, soe):
    health = figures.soe_health(scope(manager))
    assert (health["deals"], health["with_soe"], health["with_soe_share"]) == (8, 4, 50.0)
    assert {r["reception"]: (r["count"], r["share"]) for r in health["receptions"]} == {
        "Not yet shared": (0, 0.0),
        "Keen": (2, 50.0),
        "Lukewarm": (1, 25.0),
        "Declined": (1, 25.0),
    }
    by_reception = {
        r["reception"]: (r["won"], r["decided"])
        for r in figures.win_rate_by_reception(scope(manager))
    }
    assert by_reception == {"Keen": (1, 1), "Declined": (0, 1), "No SOE": (1, 1)}
    assert figures.slipped_steps(scope(manager)) == [
        {"rep_id": rep.pk, "rep": rep.username, "open_steps": 2, "late": 1, "moved": 1}
    ]
