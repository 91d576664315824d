"""What prospects (and salesflow.core, below it) hold about a person: the texts of accounts,
contacts, conversations, why notes, the timeline and imports, and core's notifications,
outbox and admin log. Registered in HOLDERS by prospects' AppConfig.ready().

The contact row itself is not here: the erase service anonymises it last, after every holder
has looked for the person's name in the texts.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from prospects.models import (
    Account,
    AccountEvent,
    AccountImport,
    Contact,
    Conversation,
    WhyNote,
)
from prospects.privacy.holders import Person, values_of
from salesflow.core.models import IdempotencyKey, Notification, OutboxMessage
from salesflow.core.webhooks.models import WebhookAttempt

# The name the contact row keeps once erased (and its admin log entries with it).
ERASED_CONTACT = "Erased contact"

# Each table's texts that may quote a person, looked through in the whole table: a person
# named in another account's notes (they moved on, or were a reference) is erased there too.
TEXTS: list[tuple[str, type, tuple[str, ...]]] = [
    ("accounts", Account, ("name", "website", "disqualified_reason")),
    ("other_contacts", Contact, ("name", "title", "email", "phone")),
    ("conversations", Conversation, ("notes", "emotion_found")),
    ("why_notes", WhyNote, ("text",)),
    ("timeline", AccountEvent, ("summary",)),
    ("imports", AccountImport, ("file_name", "content", "errors")),
    ("notifications", Notification, ("title", "body")),
    ("emails", OutboxMessage, ("recipient", "subject", "body", "last_error")),
    ("admin_log", LogEntry, ("object_repr", "change_message")),
    # The API's kept answers to creations (replayed to a retry for 24 hours) quote what was
    # created; scrubbed, not deleted, so a retry still gets its answer and creates nothing.
    # Not exported: they copy records the export already holds.
    ("api_answers", IdempotencyKey, ("response_body",)),
    # What a webhook receiver answered (500 characters kept for the delivery log) may echo
    # the payload back; the payload itself is an outbox row's body, above. Not exported
    # either: a receiver's words, not salesflow's record of the person.
    ("webhook_answers", WebhookAttempt, ("response_excerpt",)),
]


def _about_contact(person: Person) -> Q:
    """The admin's log entries of the contact row itself (object_id is text there)."""
    contact_type = ContentType.objects.get_for_model(Contact)
    return Q(content_type_id=contact_type.pk, object_id=str(person.contact_pk))


def export(person: Person) -> dict[str, Any]:
    contact = Contact.objects.select_related("account").get(pk=person.contact_pk)
    attended = Conversation.objects.filter(contacts=contact)
    attended_ids = set(attended.values_list("pk", flat=True))
    conversations = (
        Conversation.objects.filter(
            Q(pk__in=attended_ids) | person.named_in("notes", "emotion_found")
        )
        .select_related("logged_by")
        .order_by("occurred_at", "pk")
    )
    why_notes = WhyNote.objects.filter(Q(said_by=contact) | person.named_in("text")).order_by(
        "created_at", "pk"
    )
    imports = AccountImport.objects.filter(
        person.named_in("file_name", "content", "errors")
    ).order_by("created_at", "pk")
    return {
        "contact": {
            **values_of(contact, ("name", "title", "email", "phone", "buying_role")),
            "erased_at": contact.erased_at,
        },
        "account": {"id": contact.account_id, "name": contact.account.name},
        "conversations": [
            {
                **values_of(row, ("occurred_at", "channel", "kind", "notes", "emotion_found")),
                "logged_by": str(row.logged_by),
                "attended": row.pk in attended_ids,
                "has_problem": row.get_has_problem_display(),
                "accepts_significance": row.get_accepts_significance_display(),
                "ready_to_act": row.get_ready_to_act_display(),
            }
            for row in conversations
        ],
        "why_notes": [
            {
                **values_of(row, ("text", "said_on", "created_at")),
                "said_by_them": row.said_by_id == contact.pk,
                "account_id": row.account_id,
            }
            for row in why_notes
        ],
        "timeline": [
            values_of(row, ("kind", "occurred_at", "summary"))
            for row in AccountEvent.objects.filter(person.named_in("summary")).order_by(
                "occurred_at", "pk"
            )
        ],
        "other_contacts_naming_them": [
            values_of(row, ("name", "title", "email", "phone"))
            for row in Contact.objects.filter(
                person.named_in("name", "title", "email", "phone")
            ).exclude(pk=contact.pk)
        ],
        "imports": [
            {
                **values_of(row, ("file_name", "created_at")),
                # The rows of the uploaded file that name them, not the whole file.
                "lines": person.lines_naming(row.content),
                "errors": [error for error in row.errors if person.mentioned(error)],
            }
            for row in imports
        ],
        "notifications": [
            values_of(row, ("kind", "title", "body", "created_at"))
            for row in Notification.objects.filter(person.named_in("title", "body"))
        ],
        "emails": [
            values_of(row, ("subject", "body", "status", "created_at", "sent_at"))
            for row in OutboxMessage.objects.filter(person.named_in("recipient", "subject", "body"))
        ],
        "admin_log": [
            {
                "id": row.pk,
                "action_time": row.action_time,
                "action": row.get_action_flag_display(),
                "object": row.object_repr,
                "change": row.get_change_message(),
            }
            for row in LogEntry.objects.filter(
                _about_contact(person) | person.named_in("object_repr", "change_message")
            ).order_by("action_time", "pk")
        ],
    }


def erase(person: Person) -> dict[str, int]:
    # The admin's entries about the contact name it in object_repr even where no text does
    # (the person's name was the row's name): they become the placeholder's first, so the
    # scrub below counts only the other entries that quote the person.
    about_contact = (
        LogEntry.objects.filter(_about_contact(person))
        .exclude(object_repr=ERASED_CONTACT, change_message="")
        .update(object_repr=ERASED_CONTACT, change_message="")
    )
    counts = {}
    for kind, model, fields in TEXTS:
        rows = model.objects.all()
        if model is Contact:
            # The contact's own row becomes the placeholder afterwards (services.contact_erase).
            rows = rows.exclude(pk=person.contact_pk)
        counts[kind] = person.scrub_rows(rows, fields)
    counts["admin_log"] += about_contact
    return counts
