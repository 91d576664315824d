"""Data-protection requests: export everything salesflow holds about a contact, or erase it.

Both ask every holder (prospects.privacy.holders.HOLDERS): prospects' own texts and those the
apps built on it registered. An erasure scrubs the person's name, email and phone from every
text that quotes them, turns the contact row into an anonymous placeholder (so conversations,
deals and figures stay whole) and records who erased which contact, when, and how many rows
of each kind changed — never what they said.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from prospects.models import Contact
from prospects.privacy.access import can_handle_requests
from prospects.privacy.held import ERASED_CONTACT
from prospects.privacy.holders import HOLDERS, Person
from prospects.privacy.models import Erasure
from salesflow.core.models import User
from salesflow.core.webhooks.events import webhook_event

# The export's format name and version, first in the file (README: "Data-protection requests").
EXPORT_FORMAT = "salesflow-contact-export/1"
# What another contact's name, email or phone becomes in a person's export.
ANOTHER_PERSON = "[another contact]"


def _check_actor(actor: User) -> None:
    if not can_handle_requests(actor):
        raise PermissionDenied("Only sales ops and admins handle data-protection requests.")


def contact_export(*, actor: User, contact: Contact) -> dict[str, Any]:
    """Everything held about the contact, as JSON-ready sections (dates and amounts as
    Python values: the view writes them with Django's JSON encoder)."""
    _check_actor(actor)
    person = Person.of(contact)
    sections: dict[str, Any] = {}
    for holder in (*HOLDERS.registered, *HOLDERS.closing):
        for name, section in holder.export(person).items():
            if name in sections:
                raise RuntimeError(f"Two holders export a section named {name!r}.")
            sections[name] = section
    # Texts that quote the person may quote others too ("Tomasz forwarded it to Helen"):
    # what the export gives the person is theirs, not their colleagues' names and numbers.
    others = Person.others_near(contact, person)
    sections = {
        name: section
        if name == "contact"
        else others.scrub(section, replacement=ANOTHER_PERSON, keys=False)
        for name, section in sections.items()
    }
    return {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now(),
        "exported_by": actor.username,
        **sections,
    }


def confirmation_matches(contact: Contact, typed: str) -> bool:
    """The erase form's check: the contact's full name exactly, or their email (which mail
    systems compare without case)."""
    typed = typed.strip()
    if not typed:
        return False
    if typed == contact.name.strip():
        return True
    return bool(contact.email) and typed.casefold() == contact.email.strip().casefold()


@transaction.atomic
def contact_erase(*, actor: User, contact: Contact, confirmation: str) -> Erasure:
    """Erase the contact's personal data everywhere, in one transaction: every holder
    scrubs its texts, then the contact row becomes the placeholder. Refused (nothing
    changed) unless `confirmation` is the contact's full name or email."""
    _check_actor(actor)
    # Locked first: two erasures of one contact (a double submit) run one after the other,
    # and the second finds it already erased.
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.erased_at is not None:
        raise ValidationError("This contact's data is already erased.", code="erased")
    if not confirmation_matches(contact, confirmation):
        raise ValidationError(
            {
                "confirmation": "Type the contact's full name or email exactly as shown "
                "to confirm. Nothing was erased."
            },
            code="unconfirmed",
        )
    person = Person.of(contact)
    counts: dict[str, int] = {}
    for holder in HOLDERS.registered:
        for kind, count in holder.erase(person).items():
            counts[kind] = counts.get(kind, 0) + count
    now = timezone.now()
    Contact.objects.filter(pk=contact.pk).update(
        name=ERASED_CONTACT,
        title="",
        email="",
        phone="",
        buying_role=Contact.BuyingRole.UNKNOWN,
        erased_at=now,
        updated_at=now,  # an update() does not touch auto_now fields; a sync must see it
    )
    for holder in HOLDERS.closing:
        for kind, count in holder.erase(person).items():
            counts[kind] = counts.get(kind, 0) + count
    # A receiver that keeps copies of contacts learns of it (the placeholder, nothing of the
    # person: the holders scrubbed the earlier payloads above, this one is made after).
    contact.refresh_from_db()
    webhook_event("contact.updated", contact, actor=actor)
    return Erasure.objects.create(
        contact_id=contact.pk,
        contact_pk=contact.pk,
        erased_by=actor,
        erased_at=now,
        counts={kind: count for kind, count in sorted(counts.items()) if count},
    )
