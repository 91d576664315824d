from __future__ import annotations

import importlib

import pytest

default_pipeline = importlib.import_module("pipeline.migrations.0002_default_pipeline")
close_reasons = importlib.import_module("pipeline.migrations.0004_close_reasons")


@pytest.fixture
def standard(db):
    """The shipped pipeline; put back if a transactional test flushed it away."""
    from django.apps import apps

    from pipeline.models import Pipeline

    default_pipeline.add_default_pipeline(apps, None)
    return Pipeline.objects.get(is_default=True)


@pytest.fixture
def stages(standard):
    """The shipped pipeline's stages by name."""
    return {stage.name: stage for stage in standard.stages.all()}


@pytest.fixture
def account(rep):
    from tests.factories import AccountFactory

    return AccountFactory(owner=rep, name="St Brigid's Hospital")


@pytest.fixture
def deal(rep, account, standard, stages):
    """A rep's deal in Qualified, opened through the service."""
    from pipeline import services

    return services.opportunity_create(
        actor=rep,
        account=account,
        name="Patient flow",
        owner=rep,
        value=48_000,
        pipeline=standard,
        stage=stages["Qualified"],
    )


@pytest.fixture
def open_deal(standard, stages):
    """Open a deal through the service: open_deal(owner, stage_name="Qualified", **fields)."""
    from pipeline import services
    from tests.factories import AccountFactory

    def _open(owner, stage="Qualified", account=None, **fields):
        account = account or AccountFactory(owner=owner)
        values = {"name": f"Deal for {account.name}", "value": 1000, **fields}
        return services.opportunity_create(
            actor=owner,
            account=account,
            owner=owner,
            pipeline=standard,
            stage=stages[stage],
            **values,
        )

    return _open


@pytest.fixture
def reason(db):
    """One shipped close reason of each kind (put back if a transactional test flushed them)."""
    from django.apps import apps

    from pipeline.models import CloseReason

    close_reasons.add_reasons(apps, None)
    return {kind: CloseReason.objects.filter(kind=kind).first() for kind in CloseReason.Kind}


@pytest.fixture
def log_yes(rep):
    """Log a conversation in which the prospect answered yes to all three questions."""
    from django.utils import timezone

    from prospects import services

    def _log(account, actor=None, when=None):
        return services.conversation_log(
            actor=actor or account.owner,
            account=account,
            occurred_at=when or timezone.now(),
            channel="call",
            kind="qualifying",
            has_problem="yes",
            accepts_significance="yes",
            ready_to_act="yes",
        )

    return _log


@pytest.fixture
def sales_ops(db):
    from tests.factories import UserFactory

    return UserFactory(role="sales_ops", first_name="Sam")


patience_rules = importlib.import_module("pipeline.migrations.0007_default_patience_rules")


@pytest.fixture(autouse=True)
def _patience_rules(request):
    """Put the shipped patience rules back after a transactional test flushed them."""
    marker = request.node.get_closest_marker("django_db")
    wants_db = {"db", "transactional_db"} & set(request.fixturenames)
    if marker is None and not wants_db:
        return
    request.getfixturevalue(
        "transactional_db" if (marker and marker.kwargs.get("transaction")) else "db"
    )
    from django.apps import apps

    patience_rules.add_rules(apps, None)
