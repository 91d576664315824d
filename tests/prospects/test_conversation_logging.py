"""Logging a conversation: its time, what it must say, what the inline answer updates, and
a submission saved once however often it is sent."""

from __future__ import annotations

import importlib
import re
import threading
import uuid
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from pipeline.followups.models import FollowUp
from prospects import selectors, services
from prospects.models import CLOCK_SKEW_ALLOWANCE, AccountEvent, Conversation, FacilitativeQuestion
from tests.factories import AccountFactory
from tests.hostile import fuzz, hostile

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
IN_THE_FUTURE = "A conversation cannot be logged before it happens."
patience_rules = importlib.import_module("pipeline.migrations.0007_default_patience_rules")


def shown_form(client, account) -> dict[str, str]:
    """The logging form as the account page shows it: every input with its value."""
    html = client.get(reverse("prospects:account_detail", args=[account.pk])).content.decode()
    start = html.index('<form id="conversation-form"')
    form = html[start : html.index("</form>", start)]
    data = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        kind = re.search(r'type="([^"]*)"', tag)
        if not name or (kind and kind.group(1) in {"radio", "checkbox"} and "checked" not in tag):
            continue
        data[name.group(1)] = value.group(1) if value else ""
    data.update(channel="call", kind="qualifying")
    return data


# --- 8. The time of a conversation logged just now ------------------------------------


def test_a_conversation_logged_just_now_sorts_above_the_account_created_seconds_before(client, rep):
    account = services.account_create(actor=rep, name="Kestrel Academy", owner=rep)
    client.force_login(rep)
    data = shown_form(client, account)  # "When" left as the form shows it
    before = timezone.now()
    response = client.post(
        reverse("prospects:conversation_create", args=[account.pk]),
        {**data, "notes": "First call"},
        **HTMX,
    )
    assert response.status_code == 200
    conversation = Conversation.objects.get()
    # The moment of logging, to the second, not the minute the field shows.
    assert before <= conversation.occurred_at <= timezone.now()
    timeline = list(selectors.account_timeline(account=account))
    assert [event.kind for event in timeline] == ["conversation", "created"]


def test_a_time_the_rep_typed_is_kept_as_typed(client, rep, account):
    client.force_login(rep)
    data = shown_form(client, account)
    client.post(
        reverse("prospects:conversation_create", args=[account.pk]),
        {**data, "occurred_at": "2026-11-02T10:30", "notes": "Last week's call"},
        **HTMX,
    )
    conversation = Conversation.objects.get()
    assert timezone.localtime(conversation.occurred_at).strftime("%Y-%m-%d %H:%M:%S") == (
        "2026-11-02 10:30:00"
    )


def test_a_form_shown_again_with_errors_still_logs_just_now(client, rep, account):
    client.force_login(rep)
    data = shown_form(client, account)
    url = reverse("prospects:conversation_create", args=[account.pk])
    refused = client.post(url, data, **HTMX)  # nothing said: refused, shown again
    assert refused.status_code == 422
    assert f'name="initial-occurred_at" value="{data["initial-occurred_at"]}"' in (
        refused.content.decode()
    )
    before = timezone.now()
    client.post(url, {**data, "notes": "Now with notes"}, **HTMX)
    assert Conversation.objects.get().occurred_at >= before


def test_entries_at_the_same_time_sort_newest_created_first(rep):
    account = services.account_create(actor=rep, name="Same Second Ltd", owner=rep)
    created = AccountEvent.objects.get(account=account)
    services.conversation_log(
        actor=rep,
        account=account,
        occurred_at=created.occurred_at,
        channel="call",
        kind="other",
        notes="At the very same moment",
    )
    timeline = list(selectors.account_timeline(account=account))
    assert [event.kind for event in timeline] == ["conversation", "created"]


# --- 10. Not before it happens --------------------------------------------------------


def test_a_conversation_in_the_future_is_refused_beyond_the_clock_skew_allowance(rep, account):
    def log(when):
        return services.conversation_log(
            actor=rep, account=account, occurred_at=when, channel="call", kind="other", notes="x"
        )

    with pytest.raises(ValidationError) as refused:
        log(timezone.now() + CLOCK_SKEW_ALLOWANCE + timedelta(minutes=1))
    assert refused.value.message_dict == {"occurred_at": [IN_THE_FUTURE]}
    with pytest.raises(ValidationError):
        log(timezone.now() + timedelta(hours=23))
    assert not Conversation.objects.exists()
    # A device whose clock runs a little fast is not refused.
    log(timezone.now() + CLOCK_SKEW_ALLOWANCE - timedelta(minutes=1))
    assert Conversation.objects.count() == 1


def test_the_logging_form_says_a_future_conversation_cannot_be_logged(client, rep, account):
    client.force_login(rep)
    data = shown_form(client, account)
    later = timezone.localtime() + timedelta(hours=2)
    response = client.post(
        reverse("prospects:conversation_create", args=[account.pk]),
        {**data, "occurred_at": later.strftime("%Y-%m-%dT%H:%M"), "notes": "Tomorrow's call"},
        **HTMX,
    )
    assert response.status_code == 422
    assert IN_THE_FUTURE in response.content.decode()
    assert not Conversation.objects.exists()


def test_the_admin_refuses_a_future_conversation_too(admin_client, rep, account):
    later = timezone.localtime() + timedelta(hours=2)
    response = admin_client.post(
        reverse("admin:prospects_conversation_add"),
        {
            "account": account.pk,
            "logged_by": rep.pk,
            "occurred_at_0": later.strftime("%Y-%m-%d"),
            "occurred_at_1": later.strftime("%H:%M:%S"),
            "channel": "call",
            "kind": "other",
            "notes": "x",
            "has_problem": "unknown",
            "accepts_significance": "unknown",
            "ready_to_act": "unknown",
        },
    )
    assert response.status_code == 200
    assert IN_THE_FUTURE in response.content.decode()
    assert not Conversation.objects.exists()


# --- 11. Nothing said, or said twice ---------------------------------------------------


def test_an_empty_conversation_is_refused_with_a_message(client, rep, account):
    client.force_login(rep)
    data = shown_form(client, account)
    response = client.post(
        reverse("prospects:conversation_create", args=[account.pk]), data, **HTMX
    )
    assert response.status_code == 422
    assert services.EMPTY_CONVERSATION in response.content.decode()
    assert not Conversation.objects.exists()
    assert not AccountEvent.objects.filter(kind="conversation").exists()


@pytest.mark.parametrize(
    "said",
    [
        {"notes": "Talked about winter"},
        {"emotion_found": "Tired"},
        {"has_problem": "no"},
        {"ready_to_act": "yes"},
        {"questions_asked": "question"},
    ],
)
def test_notes_an_answer_or_a_question_asked_is_enough(rep, account, said):
    if "questions_asked" in said:
        said = {"questions_asked": [FacilitativeQuestion.objects.filter(kind="other").first()]}
    services.conversation_log(
        actor=rep, account=account, occurred_at=timezone.now(), channel="call", kind="other", **said
    )
    assert Conversation.objects.count() == 1


def test_whitespace_is_not_something_said(rep, account):
    with pytest.raises(ValidationError, match="Nothing to log yet"):
        services.conversation_log(
            actor=rep,
            account=account,
            occurred_at=timezone.now(),
            channel="call",
            kind="other",
            notes="  \n ",
            emotion_found=" ",
        )
    assert not Conversation.objects.exists()


def test_the_same_submission_sent_twice_is_saved_once(client, rep, account):
    client.force_login(rep)
    data = {**shown_form(client, account), "notes": "Pressed Log twice"}
    assert data["submission_key"]
    url = reverse("prospects:conversation_create", args=[account.pk])
    first = client.post(url, data, **HTMX)
    second = client.post(url, data, **HTMX)
    assert (first.status_code, second.status_code) == (200, 200)
    assert "Conversation logged." in second.content.decode()
    assert Conversation.objects.count() == 1
    assert AccountEvent.objects.filter(kind="conversation").count() == 1
    # Without htmx too (a resubmitted page): one conversation.
    assert client.post(url, data).status_code == 302
    assert Conversation.objects.count() == 1
    # The fresh form that follows carries a new token: the next conversation is logged.
    fresh = first.context["conversation_form"]["submission_key"].value()
    assert str(fresh) != data["submission_key"]
    client.post(url, {**data, "submission_key": fresh, "notes": "The next one"}, **HTMX)
    assert Conversation.objects.count() == 2


def test_a_submission_key_used_on_another_account_is_refused(rep, account):
    key = uuid.uuid4()
    other = AccountFactory(owner=rep)
    values = {"occurred_at": timezone.now(), "channel": "call", "kind": "other", "notes": "x"}
    services.conversation_log(actor=rep, account=account, submission_key=key, **values)
    with pytest.raises(ValidationError, match="already used"):
        services.conversation_log(actor=rep, account=other, submission_key=key, **values)
    assert Conversation.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_submission_racing_itself_is_saved_once(rep):
    account = AccountFactory(owner=rep)
    key = uuid.uuid4()
    start = threading.Barrier(2)
    saved, failed = [], []

    def send():
        try:
            start.wait()
            saved.append(
                services.conversation_log(
                    actor=rep,
                    account=account,
                    occurred_at=timezone.now(),
                    channel="call",
                    kind="other",
                    notes="Double click",
                    submission_key=key,
                ).pk
            )
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            failed.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == []
    assert len(saved) == 2
    assert saved[0] == saved[1]
    assert Conversation.objects.count() == 1
    assert AccountEvent.objects.filter(kind="conversation").count() == 1


def test_the_log_button_is_disabled_while_the_form_is_sent(client, rep, account):
    client.force_login(rep)
    html = client.get(reverse("prospects:account_detail", args=[account.pk])).content.decode()
    form = re.search(r'<form id="conversation-form"[^>]*>', html).group(0)
    assert "hx-disabled-elt=\"find button[type='submit']\"" in form
    assert 'hx-sync="this:drop"' in form


@fuzz
@given(key=hostile, shown=hostile, when=st.one_of(hostile, st.just("2026-11-02T10:30")))
def test_the_hidden_fields_take_any_input(client, rep, account, key, shown, when):
    client.force_login(rep)
    before = Conversation.objects.count()
    response = client.post(
        reverse("prospects:conversation_create", args=[account.pk]),
        {
            "occurred_at": when,
            "initial-occurred_at": shown,
            "submission_key": key,
            "channel": "call",
            "kind": "other",
            "notes": "Something said",
            "has_problem": "unknown",
            "accepts_significance": "unknown",
            "ready_to_act": "unknown",
        },
        **HTMX,
    )
    assert response.status_code in {200, 422}
    assert Conversation.objects.count() == before + (response.status_code == 200)


# --- 9. The inline answer updates every card the log changed --------------------------


def test_an_inline_solution_call_updates_the_follow_ups_card(client, rep, account):
    patience_rules.add_rules(apps, None)
    client.force_login(rep)
    data = shown_form(client, account)
    response = client.post(
        reverse("prospects:conversation_create", args=[account.pk]),
        {**data, "kind": "solution_development", "notes": "Walked the ward"},
        **HTMX,
    )
    assert response.status_code == 200
    follow_up = FollowUp.objects.get()
    html = response.content.decode()
    card = re.search(r'<section id="followups-panel"[^>]*>(.*?)</section>', html, re.S)
    assert card is not None
    assert 'hx-swap-oob="true"' in card.group(0)
    assert reverse("pipeline:followup_detail", args=[follow_up.pk]) in card.group(1)
    assert "None waiting" not in card.group(1)
    # And the other cards the log changes, as before.
    assert re.search(r'id="readiness-panel"[^>]*hx-swap-oob="true"', html)
    assert re.search(r'id="timeline-list"[^>]*hx-swap-oob="true"', html)


def test_marking_a_follow_up_done_with_a_conversation_that_says_nothing_is_refused(rep, account):
    from pipeline.followups import services as followup_services

    follow_up = followup_services.followup_create(
        actor=rep, account=account, purpose="Check the pilot plan"
    )
    FollowUp.objects.filter(pk=follow_up.pk).update(surface_at=timezone.now() - timedelta(days=1))
    follow_up.refresh_from_db()
    with pytest.raises(ValidationError, match="Nothing to log yet"):
        followup_services.followup_done(
            actor=rep, follow_up=follow_up, kind="evaluation_check_in", notes=""
        )
    follow_up.refresh_from_db()
    assert follow_up.status != "done"  # refused whole: not done without its conversation
    assert not Conversation.objects.exists()


def test_standalone_log_form_posts_without_htmx(client, rep, account):
    client.force_login(rep)
    html = client.get(reverse("prospects:conversation_create", args=[account.pk])).content.decode()
    assert 'id="conversation-form"' in html
    assert "hx-post" not in html
