"""A bulk move of 1,000 deals, as the worker runs it, on throwaway deals.

The harness opens a throwaway account of the rep with `size` deals in one open stage (made
in a few statements, with their "opened" history rows and flow facts, as if each had been
opened through the service), keeps a bulk edit that moves them all to the next stage, and
times ``bulk_edit_run`` — the body of the ``run_bulk_edit`` task — in the command's own
process. It then checks each deal was moved exactly once (one result row and one move each)
and removes the account, which takes the deals, their history and flow facts with it, and
the job with its results. The goal: 1,000 deals in at most 30 seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from pipeline.benchmark.actions import TAG, sandbox_create, sandbox_remove
from pipeline.bulkedit import services as bulk_services
from pipeline.bulkedit.models import BulkEdit
from pipeline.deals import flow
from pipeline.deals.models import Opportunity, Stage, StageChange
from prospects.models import Account
from salesflow.core.models import User

GOAL_SECONDS = 30.0
HOW = (
    "bulk_edit_run (the run_bulk_edit task's body) in the command's process, one transaction a deal"
)


@dataclass
class BulkResult:
    deals: int
    how: str
    setup_seconds: float
    seconds: float
    per_deal_ms: float
    changed: int
    refused: int
    moves_recorded: int  # moves to the target stage afterwards: one a deal
    results_recorded: int  # result rows: one a deal
    cleanup_seconds: float
    left_behind: bool
    goal_seconds: float = GOAL_SECONDS
    errors: list[str] = field(default_factory=list)

    @property
    def exactly_once(self) -> bool:
        return (
            not self.errors
            and self.changed == self.deals
            and self.moves_recorded == self.deals
            and self.results_recorded == self.deals
        )

    @property
    def ok(self) -> bool:
        return self.exactly_once and not self.left_behind and self.seconds <= self.goal_seconds


def make_deals(*, account: Account, owner: User, stage: Stage, count: int) -> list[int]:
    """`count` open deals of `owner` on `account` in `stage`, each with its "opened" row and
    flow facts, in a few statements; their ids."""
    now = timezone.now()
    deals = Opportunity.objects.bulk_create(
        (
            Opportunity(
                account=account,
                name=f"{account.name} #{number}",
                owner=owner,
                pipeline_id=stage.pipeline_id,
                stage=stage,
                value=Decimal(1_000 + number),
                lead_source_id=account.lead_source_id,
            )
            for number in range(count)
        ),
        batch_size=1000,
    )
    ids = [deal.pk for deal in deals]
    StageChange.objects.bulk_create(
        (
            StageChange(opportunity_id=pk, from_stage=None, to_stage=stage, at=now, by=owner)
            for pk in ids
        ),
        batch_size=1000,
    )
    flow.refresh(Opportunity, StageChange, ids=ids)
    return ids


def remove_tagged() -> int:
    """Jobs a crashed earlier run left behind (their throwaway account goes with
    actions.remove_leftovers)."""
    return BulkEdit.objects.filter(params__bench=TAG).delete()[0]


def run_bulk(*, rep: User, like: Account, size: int = 1_000) -> BulkResult:
    started = time.perf_counter()
    name = f"{TAG} throwaway bulk {timezone.now():%Y%m%d-%H%M%S}"
    sandbox = sandbox_create(rep=rep, like=like, name=name)
    ids = make_deals(account=sandbox.account, owner=rep, stage=sandbox.back, count=size)
    job = BulkEdit.objects.create(
        actor=rep,
        action=BulkEdit.Action.MOVE,
        # Tagged, so a crashed run's job can be found and removed.
        params={"stage": sandbox.there.pk, "note": "", "bench": TAG},
        deal_ids=ids,
        total=len(ids),
    )
    setup = time.perf_counter() - started
    errors: list[str] = []
    begun = time.perf_counter()
    try:
        bulk_services.bulk_edit_run(job_id=job.pk)
    except Exception as error:  # noqa: BLE001 - reported (the run fails), and cleaned up
        errors.append(repr(error))
    seconds = time.perf_counter() - begun
    job.refresh_from_db()
    moves = StageChange.objects.filter(opportunity_id__in=ids, to_stage=sandbox.there).count()
    results = job.rows.count()
    cleaning = time.perf_counter()
    BulkEdit.objects.filter(pk=job.pk).delete()
    gone = sandbox_remove(sandbox.account)
    return BulkResult(
        deals=size,
        how=HOW,
        setup_seconds=round(setup, 2),
        seconds=round(seconds, 2),
        per_deal_ms=round(seconds * 1000 / size, 2),
        changed=job.changed_count,
        refused=job.refused_count,
        moves_recorded=moves,
        results_recorded=results,
        cleanup_seconds=round(time.perf_counter() - cleaning, 2),
        left_behind=not gone or BulkEdit.objects.filter(pk=job.pk).exists(),
        errors=errors,
    )
