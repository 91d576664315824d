"""Random and hostile input on the SOE's forms and step actions, and in a calendar's text: no
500, nothing half-saved."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tests.hostile import OK, fuzz, hostile, ids
from tests.pipeline.hostile import action_url, soe_state

pytestmark = pytest.mark.django_db


@fuzz
@given(
    text=hostile,
    side=hostile,
    target=hostile,
    proposed_on=hostile,
    contact=ids,
    user=ids,
    conversation=ids,
    kind=ids,
    position=hostile,
    notes=hostile,
)
def test_soe_step_form(
    client,
    rep,
    deal,
    soe,
    text,
    side,
    target,
    proposed_on,
    contact,
    user,
    conversation,
    kind,
    position,
    notes,
):
    client.force_login(rep)
    before = soe_state()
    response = client.post(
        reverse("pipeline:soe_step_add", args=[deal.pk]),
        {
            "text": text,
            "owner_side": side,
            "target_date": target,
            "proposed_on": proposed_on,
            "proposed_by": contact,
            "responsible_contact": contact,
            "responsible_user": user,
            "source_conversation": conversation,
            "kind": kind,
            "position": position,
            "notes": notes,
        },
    )
    assert response.status_code in OK
    after = soe_state()
    if response.status_code == 302:
        assert len(after[1]) == len(before[1]) + 1
        assert after[2] == before[2] + 1
    else:
        assert after == before
    assert "<script>alert(1)</script>" not in response.content.decode()


@fuzz
@given(steps=st.lists(ids, max_size=4), move=ids, direction=hostile)
def test_soe_reorder(client, rep, deal, soe, steps, move, direction):
    client.force_login(rep)
    before = soe_state()
    for data in ({"step": steps}, {"move": move, "direction": direction}):
        response = client.post(reverse("pipeline:soe_reorder", args=[deal.pk]), data)
        assert response.status_code in OK
    after = soe_state()
    # Only positions may change, and only as a permutation of the same steps.
    assert sorted(p for p, *_ in after[1]) == sorted(p for p, *_ in before[1])
    assert [rest for _, *rest in after[1]] == [rest for _, *rest in before[1]]


@fuzz
@given(
    reception=hostile,
    note=hostile,
    reason=hostile,
    action=st.sampled_from(["done", "skip", "reopen", "nope"]),
)
def test_soe_reception_and_step_actions(client, rep, deal, soe, reception, note, reason, action):
    client.force_login(rep)
    response = client.post(
        reverse("pipeline:soe_reception", args=[deal.pk]), {"reception": reception, "note": note}
    )
    assert response.status_code in OK
    step = soe.steps.first()
    response = client.post(
        action_url(reverse("pipeline:soe_step_done", args=[step.pk]), action), {"reason": reason}
    )
    assert response.status_code in OK
    step.refresh_from_db()
    if step.status == "skipped":
        assert step.skip_reason.strip()


@fuzz
@given(text=hostile, side=hostile, target=hostile, contact=ids, user=ids, notes=hostile)
def test_soe_step_edit_form(client, rep, deal, soe, text, side, target, contact, user, notes):
    client.force_login(rep)
    step = soe.steps.order_by("position").first()
    before = soe_state()
    response = client.post(
        reverse("pipeline:soe_step_edit", args=[step.pk]),
        {
            "text": text,
            "owner_side": side,
            "target_date": target,
            "responsible_contact": contact,
            "responsible_user": user,
            "notes": notes,
        },
    )
    assert response.status_code in OK
    if response.status_code != 302:
        assert soe_state() == before
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_a_hostile_ics_text_is_escaped(rep, deal):
    from pipeline.soe import calendar
    from pipeline.soe import services as soe_services

    sequence = soe_services.soe_start(actor=rep, opportunity=deal)
    step = soe_services.soe_step_add(
        actor=rep,
        sequence=sequence,
        text="Review; then sign, quickly\\now",
        target_date=deal.created_at.date(),
        notes="line one\r\nEND:VCALENDAR\nBEGIN:VEVENT",
    )
    step.sequence.opportunity = deal
    text = calendar.calendar([step], name="Test")
    assert "SUMMARY:St Brigid's Hospital: Review\\; then sign\\, quickly\\\\now" in text
    # The notes cannot end the calendar or start an event of their own.
    lines = text.split("\r\n")
    assert lines.count("END:VCALENDAR") == 1
    assert lines.count("BEGIN:VEVENT") == 1
