"""A review's actions: owned by someone in the room, due within two years, pointing at one
part of the process at most, and linking to it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from pipeline.reviews import services
from pipeline.reviews.demo import run_review
from tests.pipeline.reviews.helpers import board

pytestmark = pytest.mark.django_db


def test_an_actions_owner_is_someone_in_the_room(client, ops, rep, teammate, outsider):
    review = run_review(
        facilitator=ops, title="Room", written=[(rep, "delta", "Slow")], finish=False
    )
    services.review_advance(actor=ops, review=review, seen="grouping")
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="taking part"):
        services.action_create(actor=ops, review=review, text="Do", owner=teammate, due_on=today)
    client.force_login(ops)
    page = client.get(reverse("reviews:detail", args=[review.pk])).content.decode()
    owners = page.split('name="owner"')[1].split("</select>")[0]
    assert "Rita Rep" in owners
    assert "Theo Mate" not in owners
    # Dates from today to two years ahead; one part of the process at most.
    for due in (today - timedelta(days=1), today + timedelta(days=800), date(1, 1, 1)):
        with pytest.raises(ValidationError, match="due date"):
            services.action_create(actor=ops, review=review, text="Do", owner=rep, due_on=due)
    assert not review.actions.exists()


def test_an_action_points_at_one_part_of_the_process_at_most(ops, rep, stages):
    from pipeline.followups.models import PatienceRule

    review = run_review(
        facilitator=ops, title="One part", written=[(rep, "delta", "Slow")], finish=False
    )
    services.review_advance(actor=ops, review=review, seen="grouping")
    rule = PatienceRule.objects.create(kind="dragging_evaluation", days=3, why="Let it sink in")
    with pytest.raises(ValidationError, match="one part"):
        services.action_create(
            actor=ops,
            review=review,
            text="Do",
            owner=rep,
            due_on=timezone.localdate(),
            stage=stages["Qualified"],
            patience_rule=rule,
        )
    assert not review.actions.exists()


def test_actions_link_to_the_part_of_the_process_they_change(client, ops, rep, teammate, stages):
    from pipeline.followups.models import PatienceRule

    rule = PatienceRule.objects.create(kind="dragging_evaluation", days=7, why="Let it sink in")
    today = timezone.localdate()
    review = run_review(
        facilitator=ops,
        title="Linked",
        written=[(rep, "delta", "Proposals chased too soon")],
        actions=[
            {
                "text": "Wait at Decision",
                "owner": rep,
                "due_on": today,
                "stage": stages["Decision"],
            },
            {"text": "Hold a week", "owner": rep, "due_on": today, "patience_rule": rule},
        ],
    )
    client.force_login(ops)  # sales ops may edit patience rules in the admin
    page = board(client, review)
    board_url = reverse("pipeline:board_pipeline", args=[stages["Decision"].pipeline_id])
    assert f'<a href="{board_url}">stage Decision (Standard)</a>' in page
    admin_url = reverse("admin:pipeline_patiencerule_change", args=[rule.pk])
    assert f'href="{admin_url}"' in page
    client.force_login(rep)  # a rep has no admin: the rule is named, not linked
    page = board(client, review)
    assert admin_url not in page
    assert "patience rule “Dragging evaluation: Let it sink in”" in page
    assert f'<a href="{board_url}">' in client.get(reverse("home")).content.decode()
