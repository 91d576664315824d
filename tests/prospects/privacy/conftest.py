"""A realistic person to export and erase: named in conversations (full name, first and last
name, email, phone), the why, an SOE step they proposed, a follow-up and its surfaced
notification and email, a deal's name, a stage move's note, an import's CSV, a review item and
the admin's log — and another contact on the same account who must come through untouched."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from prospects import services as prospect_services
from prospects.models import AccountEvent, AccountImport, Contact
from tests.factories import ContactFactory
from tests.pipeline.conftest import reason, stages, standard  # noqa: F401 - fixtures

NAME = "Helen Margaret Shaw"
FIRST_LAST = "Helen Shaw"
EMAIL = "helen.shaw@stbrigids.example"
PHONE = "+44 20 7946 0958"
# The other contact: their data must stay, and must not be in the person's export.
OTHER_NAME = "Tomasz Wierzbicki"
OTHER_EMAIL = "t.wierzbicki@stbrigids.example"


@dataclass
class Seeded:
    contact: Contact
    other: Contact
    deal: object
    step: object
    follow_up: object


@pytest.fixture
def person(rep, account, stages, reason):  # noqa: F811 - pytest fixtures by name
    from pipeline.deals import services as deal_services
    from pipeline.followups import services as followup_services
    from pipeline.followups import sweep
    from pipeline.reviews.models import Action, Group, Item, Review
    from pipeline.soe import services as soe_services

    contact = ContactFactory(
        account=account,
        name=NAME,
        title="Director of Nursing",
        email=EMAIL,
        phone=PHONE,
        buying_role=Contact.BuyingRole.CHAMPION,
    )
    other = ContactFactory(
        account=account, name=OTHER_NAME, email=OTHER_EMAIL, phone="+44 20 7946 0111"
    )
    now = timezone.now()
    first = prospect_services.conversation_log(
        actor=rep,
        account=account,
        occurred_at=now - dt.timedelta(days=9),
        channel="call",
        kind="qualifying",
        contacts=[contact, other],
        notes=f"{FIRST_LAST} says weekend discharges stall; call her on {PHONE}.",
        emotion_found="helen shaw is tired of Friday bed pressure",
    )
    prospect_services.conversation_log(
        actor=rep,
        account=account,
        occurred_at=now - dt.timedelta(days=8),
        channel="email",
        kind="solution_development",
        contacts=[other],
        notes=f"{OTHER_NAME} forwarded the figures to {EMAIL.upper()}.",
    )
    prospect_services.conversation_log(
        actor=rep,
        account=account,
        occurred_at=now - dt.timedelta(days=7),
        channel="meeting",
        kind="solution_development",
        contacts=[other],
        notes=f"{OTHER_NAME} walked us round ward 4.",
    )
    prospect_services.why_record(
        actor=rep,
        account=account,
        text=f"{NAME} wants beds free by Friday noon.",
        said_by=contact,
        said_on=dt.date.today(),
    )
    deal = deal_services.opportunity_create(
        actor=rep,
        account=account,
        name=f"Ward pilot with {FIRST_LAST}",
        owner=rep,
        value=48_000,
        pipeline=stages["Qualified"].pipeline,
        stage=stages["Qualified"],
        next_step=f"Send {EMAIL} the pilot outline",
    )
    to_stage = next(s for s in stages.values() if s.position > stages["Qualified"].position)
    deal_services.opportunity_move_stage(
        actor=rep,
        opportunity=deal,
        to_stage=to_stage,
        from_stage=stages["Qualified"],
        note=f"{NAME} agreed the pilot scope.",
    )
    sequence = soe_services.soe_start(actor=rep, opportunity=deal)
    step = soe_services.soe_step_add(
        actor=rep,
        sequence=sequence,
        text=f"Board paper by {FIRST_LAST}",
        proposed_by=contact,
        proposed_on=dt.date.today(),
        responsible_contact=contact,
        source_conversation=first,
        notes=f"Ask {EMAIL} for the draft",
        target_date=dt.date.today() + dt.timedelta(days=14),
    )
    follow_up = followup_services.followup_create(
        actor=rep,
        account=account,
        opportunity=deal,
        purpose=f"Send {FIRST_LAST} the pilot plan",
        draft=f"Dear {NAME},\nthe plan is attached. Call me back on {PHONE}?",
    )
    # Surfaced: its notification and the email in the outbox quote the purpose and draft.
    sweep.followups_surface_due(now=timezone.now() + dt.timedelta(days=60))
    AccountImport.objects.create(
        uploaded_by=rep,
        file_name="hospitals.csv",
        content=(
            "account,contact,email,phone\n"
            f"St Brigid's Hospital,{NAME},{EMAIL},{PHONE}\n"
            f"St Brigid's Hospital,{OTHER_NAME},{OTHER_EMAIL},\n"
        ),
        status=AccountImport.Status.INVALID,
        total_rows=2,
        errors=[{"row": 2, "message": f"{EMAIL} is already a contact"}],
    )
    # A timeline line that quotes them (a merge or status change says why in words).
    AccountEvent.objects.create(
        account=account,
        kind=AccountEvent.Kind.MERGED,
        occurred_at=now,
        actor=rep,
        summary=f"Merged “{FIRST_LAST} (private practice)” into this account",
    )
    review = Review.objects.create(title="Quarter review", facilitator=rep)
    group = Group.objects.create(review=review, title=f"Waiting on {FIRST_LAST}")
    Item.objects.create(
        review=review, kind="delta", text=f"We chased {NAME} too early", group=group
    )
    Action.objects.create(
        review=review,
        text=f"Agree dates with {FIRST_LAST} first",
        owner=rep,
        due_on=dt.date.today(),
    )
    LogEntry.objects.create(
        user=rep,
        content_type=ContentType.objects.get_for_model(Contact),
        object_id=str(contact.pk),
        object_repr=NAME,
        action_flag=CHANGE,
        change_message='[{"changed": {"fields": ["Phone"]}}]',
    )
    return Seeded(contact=contact, other=other, deal=deal, step=step, follow_up=follow_up)


def text_columns_naming(*needles: str) -> list[tuple[str, str, str]]:
    """Every (table, column, needle) of the database whose text, varchar or JSON values
    contain a needle (case ignored): every table, not only the ones salesflow knows of."""
    from django.db import connection

    hits = []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT table_schema, table_name, column_name, data_type
            FROM information_schema.columns
            WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
              AND data_type IN ('text', 'character varying', 'jsonb', 'json')
            ORDER BY table_name, column_name
            """
        )
        columns = cursor.fetchall()
        for schema, table, column, data_type in columns:
            value = f'"{column}"::text' if data_type in ("jsonb", "json") else f'"{column}"'
            for needle in needles:
                cursor.execute(
                    f'SELECT count(*) FROM "{schema}"."{table}" WHERE {value} ILIKE %s',
                    [f"%{needle}%"],
                )
                if cursor.fetchone()[0]:
                    hits.append((table, column, needle))
    return hits
