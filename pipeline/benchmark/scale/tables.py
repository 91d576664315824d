"""The tables the scale data set writes: the columns COPY fills, and how to find, count and
delete the data set's rows (everything named ``scale-…``) beside anyone else's."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils import timezone

from pipeline.benchmark.scale.sizes import PREFIX
from pipeline.deals.models import Opportunity, StageChange
from pipeline.followups.models import FollowUp, FollowUpEvent
from pipeline.reviews.models import Action, Group, Item, Participant, PhaseChange, Review, Vote
from pipeline.soe.models import CalendarFeed, SoeChange, SoeStep
from pipeline.soe.models import Sequence as SoeSequence
from prospects.models import Account, AccountEvent, Contact, Conversation, WhyNote
from salesflow.core.models import Notification, Team, User

# The tables COPY fills and the columns written. Leaf tables (True) have nothing pointing
# at them: their ids come from the column default (the same sequence) as COPY inserts, so
# id blocks are reserved up front only for the parents.
COPY_TABLES: dict[str, tuple[type[Model] | Any, list[str], bool]] = {
    model._meta.db_table: (model, columns.split(), leaf)
    for model, columns, leaf in [
        (
            Account,
            "id name website segment_id lead_source_id owner_id status disqualified_reason "
            "has_problem has_problem_changed_at accepts_significance "
            "accepts_significance_changed_at ready_to_act ready_to_act_changed_at "
            "created_at updated_at",
            False,
        ),
        (Contact, "id account_id name title email phone buying_role updated_at", False),
        (
            Conversation,
            "id account_id logged_by_id occurred_at channel kind notes emotion_found "
            "has_problem accepts_significance ready_to_act created_at",
            False,
        ),
        (Conversation.contacts.through, "conversation_id contact_id", True),
        (Conversation.questions_asked.through, "conversation_id facilitativequestion_id", True),
        (WhyNote, "id account_id text said_by_id said_on recorded_by_id created_at", False),
        (
            AccountEvent,
            "account_id kind occurred_at actor_id conversation_id why_note_id summary",
            True,
        ),
        (
            Opportunity,
            "id account_id name owner_id pipeline_id stage_id value currency "
            "expected_close_date lead_source_id next_step close_reason_id closed_at stuck_since "
            "furthest_rank qualified_at qualified_has_problem qualified_accepts_significance "
            "qualified_ready_to_act specialist_override_note created_at updated_at",
            False,
        ),
        (
            StageChange,
            "opportunity_id from_stage_id to_stage_id at by_id note reason_id "
            "has_problem accepts_significance ready_to_act left_at",
            True,
        ),
        (
            SoeSequence,
            "id opportunity_id template_id reception reception_note reception_at created_at",
            False,
        ),
        (
            SoeStep,
            "id sequence_id position text kind_id proposed_by_id proposed_on "
            "source_conversation_id owner_side responsible_contact_id responsible_user_id "
            "target_date first_target_date notes status done_on skip_reason updated_at",
            False,
        ),
        (SoeChange, "sequence_id step_id action at by_id summary old_target_date", True),
        (
            FollowUp,
            "id account_id opportunity_id owner_id channel draft purpose status review "
            "review_comment surface_at holds end_of_quarter proposed surfaced_at "
            "surfaced_early_reason closed_at dismissed_reason created_at",
            False,
        ),
        (FollowUpEvent, "follow_up_id action at by_id note", True),
    ]
}

# Every table the data set writes to, for ANALYZE and for the report.
ANALYZED: list[type[Model] | Any] = [User, Team, *(model for model, _, _ in COPY_TABLES.values())]
ANALYZED += [Review, Participant, Item, Group, Vote, Action, PhaseChange]


def exists() -> bool:
    return (
        Team.objects.filter(name__startswith=PREFIX).exists()
        or User.objects.filter(username__startswith=PREFIX).exists()
        or Account.objects.filter(name__startswith=PREFIX).exists()
    )


def delete_existing() -> None:
    """Remove a previous scale data set, child tables first, by set-based DELETEs (the ORM
    would fetch every row to emulate cascades). Demo and other data are not touched."""
    accounts = "SELECT id FROM prospects_account WHERE name LIKE 'scale-%%'"
    deals = f"SELECT id FROM pipeline_opportunity WHERE account_id IN ({accounts})"
    sequences = f"SELECT id FROM pipeline_sequence WHERE opportunity_id IN ({deals})"
    followups = f"SELECT id FROM pipeline_followup WHERE account_id IN ({accounts})"
    talks = f"SELECT id FROM prospects_conversation WHERE account_id IN ({accounts})"
    reviews = "SELECT id FROM reviews_review WHERE title LIKE 'scale-%%'"
    users = "SELECT id FROM core_user WHERE username LIKE 'scale-%%'"
    statements = [
        *(
            f"DELETE FROM {model._meta.db_table} WHERE review_id IN ({reviews})"
            for model in (Vote, Action, PhaseChange, Participant)
        ),
        f"UPDATE reviews_item SET group_id = NULL WHERE review_id IN ({reviews})",
        f"DELETE FROM reviews_group WHERE review_id IN ({reviews})",
        f"DELETE FROM reviews_item WHERE review_id IN ({reviews})",
        f"DELETE FROM reviews_review WHERE id IN ({reviews})",
        f"DELETE FROM pipeline_followupevent WHERE follow_up_id IN ({followups})",
        f"DELETE FROM pipeline_followup WHERE id IN ({followups})",
        f"DELETE FROM pipeline_soechange WHERE sequence_id IN ({sequences})",
        f"DELETE FROM pipeline_soestep WHERE sequence_id IN ({sequences})",
        f"DELETE FROM pipeline_sequence WHERE id IN ({sequences})",
        f"DELETE FROM pipeline_stagechange WHERE opportunity_id IN ({deals})",
        f"DELETE FROM pipeline_opportunity WHERE id IN ({deals})",
        f"DELETE FROM prospects_accountevent WHERE account_id IN ({accounts})",
        f"DELETE FROM prospects_conversation_contacts WHERE conversation_id IN ({talks})",
        f"DELETE FROM prospects_conversation_questions_asked WHERE conversation_id IN ({talks})",
        f"DELETE FROM prospects_conversation WHERE id IN ({talks})",
        f"DELETE FROM prospects_whynote WHERE account_id IN ({accounts})",
        f"DELETE FROM prospects_contact WHERE account_id IN ({accounts})",
        f"DELETE FROM prospects_account WHERE id IN ({accounts})",
        f"DELETE FROM {Notification._meta.db_table} WHERE user_id IN ({users})",
        f"DELETE FROM {CalendarFeed._meta.db_table} WHERE user_id IN ({users})",
        "UPDATE core_team SET manager_id = NULL WHERE name LIKE 'scale-%%'",
        f"DELETE FROM core_user WHERE id IN ({users})",
        "DELETE FROM core_team WHERE name LIKE 'scale-%%'",
    ]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def counts() -> dict[str, int]:
    """Rows per table of the scale data set (not the demo's)."""
    accounts = Account.objects.filter(name__startswith=PREFIX)
    deals = Opportunity.objects.filter(name__startswith=PREFIX)
    talks = Conversation.objects.filter(account__name__startswith=PREFIX)
    followups = FollowUp.objects.filter(account__name__startswith=PREFIX)
    sequences = SoeSequence.objects.filter(opportunity__name__startswith=PREFIX)
    reviews = Review.objects.filter(title__startswith=PREFIX)
    asked = Conversation.questions_asked.through.objects
    now = timezone.now()
    return {
        "core_team": Team.objects.filter(name__startswith=PREFIX).count(),
        "core_user": User.objects.filter(username__startswith=PREFIX).count(),
        "prospects_account": accounts.count(),
        "prospects_contact": Contact.objects.filter(account__in=accounts).count(),
        "prospects_conversation": talks.count(),
        "prospects_conversation_contacts": Conversation.contacts.through.objects.filter(
            conversation__in=talks
        ).count(),
        "prospects_conversation_questions_asked": asked.filter(conversation__in=talks).count(),
        "prospects_whynote": WhyNote.objects.filter(account__in=accounts).count(),
        "prospects_accountevent": AccountEvent.objects.filter(account__in=accounts).count(),
        "pipeline_opportunity": deals.count(),
        "pipeline_opportunity (open)": deals.filter(closed_at__isnull=True).count(),
        "pipeline_stagechange": StageChange.objects.filter(opportunity__in=deals).count(),
        "pipeline_sequence": sequences.count(),
        "pipeline_soestep": SoeStep.objects.filter(sequence__in=sequences).count(),
        "pipeline_soechange": SoeChange.objects.filter(sequence__in=sequences).count(),
        "pipeline_followup": followups.count(),
        "pipeline_followup (held)": followups.filter(status=FollowUp.Status.HELD).count(),
        "pipeline_followup (due now)": followups.filter(
            status=FollowUp.Status.HELD, surface_at__lte=now
        ).count(),
        "pipeline_followupevent": FollowUpEvent.objects.filter(follow_up__in=followups).count(),
        "reviews_review": reviews.count(),
        "reviews_participant": Participant.objects.filter(review__in=reviews).count(),
        "reviews_item": Item.objects.filter(review__in=reviews).count(),
        "reviews_group": Group.objects.filter(review__in=reviews).count(),
        "reviews_vote": Vote.objects.filter(review__in=reviews).count(),
        "reviews_action": Action.objects.filter(review__in=reviews).count(),
        "reviews_phasechange": PhaseChange.objects.filter(review__in=reviews).count(),
    }
