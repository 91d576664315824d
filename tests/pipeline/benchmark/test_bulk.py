"""The harness's bulk move: times the worker's run on throwaway deals, checks each was
moved exactly once, and leaves nothing behind."""

from __future__ import annotations

import pytest

from pipeline.benchmark import bulk
from pipeline.benchmark.report import dataset_sizes
from pipeline.bulkedit.models import BulkEdit
from prospects.models import Account
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def test_the_bulk_move_is_timed_exactly_once_and_cleaned_up(rep, standard, stages):
    like = AccountFactory(owner=rep)
    before = dataset_sizes()
    result = bulk.run_bulk(rep=rep, like=like, size=40)
    assert (result.changed, result.refused, result.moves_recorded) == (40, 0, 40)
    assert result.results_recorded == 40
    assert result.exactly_once, result
    assert result.ok, result
    assert not result.left_behind
    assert dataset_sizes() == before
    assert not BulkEdit.objects.exists()
    assert not Account.objects.filter(name__startswith="bench-harness").exists()


def test_a_crashed_runs_job_is_removed_next_time(rep, stages):
    BulkEdit.objects.create(
        actor=rep,
        action="move",
        params={"stage": stages["Evaluation"].pk, "bench": "bench-harness"},
        deal_ids=[1],
        total=1,
    )
    assert bulk.remove_tagged() == 1
