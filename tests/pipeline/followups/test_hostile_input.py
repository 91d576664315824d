"""Random and hostile input on the follow-up form, its actions and the manager's approval: no
500, nothing half-saved."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tests.hostile import OK, fuzz, hostile, ids
from tests.pipeline.hostile import action_url, followup_state

pytestmark = pytest.mark.django_db


@fuzz
@given(purpose=hostile, channel=hostile, draft=hostile, deal_id=ids)
def test_followup_form(client, rep, deal, purpose, channel, draft, deal_id):
    client.force_login(rep)
    before = followup_state()
    response = client.post(
        reverse("pipeline:followup_create", args=[deal.account_id]),
        {"purpose": purpose, "channel": channel, "draft": draft, "opportunity": deal_id or ""},
    )
    assert response.status_code in OK
    after = followup_state()
    if response.status_code == 302:
        assert len(after[0]) == len(before[0]) + 1
    else:
        assert after == before
    assert "<script>alert(1)</script>" not in response.content.decode()


@fuzz
@given(
    action=st.sampled_from(["done", "dismiss", "surface-now", "revise", "nope"]),
    reason=hostile,
    purpose=hostile,
    draft=hostile,
)
def test_followup_actions(client, rep, deal, action, reason, purpose, draft):
    from pipeline.followups import services as followup_services

    client.force_login(rep)
    follow_up = followup_services.followup_create(
        actor=rep, account=deal.account, purpose="Ask about it"
    )
    response = client.post(
        action_url(reverse("pipeline:followup_done", args=[follow_up.pk]), action),
        {"reason": reason, "purpose": purpose, "draft": draft, "kind": reason, "notes": draft},
    )
    assert response.status_code in OK
    follow_up.refresh_from_db()
    assert follow_up.purpose.strip()
    if follow_up.status == "dismissed":
        assert follow_up.dismissed_reason.strip()


@fuzz
@given(decision=hostile, comment=hostile, draft=hostile)
def test_followup_approval(client, rep, manager, deal, decision, comment, draft):
    from pipeline.followups import services as followup_services

    rep.team.review_followups = True
    rep.team.save()
    follow_up = followup_services.followup_create(
        actor=rep, account=deal.account, purpose="Ask about it"
    )
    client.force_login(manager)
    response = client.post(
        reverse("pipeline:followup_approve", args=[follow_up.pk]),
        {"decision": decision, "comment": comment, "draft": draft},
    )
    assert response.status_code in OK
    follow_up.refresh_from_db()
    if follow_up.review == "sent_back":
        assert follow_up.review_comment.strip()
