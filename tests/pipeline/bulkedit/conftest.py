from __future__ import annotations

import pytest


@pytest.fixture
def deals(rep, teammate, outsider, open_deal):
    """One deal each: the rep's (two), the teammate's and the outsider's, in Qualified."""
    return {
        "mine": open_deal(rep),
        "mine_too": open_deal(rep),
        "teammate": open_deal(teammate),
        "outsider": open_deal(outsider),
    }
