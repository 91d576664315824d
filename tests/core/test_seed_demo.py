from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from salesflow.core.management.commands.seed_demo import DEMO_PASSWORD
from salesflow.core.models import Team, User

pytestmark = pytest.mark.django_db


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, force=True, **options)
    return out.getvalue()


def test_seed_demo_creates_every_role_and_prints_how_to_sign_in():
    output = seed()
    roles = sorted(User.objects.values_list("role", flat=True))
    assert roles == sorted(["manager", "rep", "rep", "rep", "sales_ops", "admin"])
    team = Team.objects.get()
    assert team.manager.role == "manager"
    assert team.members.filter(role="rep").count() == 3
    for username in ["maria", "ana", "ben", "chloe", "sam", "admin"]:
        assert f"{username:<10} {DEMO_PASSWORD}" in output
        assert User.objects.get(username=username).check_password(DEMO_PASSWORD)
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.get(username="sam").is_staff
    assert not User.objects.get(username="ana").is_staff


def test_seed_demo_is_idempotent_and_keeps_changed_passwords():
    seed()
    ana = User.objects.get(username="ana")
    ana.set_password("ana-chose-her-own")
    ana.save()
    output = seed()
    assert User.objects.count() == 6
    assert Team.objects.count() == 1
    assert "ana        (changed)" in output
    assert User.objects.get(username="ana").check_password("ana-chose-her-own")


def test_seed_demo_refuses_without_debug_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="runs only with DEBUG on"):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.exists()


def test_seed_demo_adds_accounts_in_three_segments_with_their_story():
    from prospects.models import Account, Conversation, WhyNote

    seed()
    assert Account.objects.values("segment__name").distinct().count() == 3
    assert (
        Account.objects.filter(contacts__isnull=False).distinct().count() == Account.objects.count()
    )
    assert Conversation.objects.count() >= 10
    assert WhyNote.objects.values("account").distinct().count() >= 3
    kestrel = Account.objects.get(name="Kestrel Components")
    assert kestrel.why_notes.count() == 2  # a why that changed, so the history shows
    assert kestrel.has_problem == "yes"
    counts = (Account.objects.count(), Conversation.objects.count(), WhyNote.objects.count())
    seed()
    assert (
        Account.objects.count(),
        Conversation.objects.count(),
        WhyNote.objects.count(),
    ) == counts


def test_each_app_seeds_its_demo_after_the_apps_it_builds_on():
    from salesflow.core.management.commands.seed_demo import app_demo_seeds

    modules = [seed.__module__ for seed in app_demo_seeds()]
    assert modules == ["prospects.demo", "pipeline.demo", "pipeline.reviews.demo"]


def test_seed_demo_says_what_each_app_added_after_the_sign_ins():
    lines = seed().splitlines()
    said = [
        r"Added \d+ demo accounts with contacts, conversations and whys\.",
        r"Added \d+ demo deals across the stages, a few of them stuck\.",
        r"Added \d+ closed deals over six quarters, for the dashboard\.",
        r"Added a finished plusses/deltas review with its actions, and the next one, "
        r"ready to start \(sign in as sam to facilitate\)\.",
    ]
    assert len(lines) == 8 + len(said)  # the heading, the columns, six people
    assert lines[7].startswith("  admin ")
    for line, pattern in zip(lines[8:], said, strict=True):
        assert re.fullmatch(pattern, line), line
    assert not any(line.startswith("Added") for line in seed().splitlines())  # nothing twice
