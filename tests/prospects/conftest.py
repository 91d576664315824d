from __future__ import annotations

import importlib

import pytest

from prospects import services
from prospects.models import Contact
from tests.factories import AccountFactory, ContactFactory, UserFactory

starter_questions = importlib.import_module("prospects.migrations.0002_starter_questions")


@pytest.fixture(autouse=True)
def _starter_questions(request):
    """Tests with transaction=True flush every table afterwards, rows from data migrations
    included; put the starter question library back for the tests that expect it."""
    if "db" not in request.fixturenames and "transactional_db" not in request.fixturenames:
        marker = request.node.get_closest_marker("django_db")
        if marker is None:
            return
        request.getfixturevalue("transactional_db" if marker.kwargs.get("transaction") else "db")
    from django.apps import apps

    from prospects.models import FacilitativeQuestion

    if not FacilitativeQuestion.objects.exists():
        starter_questions.add_questions(apps, None)


@pytest.fixture
def account(rep):
    return AccountFactory(owner=rep, name="St Brigid's Hospital")


@pytest.fixture
def contact(account):
    return ContactFactory(
        account=account, name="Helen Shaw", buying_role=Contact.BuyingRole.CHAMPION
    )


@pytest.fixture
def other_account(outsider):
    return AccountFactory(owner=outsider, name="Elsewhere Ltd")


@pytest.fixture
def sales_ops(db):
    return UserFactory(role="sales_ops", first_name="Sam")


@pytest.fixture
def log(rep):
    """Log a conversation through the service, with sensible defaults."""
    from django.utils import timezone

    def _log(account, **changes):
        actor = changes.pop("actor", rep)
        values = {
            "occurred_at": timezone.now(),
            "channel": "call",
            "kind": "qualifying",
            # A conversation records something (an empty one is refused).
            "notes": "Talked it through",
            **changes,
        }
        return services.conversation_log(actor=actor, account=account, **values)

    return _log
