"""The Sequence of Events: the prospect's own steps, non-linear, with history."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from pipeline.deals.models import Opportunity
from pipeline.soe import selectors as soe_selectors
from pipeline.soe import services as soe_services
from pipeline.soe.models import Sequence as SoeSequence
from pipeline.soe.models import SoeChange, SoeStep, SoeTemplate, SoeTemplateStep, StepKind
from tests.factories import AccountFactory, ContactFactory, SegmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def soe(rep, deal):
    return soe_services.soe_start(actor=rep, opportunity=deal)


def add(rep, soe, text, **fields):
    return soe_services.soe_step_add(actor=rep, sequence=soe, text=text, **fields)


def order(soe):
    return list(soe.steps.order_by("position").values_list("text", flat=True))


def test_a_template_seeds_steps_that_stay_the_reps_to_change(rep, deal):
    hospitals = SegmentFactory(name="Hospitals")
    security = StepKind.objects.create(name="Security review")
    template = SoeTemplate.objects.create(name="Hospital buying", segment=hospitals)
    SoeTemplateStep.objects.create(
        template=template, position=0, text="IT security review", kind=security, days_after_start=14
    )
    SoeTemplateStep.objects.create(template=template, position=1, text="Board approval")
    soe = soe_services.soe_start(actor=rep, opportunity=deal, template=template)
    steps = list(soe.steps.order_by("position"))
    assert [s.text for s in steps] == ["IT security review", "Board approval"]
    assert steps[0].kind == security
    assert steps[0].target_date == timezone.localdate() + timedelta(days=14)
    assert steps[0].first_target_date == steps[0].target_date
    soe_services.soe_step_update(actor=rep, step=steps[1], text="Board meeting on 12 March")
    template.steps.all().delete()  # the template changing later touches nothing
    assert order(soe) == ["IT security review", "Board meeting on 12 March"]


def test_a_deal_has_one_soe(rep, deal, soe):
    with pytest.raises(ValidationError, match="already has"):
        soe_services.soe_start(actor=rep, opportunity=deal)


def test_steps_are_added_inserted_and_reordered(rep, soe):
    add(rep, soe, "Security review")
    add(rep, soe, "Board approval")
    add(rep, soe, "Pilot with two wards", position=1)
    assert order(soe) == ["Security review", "Pilot with two wards", "Board approval"]
    ids = list(soe.steps.order_by("position").values_list("pk", flat=True))
    soe_services.soe_reorder(actor=rep, sequence=soe, step_ids=[ids[2], ids[0], ids[1]])
    assert order(soe) == ["Board approval", "Security review", "Pilot with two wards"]
    assert SoeChange.objects.filter(sequence=soe, action="moved").count() == 1


def test_a_reorder_naming_another_soes_step_changes_nothing(rep, soe, open_deal):
    first = add(rep, soe, "Security review")
    add(rep, soe, "Board approval")
    other = soe_services.soe_start(actor=rep, opportunity=open_deal(rep))
    stranger = add(rep, other, "Not yours")
    with pytest.raises(ValidationError, match="reload"):
        soe_services.soe_reorder(actor=rep, sequence=soe, step_ids=[stranger.pk, first.pk])
    assert order(soe) == ["Security review", "Board approval"]


def test_steps_are_done_out_of_order_skipped_with_a_reason_and_reopened(rep, soe):
    first = add(rep, soe, "Security review")
    second = add(rep, soe, "Pilot")
    soe_services.soe_step_done(actor=rep, step=second)
    with pytest.raises(ValidationError, match="already done"):
        soe_services.soe_step_done(actor=rep, step=second)
    with pytest.raises(ValidationError, match="Say why"):
        soe_services.soe_step_skip(actor=rep, step=first, reason="  ")
    soe_services.soe_step_skip(actor=rep, step=first, reason="They dropped it")
    first.refresh_from_db()
    assert (first.status, first.skip_reason) == ("skipped", "They dropped it")
    soe_services.soe_step_reopen(actor=rep, step=first)
    first.refresh_from_db()
    assert (first.status, first.skip_reason) == ("open", "")
    actions = list(soe.changes.order_by("at", "pk").values_list("action", flat=True))
    assert actions == ["started", "added", "added", "done", "skipped", "reopened"]


def test_moving_a_date_keeps_the_old_one_and_the_first_promise(rep, soe):
    promised = timezone.localdate() + timedelta(days=10)
    step = add(rep, soe, "Board approval", target_date=promised)
    later = promised + timedelta(days=21)
    soe_services.soe_step_update(actor=rep, step=step, target_date=later)
    step.refresh_from_db()
    assert (step.target_date, step.first_target_date) == (later, promised)
    change = soe.changes.get(action="date_moved")
    assert change.old_target_date == promised
    assert change.by == rep


def test_provenance_must_come_from_this_account(rep, deal, soe, log_yes):
    helen = ContactFactory(account=deal.account, name="Helen Shaw")
    talk = log_yes(deal.account)
    step = add(
        rep,
        soe,
        "Pilot with two wards",
        proposed_by=helen,
        proposed_on=timezone.localdate(),
        source_conversation=talk,
        responsible_contact=helen,
        responsible_user=rep,
        owner_side="both",
    )
    assert (step.proposed_by, step.source_conversation) == (helen, talk)
    stranger = ContactFactory(account=AccountFactory(owner=rep))
    with pytest.raises(ValidationError) as refused:
        add(rep, soe, "Sneaky", proposed_by=stranger)
    assert "proposed_by" in refused.value.error_dict
    with pytest.raises(ValidationError):
        add(rep, soe, "Far away", target_date=timezone.localdate().replace(year=2300))
    with pytest.raises(ValidationError):
        add(rep, soe, "Proposed tomorrow", proposed_on=timezone.localdate() + timedelta(days=1))
    assert order(soe) == ["Pilot with two wards"]


def test_reception_is_recorded_and_lukewarm_warns_on_the_deal_and_the_board(client, rep, deal, soe):
    soe_services.soe_set_reception(actor=rep, sequence=soe, reception="lukewarm", note="Shrugged")
    soe.refresh_from_db()
    assert soe.is_warning
    client.force_login(rep)
    page = client.get(reverse("pipeline:opportunity_detail", args=[deal.pk])).content.decode()
    assert "Qualification warning" in page
    board = client.get(reverse("pipeline:board")).content.decode()
    assert "SOE lukewarm" in board
    soe_services.soe_set_reception(actor=rep, sequence=soe, reception="keen")
    assert "SOE lukewarm" not in client.get(reverse("pipeline:board")).content.decode()


def test_progress_next_step_and_slipped_steps(rep, soe):
    today = timezone.localdate()
    late = add(rep, soe, "Security review", target_date=today - timedelta(days=3))
    done = add(rep, soe, "Site visit", target_date=today - timedelta(days=9))
    skipped = add(rep, soe, "Reference call")
    add(rep, soe, "Board approval", target_date=today + timedelta(days=5))
    soe_services.soe_step_done(actor=rep, step=done)
    soe_services.soe_step_skip(actor=rep, step=skipped, reason="Not needed")
    summary = soe_selectors.soe_summary(steps=soe_selectors.soe_steps(sequence=soe))
    assert (summary.done, summary.total) == (1, 3)
    assert summary.next_step == late
    assert summary.slipped == [late]


def test_an_soe_change_counts_as_activity_but_a_slipped_step_does_not(rep, deal, soe):
    from tests.pipeline.deals.test_stuck import idle, stuck_ids

    step = add(rep, soe, "Security review", target_date=timezone.localdate() - timedelta(days=30))
    idle(deal, 30)
    SoeChange.objects.filter(sequence=soe).update(at=timezone.now() - timedelta(days=30))
    assert stuck_ids() == {deal.pk}  # the slipped step sits there: no activity
    soe_services.soe_step_update(actor=rep, step=step, notes="Tom is on leave until Monday")
    assert stuck_ids() == set()


def test_teammates_read_the_soe_but_cannot_change_it(client, rep, teammate, outsider, deal, soe):
    step = add(rep, soe, "Security review")
    with pytest.raises(ValidationError, match="read-only"):
        soe_services.soe_step_done(actor=teammate, step=step)
    client.force_login(teammate)
    page = client.get(reverse("pipeline:soe", args=[deal.pk]))
    assert page.status_code == 200
    assert b"Add the step" not in page.content
    for name, args in (
        ("pipeline:soe_step_add", [deal.pk]),
        ("pipeline:soe_reception", [deal.pk]),
        ("pipeline:soe_reorder", [deal.pk]),
        ("pipeline:soe_step_done", [step.pk]),
        ("pipeline:soe_step_edit", [step.pk]),
    ):
        assert client.post(reverse(name, args=args), {"text": "x"}).status_code == 403
    client.force_login(outsider)
    assert client.get(reverse("pipeline:soe", args=[deal.pk])).status_code == 404
    for name, args in (
        ("pipeline:soe_step_add", [deal.pk]),
        ("pipeline:soe_step_done", [step.pk]),
        ("pipeline:soe_step_edit", [step.pk]),
    ):
        assert client.post(reverse(name, args=args), {"text": "x"}).status_code == 404
    step.refresh_from_db()
    assert step.status == "open"
    assert soe.steps.count() == 1


def test_the_soe_page_builds_a_sequence_through_its_forms(client, rep, deal, stages):
    client.force_login(rep)
    url = reverse("pipeline:soe", args=[deal.pk])
    assert b"Start the SOE" in client.get(url).content
    client.post(url, {"template": ""})
    add_url = reverse("pipeline:soe_step_add", args=[deal.pk])
    client.post(add_url, {"text": "Board approval", "owner_side": "prospect"})
    client.post(add_url, {"text": "Security review", "owner_side": "prospect", "position": "1"})
    soe = SoeSequence.objects.get(opportunity=deal)
    assert order(soe) == ["Security review", "Board approval"]
    second = soe.steps.get(text="Board approval")
    client.post(
        reverse("pipeline:soe_reorder", args=[deal.pk]), {"move": second.pk, "direction": "up"}
    )
    assert order(soe) == ["Board approval", "Security review"]
    ids = list(soe.steps.order_by("position").values_list("pk", flat=True))
    client.post(reverse("pipeline:soe_reorder", args=[deal.pk]), {"step": list(reversed(ids))})
    assert order(soe) == ["Security review", "Board approval"]
    client.post(reverse("pipeline:soe_step_done", args=[second.pk]))
    client.post(
        reverse("pipeline:soe_reception", args=[deal.pk]), {"reception": "declined", "note": "No"}
    )
    page = client.get(url).content.decode()
    assert "1 of 2" in page
    assert "Received <strong>declined</strong>" in page
    bad = client.post(add_url, {"text": "", "owner_side": "nobody"})
    assert bad.status_code == 422
    assert soe.steps.count() == 2


@pytest.mark.parametrize("size", [1, 25])
def test_soe_page_query_count_is_constant(
    client, rep, deal, soe, size, django_assert_max_num_queries
):
    helen = ContactFactory(account=deal.account)
    for n in range(size):
        add(rep, soe, f"Step {n}", proposed_by=helen, responsible_user=rep)
    client.force_login(rep)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("pipeline:soe", args=[deal.pk]))
    assert response.status_code == 200


def test_deal_page_still_has_a_constant_query_count_with_an_soe(
    client, rep, deal, soe, django_assert_max_num_queries
):
    for n in range(20):
        add(rep, soe, f"Step {n}")
    client.force_login(rep)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("pipeline:opportunity_detail", args=[deal.pk])).status_code == 200
    assert Opportunity.objects.count() == 1
    assert SoeStep.objects.count() == 20


def test_a_done_step_that_completes_the_stage_suggests_the_next_one(client, rep, deal, soe, stages):
    pilot = StepKind.objects.create(name="Pilot")
    stages["Qualified"].completing_kinds.add(pilot)
    step = add(rep, soe, "Pilot with two wards", kind=pilot)
    assert (
        soe_selectors.stage_suggestion(
            opportunity=deal, steps=soe_selectors.soe_steps(sequence=soe)
        )
        is None
    )
    soe_services.soe_step_done(actor=rep, step=step)
    suggestion = soe_selectors.stage_suggestion(
        opportunity=deal, steps=soe_selectors.soe_steps(sequence=soe)
    )
    assert suggestion.stage == stages["Solution development"]
    assert suggestion.because == step
    deal.refresh_from_db()
    assert deal.stage == stages["Qualified"]  # never moves on its own
    client.force_login(rep)
    page = client.get(reverse("pipeline:soe", args=[deal.pk])).content.decode()
    assert "Move to Solution development" in page
    # One click, through the same move service.
    client.post(
        reverse("pipeline:opportunity_move", args=[deal.pk]),
        {"stage": stages["Solution development"].pk, "from_stage": stages["Qualified"].pk},
    )
    deal.refresh_from_db()
    assert deal.stage == stages["Solution development"]
    assert (
        soe_selectors.stage_suggestion(
            opportunity=deal, steps=soe_selectors.soe_steps(sequence=soe)
        )
        is None
    )


def test_a_step_completing_the_last_open_stage_suggests_closing_with_a_reason(
    client, rep, deal, soe, stages
):
    from pipeline.deals import services as deal_services

    signed = StepKind.objects.create(name="Contract signed")
    stages["Decision"].completing_kinds.add(signed)
    deal_services.opportunity_move_stage(actor=rep, opportunity=deal, to_stage=stages["Decision"])
    step = add(rep, soe, "Sign the contract", kind=signed)
    soe_services.soe_step_done(actor=rep, step=step)
    deal.refresh_from_db()
    suggestion = soe_selectors.stage_suggestion(
        opportunity=deal, steps=soe_selectors.soe_steps(sequence=soe)
    )
    assert suggestion.stage == stages["Won"]
    client.force_login(rep)
    page = client.get(reverse("pipeline:opportunity_detail", args=[deal.pk]))
    assert b"Close it, with a reason" in page.content
    preselected = client.get(
        reverse("pipeline:opportunity_detail", args=[deal.pk]), {"stage": stages["Won"].pk}
    )
    assert str(preselected.context["move_form"]["stage"].value()) == str(stages["Won"].pk)


def test_promised_vs_actual_per_kind_for_a_segment(
    client, rep, manager, outsider, standard, open_deal
):
    hospitals = SegmentFactory(name="Hospitals")
    security = StepKind.objects.create(name="Security review")
    pilot = StepKind.objects.create(name="Pilot")
    today = timezone.localdate()
    for late_by in (4, 10):
        deal = open_deal(rep, account=AccountFactory(owner=rep, segment=hospitals))
        sequence = soe_services.soe_start(actor=rep, opportunity=deal)
        first = add(rep, sequence, "Pilot", kind=pilot, target_date=today - timedelta(days=20))
        second = add(
            rep, sequence, "Security", kind=security, target_date=today - timedelta(days=late_by)
        )
        soe_services.soe_step_done(actor=rep, step=second, done_on=today)  # out of order
        soe_services.soe_step_done(actor=rep, step=first, done_on=today - timedelta(days=22))
    patterns = {
        p.kind: p for p in soe_selectors.buying_patterns(user=manager, segment_id=hospitals.pk)
    }
    assert patterns["Security review"].done == 2
    assert patterns["Security review"].average_slip_days == 7.0
    assert patterns["Security review"].late_share == 1.0
    assert patterns["Security review"].typical_place == 2.0
    assert patterns["Pilot"].average_slip_days == -2.0
    assert patterns["Pilot"].late_share == 0.0
    assert soe_selectors.buying_patterns(user=outsider, segment_id=hospitals.pk) == []
    client.force_login(manager)
    page = client.get(reverse("pipeline:soe_templates"), {"segment": hospitals.pk})
    assert page.status_code == 200
    assert "Security review" in page.content.decode()
    soe_page = client.get(reverse("pipeline:soe", args=[deal.pk])).content.decode()
    assert "Done 10 days after the first promised date" in soe_page
    assert "Done 2 days before the first promised date" in soe_page


def test_a_step_completing_a_later_stage_suggests_nothing_yet(rep, deal, soe, stages):
    pilot = StepKind.objects.create(name="Pilot")
    stages["Solution development"].completing_kinds.add(pilot)  # the deal is in Qualified
    soe_services.soe_step_done(actor=rep, step=add(rep, soe, "Pilot on two wards", kind=pilot))
    assert (
        soe_selectors.stage_suggestion(
            opportunity=deal, steps=soe_selectors.soe_steps(sequence=soe)
        )
        is None
    )


def test_long_notes_and_bad_positions_are_refused_with_a_message(client, rep, deal, soe):
    client.force_login(rep)
    url = reverse("pipeline:soe_step_add", args=[deal.pk])
    response = client.post(url, {"text": "Review", "owner_side": "prospect", "notes": "x" * 2001})
    assert response.status_code == 422
    assert "at most 2000 characters" in response.content.decode()
    response = client.post(url, {"text": "Review", "owner_side": "prospect", "position": "0"})
    assert response.status_code == 422
    assert "Where:" in response.content.decode()
    with pytest.raises(ValidationError):
        add(rep, soe, "Too long", notes="x" * 2001)
    assert soe.steps.count() == 0


def test_a_keyboard_move_returns_to_the_moved_step(client, rep, deal, soe):
    add(rep, soe, "First")
    second = add(rep, soe, "Second")
    client.force_login(rep)
    response = client.post(
        reverse("pipeline:soe_reorder", args=[deal.pk]), {"move": second.pk, "direction": "up"}
    )
    assert response["Location"].endswith(f"#step-{second.pk}")
    assert order(soe) == ["Second", "First"]
    assert soe.changes.filter(action="moved").get().summary == "Now: Second → First"


def test_a_step_offers_the_accounts_latest_conversations_and_the_one_it_names(
    client, rep, deal, soe, log_yes
):
    now = timezone.now()
    talks = [log_yes(deal.account, when=now - timedelta(days=days)) for days in range(60, 7, -1)]
    oldest = talks[0]
    step = add(rep, soe, "Pilot with two wards", source_conversation=oldest)
    client.force_login(rep)

    def offered(url: str) -> list[str]:
        html = client.get(url).content.decode()
        select = re.search(r'<select name="source_conversation".*?</select>', html, re.S)
        return re.findall(r'<option value="(\d+)"', select.group(0))

    latest = [str(talk.pk) for talk in reversed(talks)][: soe_selectors.SOE_CONVERSATION_CHOICES]
    assert offered(reverse("pipeline:soe", args=[deal.pk])) == latest
    # Editing the step still offers the old conversation it names.
    assert offered(reverse("pipeline:soe_step_edit", args=[step.pk])) == [*latest, str(oldest.pk)]
    # A new step can name a conversation the form offered, not one it did not.
    url = reverse("pipeline:soe_step_add", args=[deal.pk])
    step = {"text": "Board meeting", "owner_side": "prospect"}
    client.post(url, {**step, "source_conversation": latest[0]})
    assert order(soe) == ["Pilot with two wards", "Board meeting"]
    response = client.post(url, {**step, "text": "Budget", "source_conversation": oldest.pk})
    assert response.status_code in {200, 422}
    assert order(soe) == ["Pilot with two wards", "Board meeting"]
