"""Log a conversation from anywhere: find the account first, among those the user may log on."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def test_quick_log_lists_only_accounts_the_user_may_log_on(client, rep, teammate, account):
    theirs = AccountFactory(owner=teammate, name="St Brigid Annex")
    client.force_login(rep)
    accounts = client.get(reverse("prospects:quick_log"), {"q": "brigid"}).context["accounts"]
    assert accounts == [account]
    assert theirs not in accounts
    html = client.get(
        reverse("prospects:quick_log"), {"q": "brig"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert reverse("prospects:conversation_create", args=[account.pk]) in html
    assert "<html" not in html  # only the results fragment
