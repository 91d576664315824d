"""A follow-up's history names its actions from FollowUpEvent.Action (migration 0013:
choices only, no column touched), and every action the services write is one of them."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from pipeline.followups import services as followup_services
from pipeline.followups import sweep as followup_sweep
from pipeline.followups.models import FollowUp, FollowUpEvent, PatienceRule
from prospects.models import ConversationKind
from prospects.services import conversation_log

pytestmark = pytest.mark.django_db
Action = FollowUpEvent.Action

choices_migration = importlib.import_module("pipeline.migrations.0013_followupevent_action_choices")


def test_the_choices_migration_changes_no_column(capsys):
    (operation,) = choices_migration.Migration.operations
    assert (operation.model_name, operation.name) == ("followupevent", "action")
    assert operation.field.choices == Action.choices
    assert operation.field.max_length == 16
    assert max(len(value) for value in Action.values) <= 16
    call_command("sqlmigrate", "pipeline", "0013")
    sql = [line for line in capsys.readouterr().out.splitlines() if not line.startswith("--")]
    assert sql == ["BEGIN;", "COMMIT;"]  # choices live in Python: nothing for the database


def test_the_choices_migration_is_applied_and_nothing_is_left_to_make():
    executor = MigrationExecutor(connection)
    assert ("pipeline", "0013_followupevent_action_choices") in executor.loader.applied_migrations
    call_command("makemigrations", "pipeline", "--check", "--dry-run", verbosity=0)


def test_every_action_the_services_write_is_a_choice(rep, manager, account):
    PatienceRule.objects.create(
        kind=PatienceRule.Kind.AFTER_CONVERSATION,
        conversation_kind=ConversationKind.SOLUTION_DEVELOPMENT,
        days=1,
        why="let the solution call sink in",
    )
    rep.team.review_followups = True
    rep.team.save()
    drafted = followup_services.followup_create(actor=rep, account=account, purpose="Ask")
    followup_services.followup_send_back(actor=manager, follow_up=drafted, comment="Shorter")
    followup_services.followup_revise(actor=rep, follow_up=drafted, purpose="Ask", draft="Hi")
    followup_services.followup_approve(actor=manager, follow_up=drafted)
    rep.team.review_followups = False
    rep.team.save()
    followup_services.followup_dismiss(actor=rep, follow_up=drafted, reason="They wrote first")
    proposed = followup_services.followup_propose(
        actor=rep, account=account, opportunity=None, purpose="Hear how it sits"
    ).follow_up
    FollowUp.objects.filter(pk=proposed.pk).update(surface_at=timezone.now() + timedelta(days=1))
    conversation_log(
        actor=rep,
        account=account,
        occurred_at=timezone.now(),
        channel="call",
        kind=ConversationKind.SOLUTION_DEVELOPMENT,
        notes="Walked them through it",
    )
    followup_services.followup_surface_now(actor=rep, follow_up=proposed, reason="They asked")
    followup_services.followup_done(actor=rep, follow_up=proposed)
    swept = followup_services.followup_create(actor=rep, account=account, purpose="Check in")
    FollowUp.objects.filter(pk=swept.pk).update(surface_at=timezone.now() - timedelta(minutes=1))
    followup_sweep.followups_surface_due()
    written = set(FollowUpEvent.objects.values_list("action", flat=True))
    assert written == set(Action.values)
