"""seed_demo holds a finished review and the next one, ready to start."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from pipeline.reviews import selectors
from pipeline.reviews.models import Review
from tests.pipeline.reviews.helpers import board

pytestmark = pytest.mark.django_db


def test_seed_demo_holds_a_finished_review_and_the_next_one_ready(client, standard):
    call_command("seed_demo", force=True, stdout=StringIO())
    finished = Review.objects.get(phase="summary")
    upcoming = Review.objects.get(phase="setup")
    assert finished.actions.count() == 4
    assert finished.actions.filter(done_at__isnull=False).count() == 1
    assert finished.groups.get().title == "Share the SOE earlier"
    assert finished.votes.count() == 6
    assert upcoming.items.filter(kind="fact").exists()
    assert selectors.previous_review(upcoming, upcoming.facilitator)[0] == finished
    from salesflow.core.models import User

    client.force_login(User.objects.get(username="ana"))
    home = client.get(reverse("home")).content.decode()
    assert "Write the buyer" in home  # her open action from the review
    client.force_login(User.objects.get(username="sam"))
    page = board(client, upcoming)
    assert "Since the last review" in page
    assert "Overdue</span>" in page
    call_command("seed_demo", force=True, stdout=StringIO())
    assert Review.objects.count() == 2
