"""A merge from its page leaves one event on the survivor with the user, the page and the
merge it was part of; the duplicate's own history stays about the duplicate."""

from __future__ import annotations

import pytest
from django.urls import reverse

from prospects.models import Account, Contact
from salesflow.core.audit.selectors import object_history
from salesflow.core.audit.tracking import EVENT_MODELS

pytestmark = pytest.mark.django_db


def test_a_merge_is_one_event_on_the_survivor_with_its_user_and_door(
    client, rep, account, duplicate
):
    client.force_login(rep)
    url = reverse("prospects:account_merge", args=[account.pk])
    dup_pk = duplicate.pk
    events = EVENT_MODELS[Account].objects.filter(pgh_obj_id=account.pk)
    before = events.count()
    moved = Contact.objects.get(account=duplicate)

    response = client.post(url, {"other": dup_pk, "name": "duplicate", "website": "survivor"})

    assert response.status_code == 302
    assert events.count() == before + 1
    change = object_history(account)[0][0]
    assert (change.actor, change.door, change.door_detail) == (rep, "page", url)
    assert change.reason == f"merge of #{dup_pk} into #{account.pk}"
    assert change.door_label == f"from the account page (merge of #{dup_pk} into #{account.pk})"
    names = {f.name: (f.old, f.new) for f in change.fields}
    assert names["name"] == ("St Brigid's Hospital", "St Brigids Hosp.")
    # The duplicate's contact moved over: its own event says from which account to which.
    [contact_change, *_] = object_history(moved)[0]
    assert (contact_change.actor, contact_change.reason) == (rep, change.reason)
    # The duplicate is gone: it is named as its history last knew it.
    assert [(f.name, f.old, f.new) for f in contact_change.fields] == [
        ("account", "St Brigids Hosp. (deleted)", "St Brigids Hosp.")
    ]
    # The deleted duplicate keeps its own history, deletion last.
    gone = Account(pk=dup_pk)
    history = object_history(gone)[0]
    assert history[0].action == "deleted"
    assert history[-1].action == "created"
    assert {c.object_id for c in history} == {dup_pk}
