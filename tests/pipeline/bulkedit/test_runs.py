"""A bulk edit applies each deal through the single edit's service: access checked again for
every deal, refusals kept word for word, each deal changed exactly once however often the
job is run."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from pipeline.bulkedit import services
from pipeline.bulkedit.models import BulkEdit, BulkEditRow
from pipeline.deals.models import Opportunity, StageChange

pytestmark = pytest.mark.django_db


def start(actor, action, params, ids):
    return services.bulk_edit_start(actor=actor, action=action, params=params, ids=ids)


def results(job):
    return {row.deal_id: (row.outcome, row.message) for row in job.rows.all()}


def snapshot(deal):
    deal = Opportunity.objects.get(pk=deal.pk)
    return (
        deal.stage_id,
        deal.owner_id,
        deal.expected_close_date,
        deal.close_reason_id,
        StageChange.objects.filter(opportunity=deal).count(),
    )


def test_owner_moves_own_deals_and_is_refused_the_rest(rep, deals, stages):
    untouched = {name: snapshot(deals[name]) for name in ("teammate", "outsider")}
    ids = [deal.pk for deal in deals.values()] + [10**12]
    job = start(rep, "move", {"stage": stages["Evaluation"].pk}, ids)
    assert job.status == "done"
    assert (job.changed_count, job.unchanged_count, job.refused_count) == (2, 0, 3)
    got = results(job)
    assert got[deals["mine"].pk] == ("changed", "Moved from Qualified to Evaluation.")
    assert got[deals["teammate"].pk] == ("refused", "This deal is read-only for you.")
    # The outsider's deal and an id of no deal read the same: nothing is revealed.
    assert got[deals["outsider"].pk] == ("refused", services.NOT_FOUND)
    assert got[10**12] == ("refused", services.NOT_FOUND)
    assert job.rows.get(deal_id=deals["outsider"].pk).label == ""
    for name in ("mine", "mine_too"):
        assert Opportunity.objects.get(pk=deals[name].pk).stage == stages["Evaluation"]
    for name, before in untouched.items():
        assert snapshot(deals[name]) == before


def test_outsider_changes_nothing(outsider, rep, deals, stages, teammate):
    ours = {name: snapshot(deal) for name, deal in deals.items() if name != "outsider"}
    ids = [deal.pk for name, deal in deals.items() if name != "outsider"]
    for action, params in [
        ("move", {"stage": stages["Evaluation"].pk}),
        ("owner", {"owner": outsider.pk}),
        ("close_date", {"expected_close_date": "2027-03-31"}),
    ]:
        job = start(outsider, action, params, ids)
        assert (job.changed_count, job.refused_count) == (0, 3)
        assert set(results(job).values()) == {("refused", services.NOT_FOUND)}
    for name, before in ours.items():
        assert snapshot(deals[name]) == before


def test_manager_changes_the_teams_deals(manager, rep, teammate, deals, stages):
    ids = [deals["mine"].pk, deals["teammate"].pk, deals["outsider"].pk]
    job = start(manager, "owner", {"owner": teammate.pk}, ids)
    assert (job.changed_count, job.unchanged_count, job.refused_count) == (1, 1, 1)
    assert Opportunity.objects.get(pk=deals["mine"].pk).owner == teammate
    assert results(job)[deals["teammate"].pk][0] == "unchanged"


def test_teammate_is_refused_the_reps_deals(teammate, rep, deals, stages):
    before = snapshot(deals["mine"])
    job = start(teammate, "close_date", {"expected_close_date": "2027-01-15"}, [deals["mine"].pk])
    assert results(job) == {deals["mine"].pk: ("refused", "This deal is read-only for you.")}
    assert snapshot(deals["mine"]) == before


def test_a_rep_may_not_give_deals_to_someone_else(rep, teammate, deals):
    # Reps may only pick themselves as owner: the parameters are refused before any deal.
    with pytest.raises(ValidationError) as refused:
        start(rep, "owner", {"owner": teammate.pk}, [deals["mine"].pk])
    assert "owner" in refused.value.message_dict
    assert not BulkEdit.objects.exists()


def test_set_expected_close(rep, deals):
    deals["mine_too"].expected_close_date = date(2027, 2, 1)
    deals["mine_too"].save()
    ids = [deals["mine"].pk, deals["mine_too"].pk]
    job = start(rep, "close_date", {"expected_close_date": "2027-02-01"}, ids)
    assert results(job) == {
        deals["mine"].pk: ("changed", "Expected to close on 1 Feb 2027."),
        deals["mine_too"].pk: ("unchanged", "Already expected to close on 1 Feb 2027."),
    }
    assert Opportunity.objects.get(pk=deals["mine"].pk).expected_close_date == date(2027, 2, 1)


def test_close_as_lost_with_a_reason(rep, deals, stages, reason):
    won = deals["mine_too"]
    from pipeline.deals import services as deal_services

    deal_services.opportunity_move_stage(
        actor=rep, opportunity=won, to_stage=stages["Won"], reason=reason["won"]
    )
    job = start(
        rep,
        "close_lost",
        {"reason": reason["lost"].pk, "note": "Budget cut"},
        [
            deals["mine"].pk,
            won.pk,
        ],
    )
    got = results(job)
    assert got[deals["mine"].pk] == ("changed", f"Closed in Lost: {reason['lost'].name}.")
    assert got[won.pk] == ("refused", "This deal was won; open it to change that.")
    lost = Opportunity.objects.get(pk=deals["mine"].pk)
    assert (lost.stage, lost.close_reason) == (stages["Lost"], reason["lost"])
    assert StageChange.objects.filter(opportunity=lost).latest("at").note == "Budget cut"
    assert Opportunity.objects.get(pk=won.pk).stage == stages["Won"]
    again = start(rep, "close_lost", {"reason": reason["lost"].pk}, [deals["mine"].pk])
    assert results(again)[deals["mine"].pk] == ("unchanged", "Already closed in Lost.")


def test_the_services_refusal_is_the_rows_message(rep, deals, stages):
    deal = deals["mine"]
    job = start(rep, "move", {"stage": stages["Qualified"].pk}, [deal.pk])
    assert results(job) == {deal.pk: ("unchanged", "Already in Qualified.")}


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ([], "Tick at least one deal."),
        (["12", "x"], "Some of the picked rows are not deals; reload the page."),
        (["-3"], "Some of the picked rows are not deals; reload the page."),
    ],
)
def test_a_selection_that_cannot_be_used_keeps_nothing(rep, stages, ids, message):
    with pytest.raises(ValidationError) as refused:
        start(rep, "move", {"stage": stages["Evaluation"].pk}, ids)
    assert refused.value.messages == [message]
    assert not BulkEdit.objects.exists()


def test_too_wide_a_selection_is_refused(rep, stages, settings):
    settings.SALESFLOW_BULK_EDIT_MAX_ROWS = 3
    with pytest.raises(ValidationError, match="at most 3 deals"):
        start(rep, "move", {"stage": stages["Evaluation"].pk}, range(1, 5))


def test_an_id_picked_twice_is_edited_once(rep, deals, stages):
    deal = deals["mine"]
    job = start(rep, "move", {"stage": stages["Evaluation"].pk}, [deal.pk, str(deal.pk)])
    assert job.total == 1
    assert StageChange.objects.filter(opportunity=deal).count() == 2  # opened, moved


def test_a_large_selection_is_left_to_a_worker(rep, deals, stages, settings, monkeypatch):
    settings.SALESFLOW_BULK_EDIT_ASYNC_ROWS = 1
    from pipeline.bulkedit import tasks

    queued = []
    monkeypatch.setattr(tasks.run_bulk_edit, "delay_on_commit", queued.append)
    job = start(
        rep, "move", {"stage": stages["Evaluation"].pk}, [deals["mine"].pk, deals["mine_too"].pk]
    )
    assert (job.status, queued) == ("queued", [job.pk])
    assert not job.rows.exists()


def test_a_second_run_changes_nothing_twice(rep, deals, stages, settings, monkeypatch):
    settings.SALESFLOW_BULK_EDIT_ASYNC_ROWS = 1
    from pipeline.bulkedit import tasks

    monkeypatch.setattr(tasks.run_bulk_edit, "delay_on_commit", lambda pk: None)
    ids = [deals["mine"].pk, deals["mine_too"].pk]
    job = start(rep, "move", {"stage": stages["Evaluation"].pk}, ids)
    services.bulk_edit_run(job_id=job.pk)
    services.bulk_edit_run(job_id=job.pk)
    assert BulkEditRow.objects.filter(job=job).count() == 2
    assert StageChange.objects.filter(to_stage=stages["Evaluation"]).count() == 2


def test_a_run_abandoned_mid_job_is_taken_over_and_skips_what_was_done(
    rep, deals, stages, settings, monkeypatch
):
    """As after a worker's death: one deal done with its result, the lease lapsed."""
    settings.SALESFLOW_BULK_EDIT_ASYNC_ROWS = 1
    from pipeline.bulkedit import tasks

    monkeypatch.setattr(tasks.run_bulk_edit, "delay_on_commit", lambda pk: None)
    first, second = deals["mine"], deals["mine_too"]
    job = start(rep, "move", {"stage": stages["Evaluation"].pk}, [first.pk, second.pk])
    from pipeline.deals import services as deal_services

    deal_services.opportunity_move_stage(
        actor=rep, opportunity=first, to_stage=stages["Evaluation"]
    )
    BulkEditRow.objects.create(
        job=job, deal_id=first.pk, outcome="changed", message="Moved", at=timezone.now()
    )
    BulkEdit.objects.filter(pk=job.pk).update(
        status="running", changed_count=1, lease_until=timezone.now() + timedelta(minutes=1)
    )
    services.bulk_edit_run(job_id=job.pk)  # the lease still holds: a live run is left alone
    assert job.rows.count() == 1
    assert services.bulk_edits_resume() == []
    BulkEdit.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert services.bulk_edits_resume() == [job.pk]
    services.bulk_edit_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.changed_count, job.rows.count()) == ("done", 2, 2)
    assert StageChange.objects.filter(opportunity=first, to_stage=stages["Evaluation"]).count() == 1
    assert (
        StageChange.objects.filter(opportunity=second, to_stage=stages["Evaluation"]).count() == 1
    )


def test_a_run_that_lost_its_lease_stops_without_writing(rep, deals, stages):
    job = BulkEdit.objects.create(
        actor=rep,
        action="move",
        params={"stage": stages["Evaluation"].pk, "note": ""},
        deal_ids=[deals["mine"].pk],
        total=1,
    )
    edit = services._edit_for(job)
    import uuid

    assert services._apply_batch(job, uuid.uuid4(), [deals["mine"].pk], edit) is False
    assert not job.rows.exists()
    assert Opportunity.objects.get(pk=deals["mine"].pk).stage == stages["Qualified"]


def test_a_queued_job_whose_task_was_lost_is_resumed(rep, stages):
    job = BulkEdit.objects.create(
        actor=rep, action="move", params={"stage": stages["Evaluation"].pk}, deal_ids=[1], total=1
    )
    assert services.bulk_edits_resume() == []
    later = timezone.now() + timedelta(seconds=61)
    assert services.bulk_edits_resume(now=later) == [job.pk]


def test_each_change_is_in_the_audit_history_by_the_actor(rep, deals):
    from salesflow.core.audit import selectors as audit_selectors

    job = start(rep, "close_date", {"expected_close_date": "2027-05-05"}, [deals["mine"].pk])
    changes, _ = audit_selectors.object_history(Opportunity.objects.get(pk=deals["mine"].pk))
    latest = changes[0]
    assert [field.name for field in latest.fields] == ["expected_close_date"]
    assert latest.actor == rep
    assert latest.door_detail == f"bulk edit #{job.pk}"


def test_a_refusal_by_the_service_takes_back_only_that_deal(rep, deals, stages, monkeypatch):
    from pipeline.deals import services as deal_services

    real = deal_services.opportunity_move_stage
    broken = deals["mine_too"].pk

    def move(*, opportunity, **kwargs):
        result = real(opportunity=opportunity, **kwargs)
        if opportunity.pk == broken:  # after the move's writes: they must be taken back
            raise ValidationError("Refused after writing.")
        return result

    monkeypatch.setattr(deal_services, "opportunity_move_stage", move)
    ids = [deals["mine"].pk, broken]
    job = start(rep, "move", {"stage": stages["Evaluation"].pk}, ids)
    assert results(job)[broken] == ("refused", "Refused after writing.")
    assert Opportunity.objects.get(pk=broken).stage == stages["Qualified"]
    assert StageChange.objects.filter(opportunity_id=broken).count() == 1  # opened only
    assert Opportunity.objects.get(pk=deals["mine"].pk).stage == stages["Evaluation"]


def test_an_unexpected_error_on_one_deal_is_reported_not_fatal(rep, deals, stages, monkeypatch):
    from pipeline.deals import services as deal_services

    real = deal_services.opportunity_move_stage
    broken = deals["mine"].pk

    def move(*, opportunity, **kwargs):
        if opportunity.pk == broken:
            raise RuntimeError("boom")
        return real(opportunity=opportunity, **kwargs)

    monkeypatch.setattr(deal_services, "opportunity_move_stage", move)
    job = start(rep, "move", {"stage": stages["Evaluation"].pk}, [broken, deals["mine_too"].pk])
    assert results(job)[broken] == ("refused", services.UNEXPECTED)
    assert results(job)[deals["mine_too"].pk][0] == "changed"
    assert job.status == "done"


def test_a_stage_of_another_pipeline_is_refused_in_the_services_words(rep, deals, stages):
    from pipeline.deals.models import Pipeline, Stage

    other = Pipeline.objects.create(name="Schools")
    elsewhere = Stage.objects.create(pipeline=other, name="Visit", position=1, probability=20)
    job = start(rep, "move", {"stage": elsewhere.pk}, [deals["mine"].pk])
    assert results(job) == {deals["mine"].pk: ("refused", "Visit is a stage of another pipeline.")}
