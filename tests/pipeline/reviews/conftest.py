"""Sales ops on the staff: the facilitator of the reviews in this folder's tests
(test_rules.py and test_pages.py define an `ops` of their own, as they were written)."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory


@pytest.fixture
def ops(db):
    return UserFactory(role="sales_ops", is_staff=True, first_name="Sam", last_name="Ops")
