"""Two people saving the same new email address at the same moment: one gets it, the other
is refused, whichever commits first (a check alone would let both through)."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from salesflow.core.models import User
from salesflow.core.profile import services
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_people_claiming_one_address_at_once_one_is_refused():
    first, second = UserFactory(), UserFactory()
    claimed = threading.Event()
    release = threading.Event()
    outcome: dict[str, object] = {}

    def hold_it_uncommitted() -> None:
        try:
            with transaction.atomic():
                services.profile_update_details(
                    actor=first, first_name="A", last_name="B", email="shared@example.test"
                )
                claimed.set()
                release.wait(10)
        finally:
            connection.close()

    def claim_it_too() -> None:
        try:
            services.profile_update_details(
                actor=second, first_name="C", last_name="D", email="Shared@Example.test"
            )
            outcome["second"] = "saved"
        except ValidationError as error:
            outcome["second"] = error.message_dict
        finally:
            connection.close()

    holder = threading.Thread(target=hold_it_uncommitted)
    holder.start()
    assert claimed.wait(10)
    rival = threading.Thread(target=claim_it_too)
    rival.start()
    rival.join(1)
    # The rival waits on the address's lock while the first claim is uncommitted.
    assert rival.is_alive()
    release.set()
    holder.join(10)
    rival.join(10)
    assert outcome["second"] == {"email": [services.EMAIL_TAKEN]}
    assert User.objects.filter(email__iexact="shared@example.test").count() == 1
    second.refresh_from_db()
    assert (second.first_name, second.email) != ("C", "Shared@example.test")
