"""model_update, the one recipe for a service that edits a row: lock → check → set only
what changed → full_clean → save(update_fields=…)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from prospects.models import Account
from salesflow.core.services import model_update
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db
FIELDS = ("name", "website", "owner", "status", "disqualified_reason")


@pytest.fixture
def account():
    account = AccountFactory(name="St Brigid's")
    long_ago = timezone.now() - timedelta(days=30)
    Account.objects.filter(pk=account.pk).update(updated_at=long_ago)
    account.refresh_from_db()
    return account


def test_only_the_changed_fields_are_saved_with_the_stamp(account):
    with CaptureQueriesContext(connection) as queries:
        updated, changed = model_update(
            instance=account, fields=FIELDS, data={"name": "St Brigid's", "website": "https://x.ie"}
        )
    assert changed == {"website": ""}  # field → its old value
    assert updated.updated_at > timezone.now() - timedelta(minutes=1)
    (update,) = [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]
    assert '"website"' in update
    assert '"updated_at"' in update
    assert '"name"' not in update
    read = next(q["sql"] for q in queries if q["sql"].startswith("SELECT"))
    assert read.endswith('FOR UPDATE OF "prospects_account"')  # the row alone is locked
    account.refresh_from_db()
    assert account.website == "https://x.ie"


def test_nothing_changed_saves_nothing(account):
    before = account.updated_at
    with CaptureQueriesContext(connection) as queries:
        _, changed = model_update(
            instance=account, fields=FIELDS, data={"name": "St Brigid's", "owner": account.owner}
        )
    assert changed == {}
    assert not [q for q in queries if q["sql"].startswith("UPDATE")]
    account.refresh_from_db()
    assert account.updated_at == before


def test_a_foreign_key_is_compared_by_id_and_its_old_value_is_the_id(account):
    old_owner = account.owner_id
    someone = UserFactory()
    updated, changed = model_update(instance=account, fields=FIELDS, data={"owner": someone})
    assert changed == {"owner": old_owner}
    assert updated.owner == someone


def test_the_check_sees_the_stored_row_and_may_add_what_follows(account):
    account.name = "Changed by a bound form, never saved"
    seen = []

    def check(locked, data):
        seen.append(locked.name)
        if data.get("status") != Account.Status.DISQUALIFIED:
            data["disqualified_reason"] = ""

    Account.objects.filter(pk=account.pk).update(disqualified_reason="Old")
    updated, changed = model_update(
        instance=account, fields=FIELDS, data={"status": "customer"}, check=check
    )
    assert seen == ["St Brigid's"]
    assert (updated.status, updated.disqualified_reason) == ("customer", "")
    assert set(changed) == {"status", "disqualified_reason"}


def refuse(*args):
    raise ValidationError("No.")


@pytest.mark.parametrize(
    "refusal",
    [{"check": refuse}, {"validate": refuse}, {"data": {"website": "not a web address"}}],
)
def test_a_refusal_changes_nothing(account, refusal):
    data = refusal.pop("data", {"website": "https://x.ie"})
    with pytest.raises(ValidationError):
        model_update(instance=account, fields=FIELDS, data=data, **refusal)
    account.refresh_from_db()
    assert account.website == ""


def test_a_field_the_caller_may_not_change_is_a_programming_error(account):
    with pytest.raises(TypeError, match="cannot change segment"):
        model_update(instance=account, fields=FIELDS, data={"segment": None})
