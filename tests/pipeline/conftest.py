from __future__ import annotations

import importlib

import pytest

default_pipeline = importlib.import_module("pipeline.migrations.0002_default_pipeline")


@pytest.fixture
def standard(db):
    """The shipped pipeline; put back if a transactional test flushed it away."""
    from django.apps import apps

    from pipeline.models import Pipeline

    default_pipeline.add_default_pipeline(apps, None)
    return Pipeline.objects.get(is_default=True)
