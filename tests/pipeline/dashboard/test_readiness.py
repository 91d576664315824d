"""The win rate by the prospect's readiness when the deal was qualified."""

from __future__ import annotations

import pytest

from pipeline.dashboard import figures
from tests.pipeline.dashboard.conftest import scope

pytestmark = pytest.mark.django_db


def test_win_rate_by_readiness_when_qualified(manager, history):
    rows = {
        (r["question"], r["answer"]): (r["won"], r["decided"], r["win_rate"])
        for r in figures.win_rate_by_readiness(scope(manager))
    }
    assert rows[("Has a problem", "Yes")] == (2, 2, 100.0)
    assert rows[("Has a problem", "No")] == (0, 1, 0.0)
    assert rows[("Has a problem", "Unknown")] == (0, 0, None)
    assert rows[("Accepts it is significant", "No")] == (1, 2, 50.0)
    assert rows[("Is ready to act", "Unknown")] == (0, 1, 0.0)
    assert rows[("All three", "Yes")] == (1, 1, 100.0)
