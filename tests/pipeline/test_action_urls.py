"""One URL, and one view, per move of an SOE step or a follow-up: each address a form posts
to resolves to the view of that move alone, at the same address as before; an address
naming no move is a 404. A review's changes are tested in reviews/test_action_urls.py."""

from __future__ import annotations

import pytest
from django.urls import Resolver404, resolve, reverse

from pipeline.followups import views as followup_views
from pipeline.soe import views as soe_views


@pytest.mark.parametrize(
    ("name", "path", "view"),
    [
        ("pipeline:soe_step_done", "/soe/steps/7/done/", soe_views.soe_step_done),
        ("pipeline:soe_step_skip", "/soe/steps/7/skip/", soe_views.soe_step_skip),
        ("pipeline:soe_step_reopen", "/soe/steps/7/reopen/", soe_views.soe_step_reopen),
        ("pipeline:followup_done", "/follow-ups/7/done/", followup_views.followup_done),
        ("pipeline:followup_dismiss", "/follow-ups/7/dismiss/", followup_views.followup_dismiss),
        (
            "pipeline:followup_surface_now",
            "/follow-ups/7/surface-now/",
            followup_views.followup_surface_now,
        ),
        ("pipeline:followup_revise", "/follow-ups/7/revise/", followup_views.followup_revise),
        ("pipeline:followup_approve", "/follow-ups/7/review/", followup_views.followup_approve),
    ],
)
def test_each_move_has_its_own_url_and_view(name, path, view):
    assert reverse(name, args=[7]) == path
    match = resolve(path)
    assert (match.func, match.view_name, match.kwargs) == (view, name, {"pk": 7})


@pytest.mark.parametrize("path", ["/soe/steps/7/nope/", "/follow-ups/7/nope/"])
def test_an_address_naming_no_move_resolves_to_nothing(path):
    with pytest.raises(Resolver404):
        resolve(path)


@pytest.mark.django_db
def test_posting_to_a_move_that_does_not_exist_is_a_404(client, rep, deal):
    from pipeline.followups import services as followup_services
    from pipeline.soe import services as soe_services

    sequence = soe_services.soe_start(actor=rep, opportunity=deal)
    step = soe_services.soe_step_add(actor=rep, sequence=sequence, text="Pilot")
    follow_up = followup_services.followup_create(actor=rep, account=deal.account, purpose="Ask")
    client.force_login(rep)
    assert client.post(f"/soe/steps/{step.pk}/nope/").status_code == 404
    assert client.post(f"/follow-ups/{follow_up.pk}/nope/").status_code == 404
    # A move is a POST; reading its address changes nothing.
    assert client.get(f"/soe/steps/{step.pk}/done/").status_code == 405
    assert client.get(f"/follow-ups/{follow_up.pk}/dismiss/").status_code == 405
