"""What prospects announces: listeners act inside the announcing write's transaction, and
what they say reaches the rep on the page where the conversation was logged."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from prospects import signals
from prospects.merge import services as merge_services
from prospects.models import Account, AccountEvent, Conversation
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def listening() -> Iterator[list[dict[str, object]]]:
    """A listener on both signals that records what it was sent and answers a sentence."""
    heard: list[dict[str, object]] = []

    def listener(sender: type, **kwargs: object) -> str:
        heard.append(kwargs)
        return "Heard it."

    signals.conversation_logged.connect(listener, dispatch_uid="test-listener")
    signals.account_merged.connect(listener, dispatch_uid="test-listener")
    yield heard
    signals.conversation_logged.disconnect(dispatch_uid="test-listener")
    signals.account_merged.disconnect(dispatch_uid="test-listener")


@pytest.fixture
def failing() -> Iterator[None]:
    def listener(sender: type, **kwargs: object) -> None:
        raise RuntimeError("the listener failed")

    signals.conversation_logged.connect(listener, dispatch_uid="test-failing")
    signals.account_merged.connect(listener, dispatch_uid="test-failing")
    yield
    signals.conversation_logged.disconnect(dispatch_uid="test-failing")
    signals.account_merged.disconnect(dispatch_uid="test-failing")


def test_logging_a_conversation_announces_it_with_who_logged_it(rep, account, log, listening):
    conversation = log(account)
    assert listening == [
        {"signal": signals.conversation_logged, "conversation": conversation, "actor": rep}
    ]
    assert "Heard it." in conversation.outcome_messages


def test_a_listener_that_fails_leaves_nothing_logged(rep, account, log, failing):
    with pytest.raises(RuntimeError, match="the listener failed"):
        log(account)
    assert not Conversation.objects.exists()
    assert not AccountEvent.objects.filter(kind="conversation").exists()


def test_what_listeners_say_is_shown_where_the_conversation_was_logged(
    client, rep, account, listening
):
    client.force_login(rep)
    form = {
        "occurred_at": "2025-06-02T10:00",
        "channel": "call",
        "kind": "qualifying",
        "notes": "Talked it through",
        **dict.fromkeys(("has_problem", "accepts_significance", "ready_to_act"), "unknown"),
    }
    response = client.post(reverse("prospects:conversation_create", args=[account.pk]), form)
    assert response.status_code == 302
    said = [str(message) for message in get_messages(response.wsgi_request)]
    assert said == ["Conversation logged. Heard it."]


def test_a_submission_saved_before_announces_nothing_again(rep, account, log, listening):
    key = uuid.uuid4()
    first = log(account, submission_key=key)
    again = log(account, submission_key=key)
    assert again == first
    assert len(listening) == 1
    assert list(again.outcome_messages) == []


def test_merging_announces_the_survivor(rep, account, listening):
    twin = AccountFactory(owner=rep, name="Twin")
    survivor = merge_services.account_merge(actor=rep, survivor=account, duplicate=twin, values={})
    assert listening == [{"signal": signals.account_merged, "survivor": survivor, "actor": rep}]


def test_a_merge_whose_listener_fails_merges_nothing(rep, account, failing):
    twin = AccountFactory(owner=rep, name="Twin")
    with pytest.raises(RuntimeError, match="the listener failed"):
        merge_services.account_merge(actor=rep, survivor=account, duplicate=twin, values={})
    assert Account.objects.filter(pk=twin.pk).exists()
