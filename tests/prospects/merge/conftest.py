from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from prospects import services
from prospects.models import Contact
from tests.factories import AccountFactory, ContactFactory


@pytest.fixture
def duplicate(rep, account, log):
    dup = AccountFactory(
        owner=rep,
        name="St Brigids Hosp.",
        website="https://stbrigids.example",
        segment=account.segment,
    )
    helen = ContactFactory(account=dup, name="Helen (duplicate)")
    log(dup, occurred_at=timezone.now() - timedelta(days=1), ready_to_act="yes", contacts=[helen])
    services.why_record(actor=rep, account=dup, text="Weekend beds", said_on=date(2026, 11, 1))
    return dup


@pytest.fixture
def twins(rep, account, contact):
    """A duplicate account whose Helen is the survivor's Helen (the same email, any case)."""
    contact.email = "helen.shaw@stbrigids.example"
    contact.save()
    dup = AccountFactory(owner=rep, name="St Brigids Hosp.", segment=account.segment)
    helen = ContactFactory(
        account=dup,
        name="Helen Shaw",
        title="",
        email="Helen.Shaw@StBrigids.example",
        phone="+44 20 7946 0000",
        buying_role=Contact.BuyingRole.UNKNOWN,
    )
    return dup, helen
