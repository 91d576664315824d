from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from pipeline.appointments import services as appointment_services
from tests.factories import ContactFactory


@pytest.fixture
def contact(account):
    return ContactFactory(account=account, name="Dr Nora Quinn")


@pytest.fixture
def appointment(rep, account, deal, contact):
    return appointment_services.appointment_create(
        actor=rep,
        account=account,
        opportunity=deal,
        contacts=[contact],
        kind="demo",
        starts_at=timezone.now() + timedelta(days=2),
        duration_minutes=45,
        place="https://meet.example.org/ward-demo",
        agenda="Show the discharge board to the ward leads.",
    )
