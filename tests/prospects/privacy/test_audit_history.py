"""Erasing a person erases them from the audit history too, and the erasure itself is
recorded there without the erased values."""

from __future__ import annotations

import pytest

from prospects.models import Contact
from prospects.privacy import services
from salesflow.core.audit.context import audit_context
from salesflow.core.audit.selectors import object_history
from salesflow.core.audit.tracking import EVENT_MODELS
from tests.prospects.privacy.conftest import EMAIL, FIRST_LAST, NAME, PHONE, text_columns_naming

pytestmark = pytest.mark.django_db


def _audit_tables_naming(*needles: str) -> set[str]:
    tables = {model._meta.db_table for model in EVENT_MODELS.values()}
    return {table for table, _, _ in text_columns_naming(*needles)} & tables


def test_the_history_named_the_person_before_the_erasure(person):
    """The scan below proves something only if the history held the person first."""
    Contact.objects.filter(pk=person.contact.pk).update(title="Chief Nurse")
    assert {
        "prospects_contactaudit",
        "prospects_whynoteaudit",
        "pipeline_opportunityaudit",
        "pipeline_soestepaudit",
        "pipeline_followupaudit",
    } <= _audit_tables_naming(NAME, FIRST_LAST, EMAIL, PHONE)


def test_an_erasure_leaves_nothing_of_the_person_in_the_history_and_is_recorded(person, sales_ops):
    contact = person.contact
    Contact.objects.filter(pk=contact.pk).update(title="Chief Nurse")

    with audit_context(door="page", detail=f"/contacts/{contact.pk}/erase/", user=sales_ops.pk):
        services.contact_erase(actor=sales_ops, contact=contact, confirmation=NAME)

    assert _audit_tables_naming(NAME, FIRST_LAST, EMAIL, PHONE, "Director of Nursing") == set()
    assert text_columns_naming(NAME, FIRST_LAST, EMAIL, PHONE) == []
    erasure, title_change, created = object_history(contact)[0]
    assert (erasure.actor, erasure.door, erasure.action) == (sales_ops, "page", "changed")
    lines = {f.name: (f.old, f.new) for f in erasure.fields}
    # Old values are "[erased]": the line says the data went, never what it was.
    assert lines["name"] == ("[erased]", "Erased contact")
    assert lines["email"] == ("[erased]", "—")
    assert lines["phone"] == ("[erased]", "—")
    # The title's change is still a line, by whom and when, but both its values are gone.
    assert (title_change.action, title_change.fields) == ("changed", ())
    assert ("name", "—", "[erased]") in [(f.name, f.old, f.new) for f in created.fields]
