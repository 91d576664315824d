from __future__ import annotations

import importlib

import pytest

default_pipeline = importlib.import_module("pipeline.migrations.0002_default_pipeline")
close_reasons = importlib.import_module("pipeline.migrations.0004_close_reasons")


@pytest.fixture
def standard(db):
    """The shipped pipeline; put back if a transactional test flushed it away."""
    from django.apps import apps

    from pipeline.deals.models import Pipeline

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
    from pipeline.deals import services as deal_services

    return deal_services.opportunity_create(
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
    from pipeline.deals import services as deal_services
    from tests.factories import AccountFactory

    def _open(owner, stage="Qualified", account=None, **fields):
        account = account or AccountFactory(owner=owner)
        values = {"name": f"Deal for {account.name}", "value": 1000, **fields}
        return deal_services.opportunity_create(
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

    from pipeline.deals.models import CloseReason

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


# --- A known past for the dashboard ---------------------------------------------------


def at(month: int, day: int, year: int = 2026):
    """Noon, local time: far from any month boundary whatever the time zone."""
    from datetime import datetime

    from django.utils import timezone

    return timezone.make_aware(datetime(year, month, day, 12))


@pytest.fixture
def history(rep, teammate, manager, standard, stages, reason):
    """Eight deals with a known past. Stage positions: Lead, Qualified, Solution development,
    Evaluation, Decision, then Won and Lost. The dashboard's tests assert their figures."""
    from decimal import Decimal

    from pipeline.deals import flow
    from pipeline.deals import services as deal_services
    from pipeline.deals.models import Opportunity, StageChange
    from prospects.models import Account, LeadSource
    from tests.factories import AccountFactory, SegmentFactory

    hospitals, schools = SegmentFactory(name="Hospitals"), SegmentFactory(name="Schools")
    events = LeadSource.objects.create(name="Events", cost_basis="per_lead", cost=100)
    web = LeadSource.objects.create(name="Web", cost_basis="per_month", cost=300)
    deals = {}

    def deal(key, owner, value, path, *, segment, source=None, currency="EUR", answers=None):
        """`path`: (stage, when) from opening to now; `answers` the readiness snapshot taken
        at the deal's first move on."""
        account = AccountFactory(owner=owner, segment=segment, lead_source=source)
        Account.objects.filter(pk=account.pk).update(created_at=path[0][1])
        opportunity = deal_services.opportunity_create(
            actor=owner,
            account=account,
            name=key,
            owner=owner,
            value=Decimal(value),
            currency=currency,
            pipeline=standard,
            stage=stages[path[0][0]],
        )
        for name, _ in path[1:]:
            kind = {"Won": "won", "Lost": "lost", "Disqualified": "disqualified"}.get(name)
            deal_services.opportunity_move_stage(
                actor=owner,
                opportunity=opportunity,
                to_stage=stages["Lost" if name == "Disqualified" else name],
                reason=reason[kind] if kind else None,
            )
        changes = StageChange.objects.filter(opportunity=opportunity).order_by("at", "pk")
        for change, (_, when) in zip(list(changes), path, strict=True):
            StageChange.objects.filter(pk=change.pk).update(at=when)
        if answers:
            first_move = changes.exclude(from_stage=None).order_by("at", "pk").first()
            StageChange.objects.filter(pk=first_move.pk).update(
                **dict(
                    zip(
                        ("has_problem", "accepts_significance", "ready_to_act"),
                        answers,
                        strict=True,
                    )
                )
            )
        closed = (
            {"closed_at": path[-1][1]} if path[-1][0] in {"Won", "Lost", "Disqualified"} else {}
        )
        Opportunity.objects.filter(pk=opportunity.pk).update(created_at=path[0][1], **closed)
        flow.refresh(Opportunity, StageChange, ids=[opportunity.pk])  # the history moved
        deals[key] = Opportunity.objects.get(pk=opportunity.pk)
        return deals[key]

    yes, no, unknown = "yes", "no", "unknown"
    deal(
        "A",
        rep,
        10_000,
        [
            ("Lead", at(1, 1)),
            ("Qualified", at(1, 11)),
            ("Solution development", at(1, 31)),
            ("Evaluation", at(2, 10)),
            ("Decision", at(3, 2)),
            ("Won", at(3, 12)),
        ],
        segment=hospitals,
        source=events,
        answers=(yes, yes, yes),
    )
    deal(  # skips Solution development
        "B",
        rep,
        6_000,
        [
            ("Lead", at(1, 5)),
            ("Qualified", at(1, 10)),
            ("Evaluation", at(1, 30)),
            ("Won", at(2, 19)),
        ],
        segment=hospitals,
        source=events,
        answers=(yes, no, yes),
    )
    deal(
        "C",
        rep,
        4_000,
        [("Lead", at(2, 1)), ("Qualified", at(2, 21)), ("Lost", at(3, 3))],
        segment=hospitals,
        source=events,
        answers=(no, no, unknown),
    )
    deal(
        "D",
        rep,
        3_000,
        [("Lead", at(2, 1)), ("Disqualified", at(2, 6))],
        segment=schools,
        source=web,
    )
    deal("E", rep, 1_000, [("Lead", at(3, 1))], segment=schools, source=web)
    deal(
        "F",
        rep,
        2_000,
        [("Lead", at(3, 1)), ("Qualified", at(3, 5))],
        segment=schools,
        source=web,
    )
    # Opened before the period, still open, in commit stages, in another currency.
    deal(
        "G",
        teammate,
        50_000,
        [("Lead", at(12, 1, 2025)), ("Evaluation", at(12, 10, 2025))],
        segment=hospitals,
        currency="GBP",
    )
    deal(
        "H",
        teammate,
        70_000,
        [("Lead", at(11, 1, 2025)), ("Decision", at(12, 5, 2025))],
        segment=hospitals,
        currency="GBP",
    )
    return deals


# --- The SOE that hostile input is posted to ------------------------------------------
# soe/test_hostile_input.py and the pipeline-wide test_hostile_input.py post to it;
# test_sequence.py, test_outputs.py and dashboard/ make SOEs of their own.


@pytest.fixture
def soe(rep, deal):
    from pipeline.soe import services as soe_services

    sequence = soe_services.soe_start(actor=rep, opportunity=deal)
    for text in ("Security review", "Board approval"):
        soe_services.soe_step_add(actor=rep, sequence=sequence, text=text)
    return sequence
