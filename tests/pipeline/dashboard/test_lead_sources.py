"""Lead sources: what each cost, the leads and qualified deals it brought, and its return."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.dashboard import figures
from tests.pipeline.dashboard.conftest import scope

pytestmark = pytest.mark.django_db


def test_lead_source_return(manager, history):
    rows = {r["source"]: r for r in figures.lead_sources(scope(manager))}
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
        for r in figures.lead_sources(scope(manager, segment=history["D"].account.segment_id))
    }
    assert (schools["Web"]["cost"], schools["Web"]["return"]) == (None, None)
    assert schools["Web"]["leads"] == 3
