from __future__ import annotations

import pytest

from tests.factories import SegmentFactory


@pytest.fixture
def segments(db):
    return [SegmentFactory(name="Manufacturers"), SegmentFactory(name="Schools")]
