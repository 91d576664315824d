"""A deal's Sequence of Events through the API: what the SOE page shows, and every change
the page makes — through the same services, refused with the same words, nothing
half-saved."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from pipeline.followups.models import FollowUp
from pipeline.soe import services as soe_services
from pipeline.soe.models import Sequence as SoeSequence
from pipeline.soe.models import SoeChange, SoeStep, SoeTemplate, SoeTemplateStep, StepKind
from prospects.models import Conversation
from tests.factories import AccountFactory, ContactFactory, SegmentFactory
from tests.pipeline.api.soe_support import assert_problem, send
from tests.pipeline.hostile import soe_state

pytestmark = pytest.mark.django_db


def steps_of(sequence: SoeSequence) -> list[str]:
    return list(sequence.steps.order_by("position", "pk").values_list("text", flat=True))


def test_a_deal_without_an_soe_says_so_and_how_to_start_one(client, rep, deal):
    client.force_login(rep)
    body = assert_problem(client.get(f"/api/v1/deals/{deal.pk}/soe/"), 404)
    assert "no Sequence of Events yet" in body["detail"]
    # An unknown deal reads differently: the client can tell the two apart.
    body = assert_problem(client.get("/api/v1/deals/999999/soe/"), 404)
    assert body["detail"] == "No such deal."


def test_the_soe_shows_its_steps_in_order_with_the_pages_summary(client, rep, soe, account):
    steps = list(soe.steps.order_by("position"))
    late = steps[0]
    SoeStep.objects.filter(pk=late.pk).update(target_date=timezone.localdate() - timedelta(days=2))
    soe_services.soe_step_done(actor=rep, step=steps[1])
    soe_services.soe_set_reception(actor=rep, sequence=soe, reception="lukewarm", note="Hmm")
    client.force_login(rep)
    body = client.get(f"/api/v1/deals/{soe.opportunity_id}/soe/").json()
    assert body["deal"] == {"id": soe.opportunity_id, "name": "Patient flow"}
    assert [s["text"] for s in body["steps"]] == ["Security review", "Board approval"]
    assert [s["position"] for s in body["steps"]] == [1, 2]
    assert [s["status"] for s in body["steps"]] == ["open", "done"]
    assert body["steps"][0]["slipped"] is True
    assert body["summary"] == {"done": 1, "total": 2, "next_step": late.pk, "slipped": [late.pk]}
    assert (body["reception"], body["reception_warning"], body["reception_note"]) == (
        "lukewarm",
        True,
        "Hmm",
    )
    assert body["can_edit"] is True


def test_start_blank_then_a_second_start_is_refused_with_the_services_words(client, rep, deal):
    client.force_login(rep)
    response = send(client, "post", f"/api/v1/deals/{deal.pk}/soe/", {})
    assert response.status_code == 201, response.content
    assert response.json()["steps"] == []
    assert SoeChange.objects.filter(action="started").count() == 1
    body = assert_problem(send(client, "post", f"/api/v1/deals/{deal.pk}/soe/", {}), 400)
    assert body["errors"] == {"non_field_errors": ["This deal already has a Sequence of Events."]}
    assert SoeChange.objects.filter(action="started").count() == 1


def test_start_from_an_offered_template_only(client, rep, deal):
    hospitals = SegmentFactory(name="Hospitals")
    deal.account.segment = hospitals
    deal.account.save()
    offered = SoeTemplate.objects.create(name="Hospital purchase", segment=hospitals)
    review = StepKind.objects.create(name="Security review")
    SoeTemplateStep.objects.create(
        template=offered, position=0, text="IT review", kind=review, days_after_start=14
    )
    other = SoeTemplate.objects.create(
        name="School purchase", segment=SegmentFactory(name="Schools")
    )
    client.force_login(rep)
    listed = client.get(f"/api/v1/deals/{deal.pk}/soe/templates/").json()
    assert [t["name"] for t in listed] == ["Hospital purchase"]
    assert listed[0]["steps"][0] == {
        "text": "IT review",
        "kind": {"id": review.pk, "name": "Security review"},
        "owner_side": "prospect",
        "days_after_start": 14,
    }
    body = assert_problem(
        send(client, "post", f"/api/v1/deals/{deal.pk}/soe/", {"template": other.pk}), 400
    )
    assert list(body["errors"]) == ["template"]
    assert not SoeSequence.objects.exists()
    response = send(client, "post", f"/api/v1/deals/{deal.pk}/soe/", {"template": offered.pk})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["template"] == {"id": offered.pk, "name": "Hospital purchase"}
    assert body["steps"][0]["text"] == "IT review"
    assert body["steps"][0]["target_date"] == str(timezone.localdate() + timedelta(days=14))


def test_add_a_step_at_a_place_with_this_accounts_people(client, rep, soe, account):
    dana = ContactFactory(account=account, name="Dana")
    client.force_login(rep)
    response = send(
        client,
        "post",
        f"/api/v1/deals/{soe.opportunity_id}/soe/steps/",
        {
            "text": "Pilot with two wards",
            "position": 1,
            "responsible_contact": dana.pk,
            "responsible_user": rep.pk,
            "owner_side": "both",
            "target_date": str(timezone.localdate() + timedelta(days=30)),
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["position"] == 1
    assert body["responsible_contact"] == {"id": dana.pk, "name": "Dana"}
    assert body["responsible_user"]["id"] == rep.pk
    assert body["first_target_date"] == body["target_date"]
    assert steps_of(soe) == ["Pilot with two wards", "Security review", "Board approval"]
    assert SoeChange.objects.filter(action="added", step_id=body["id"]).exists()


def test_a_step_naming_another_accounts_contact_is_refused_and_nothing_saved(
    client, rep, soe, outsider
):
    stranger = ContactFactory(account=AccountFactory(owner=outsider))
    before = soe_state()
    client.force_login(rep)
    path = f"/api/v1/deals/{soe.opportunity_id}/soe/steps/"
    body = assert_problem(
        send(client, "post", path, {"text": "X", "proposed_by": stranger.pk}), 400
    )
    assert list(body["errors"]) == ["proposed_by"]
    future = str(timezone.localdate() + timedelta(days=3))
    body = assert_problem(send(client, "post", path, {"text": "X", "proposed_on": future}), 400)
    assert body["errors"] == {"proposed_on": ["A step cannot have been proposed in the future."]}
    assert soe_state() == before


def test_change_a_step_keeps_the_first_date_and_the_history(client, rep, soe, account):
    step = soe.steps.order_by("position").first()
    conversation = Conversation.objects.create(
        account=account,
        logged_by=rep,
        occurred_at=timezone.now(),
        channel="call",
        kind="qualifying",
    )
    client.force_login(rep)
    first = timezone.localdate() + timedelta(days=7)
    later = first + timedelta(days=7)
    path = f"/api/v1/soe-steps/{step.pk}/"
    assert send(client, "patch", path, {"target_date": str(first)}).status_code == 200
    response = send(
        client,
        "patch",
        path,
        {"target_date": str(later), "notes": "CISO first", "source_conversation": conversation.pk},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["target_date"], body["first_target_date"]) == (str(later), str(first))
    assert (body["notes"], body["source_conversation"]) == ("CISO first", conversation.pk)
    moved = SoeChange.objects.filter(action="date_moved", step=step).order_by("-pk").first()
    assert moved.old_target_date == first
    assert client.get(path).json() == body


def test_reorder_names_every_step_once_or_is_refused(client, rep, soe):
    first, second = soe.steps.order_by("position").values_list("pk", flat=True)
    client.force_login(rep)
    path = f"/api/v1/deals/{soe.opportunity_id}/soe/reorder/"
    for wrong in ([first], [first, first, second], [first, second, 999_999], []):
        body = assert_problem(send(client, "post", path, {"steps": wrong}), 400)
        assert list(body["errors"]) == ["steps"], wrong
    assert steps_of(soe) == ["Security review", "Board approval"]
    response = send(client, "post", path, {"steps": [second, first]})
    assert response.status_code == 200, response.content
    assert [s["id"] for s in response.json()["steps"]] == [second, first]
    assert steps_of(soe) == ["Board approval", "Security review"]
    assert SoeChange.objects.filter(action="moved").count() == 1


def test_done_skip_reopen_follow_the_steps_state_machine(client, rep, soe):
    step = soe.steps.order_by("position").first()
    client.force_login(rep)
    base = f"/api/v1/soe-steps/{step.pk}/"
    response = send(client, "post", base + "done/", {})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["done_on"]) == (
        "done",
        str(timezone.localdate()),
    )
    # Done → skipped is not a move the table allows; the service says why.
    body = assert_problem(send(client, "post", base + "skip/", {"reason": "Dropped"}), 400)
    assert body["errors"]["non_field_errors"] == ["This step is already done."]
    body = assert_problem(send(client, "post", base + "done/", {}), 400)
    assert body["errors"]["non_field_errors"] == ["This step is already done."]
    assert send(client, "post", base + "reopen/").json()["status"] == "open"
    body = assert_problem(send(client, "post", base + "reopen/"), 400)
    assert body["errors"]["non_field_errors"] == ["This step is already open."]
    assert_problem(send(client, "post", base + "skip/", {"reason": "  "}), 400)
    skipped = send(client, "post", base + "skip/", {"reason": "They dropped it"}).json()
    assert (skipped["status"], skipped["skip_reason"]) == ("skipped", "They dropped it")
    actions = list(SoeChange.objects.filter(step=step).order_by("pk").values_list("action"))
    assert [a for (a,) in actions] == ["added", "done", "reopened", "skipped"]


def test_done_on_a_past_day_and_never_a_future_one(client, rep, soe):
    step = soe.steps.order_by("position").first()
    client.force_login(rep)
    path = f"/api/v1/soe-steps/{step.pk}/done/"
    tomorrow = str(timezone.localdate() + timedelta(days=1))
    body = assert_problem(send(client, "post", path, {"done_on": tomorrow}), 400)
    assert list(body["errors"]) == ["done_on"]
    assert SoeStep.objects.get(pk=step.pk).status == "open"
    yesterday = str(timezone.localdate() - timedelta(days=1))
    assert send(client, "post", path, {"done_on": yesterday}).json()["done_on"] == yesterday


def test_a_done_step_tells_of_the_follow_up_the_patience_rules_hold(client, rep, soe):
    step = soe.steps.order_by("position").first()
    client.force_login(rep)
    body = send(client, "post", f"/api/v1/soe-steps/{step.pk}/done/", {}).json()
    proposal = body["follow_up_proposal"]
    follow_up = FollowUp.objects.get()
    assert proposal["follow_up"] == follow_up.pk
    assert proposal["created"] is True
    assert proposal["message"].startswith("A follow-up is proposed")


def test_reception_and_history(client, rep, soe):
    client.force_login(rep)
    path = f"/api/v1/deals/{soe.opportunity_id}/soe/reception/"
    body = assert_problem(send(client, "post", path, {"reception": "ecstatic"}), 400)
    assert list(body["errors"]) == ["reception"]
    response = send(client, "post", path, {"reception": "keen", "note": "Board will see it"})
    assert response.status_code == 200, response.content
    assert (response.json()["reception"], response.json()["reception_at"] is not None) == (
        "keen",
        True,
    )
    history = client.get(f"/api/v1/deals/{soe.opportunity_id}/soe/history/").json()
    assert [change["action"] for change in history] == ["reception", "added", "added", "started"]
    assert history[0]["summary"] == "Keen: Board will see it"
    assert history[0]["by"]["id"] == rep.pk


def test_the_soe_reads_in_a_fixed_number_of_queries(
    client, rep, soe, account, django_assert_max_num_queries
):
    client.force_login(rep)
    path = f"/api/v1/deals/{soe.opportunity_id}/soe/"
    client.get(path)  # the session and the user, once
    counts = []
    for extra in (0, 20):
        for index in range(extra):
            soe_services.soe_step_add(
                actor=rep,
                sequence=soe,
                text=f"Step {index}",
                responsible_contact=ContactFactory(account=account),
                responsible_user=rep,
            )
        # The session, the user, the deal, its SOE, the steps with their people and kinds.
        with django_assert_max_num_queries(6) as captured:
            assert len(client.get(path).json()["steps"]) == 2 + extra
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1], counts
