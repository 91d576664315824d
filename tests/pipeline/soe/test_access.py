"""Who may open and change a deal's SOE and its steps: the owner, a teammate (reads only),
an outsider (404), as pipeline.soe.access answers."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from pipeline.soe import access
from pipeline.soe import services as soe_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def step(rep, deal):
    sequence = soe_services.soe_start(actor=rep, opportunity=deal)
    return soe_services.soe_step_add(
        actor=rep, sequence=sequence, text="Pilot", target_date=timezone.localdate()
    )


def test_the_owner_opens_and_edits_the_soe_and_its_steps(rep, manager, deal, step):
    for user in (rep, manager):
        sequence = access.get_soe_for_user(user, deal.pk, for_edit=True)
        assert sequence == step.sequence
        assert sequence.opportunity == deal  # the deal as its access check loaded it
        assert access.can_edit_soe(user, sequence)
        assert access.get_step_for_user(user, step.pk) == step


def test_a_teammate_reads_the_soe_but_edits_neither_it_nor_a_step(teammate, deal, step):
    sequence = access.get_soe_for_user(teammate, deal.pk)
    assert not access.can_edit_soe(teammate, sequence)
    with pytest.raises(PermissionDenied, match="read-only"):
        access.get_soe_for_user(teammate, deal.pk, for_edit=True)
    with pytest.raises(PermissionDenied, match="read-only"):
        access.get_step_for_user(teammate, step.pk)


def test_an_outsider_finds_no_soe_and_no_step(outsider, deal, step):
    with pytest.raises(Http404):
        access.get_soe_for_user(outsider, deal.pk)
    with pytest.raises(Http404):
        access.get_step_for_user(outsider, step.pk)


def test_a_deal_without_an_soe_or_a_missing_step_is_404(rep, deal):
    with pytest.raises(Http404, match="no Sequence of Events yet"):
        access.get_soe_for_user(rep, deal.pk)
    with pytest.raises(Http404, match="No such step"):
        access.get_step_for_user(rep, 999_999)
