"""The rules the prospects services keep: readiness, why versions, status history, owners."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from prospects import access, selectors, services
from prospects.models import Account, AccountEvent, FacilitativeQuestion, WhyNote
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def test_readiness_follows_the_newest_answer_and_records_when_it_changed(account, log):
    start = timezone.now() - timedelta(days=10)
    log(account, occurred_at=start, has_problem="yes")
    log(account, occurred_at=start + timedelta(days=2), has_problem="yes", ready_to_act="no")
    account.refresh_from_db()
    assert (account.has_problem, account.has_problem_changed_at) == ("yes", start)
    assert (account.ready_to_act, account.ready_to_act_changed_at) == (
        "no",
        start + timedelta(days=2),
    )
    assert (account.accepts_significance, account.accepts_significance_changed_at) == (
        "unknown",
        None,
    )


def test_unknown_never_overwrites_a_known_answer(account, log):
    log(account, has_problem="yes")
    log(account, occurred_at=timezone.now() + timedelta(minutes=1), has_problem="unknown")
    account.refresh_from_db()
    assert account.has_problem == "yes"


def test_a_conversation_logged_late_does_not_override_newer_answers(account, log):
    now = timezone.now()
    log(account, occurred_at=now, ready_to_act="yes")
    log(account, occurred_at=now - timedelta(days=5), ready_to_act="no", has_problem="yes")
    account.refresh_from_db()
    assert account.ready_to_act == "yes"  # the newer conversation's answer stands
    assert account.has_problem == "yes"  # no newer conversation answered this one


def test_conversation_keeps_contacts_questions_and_a_timeline_entry(account, contact, log):
    questions = list(FacilitativeQuestion.objects.filter(kind="qualifying")[:2])
    conversation = log(
        account, contacts=[contact], questions_asked=questions, notes="Talked budget"
    )
    assert list(conversation.contacts.all()) == [contact]
    assert set(conversation.questions_asked.all()) == set(questions)
    event = AccountEvent.objects.get(kind="conversation")
    assert event.conversation == conversation


def test_conversation_refuses_foreign_contacts_and_mismatched_questions(
    account, other_account, log
):
    foreign = ContactFactory(account=other_account)
    with pytest.raises(ValidationError, match="contacts"):
        log(account, contacts=[foreign])
    decision_question = FacilitativeQuestion.objects.filter(kind="decision").first()
    with pytest.raises(ValidationError, match="questions_asked"):
        log(account, kind="qualifying", questions_asked=[decision_question])
    assert not account.conversations.exists()


def test_teammate_cannot_log_on_someone_elses_account(account, teammate, log):
    with pytest.raises(ValidationError, match="read-only"):
        log(account, actor=teammate)


def test_why_is_versioned_and_the_newest_is_current(account, rep, contact):
    first = services.why_record(
        actor=rep, account=account, text="Beds blocked", said_on=date(2026, 1, 5)
    )
    second = services.why_record(
        actor=rep,
        account=account,
        text="  Weekend discharges stall  ",
        said_on=date(2026, 2, 1),
        said_by=contact,
    )
    assert selectors.current_why(account=account) == second
    assert second.text == "Weekend discharges stall"
    assert selectors.why_history(account=account) == [second, first]
    assert AccountEvent.objects.filter(kind="why").count() == 2


def test_status_change_is_recorded_and_disqualifying_needs_a_reason(account, rep):
    with pytest.raises(ValidationError):
        services.account_update(actor=rep, account=account, status=Account.Status.DISQUALIFIED)
    account.refresh_from_db()
    assert account.status == Account.Status.PROSPECT
    services.account_update(
        actor=rep,
        account=account,
        status=Account.Status.DISQUALIFIED,
        disqualified_reason="No budget this year",
    )
    event = AccountEvent.objects.get(kind="status")
    assert event.summary == "Prospect → Disqualified: No budget this year"
    services.account_update(actor=rep, account=account, status=Account.Status.PROSPECT)
    account.refresh_from_db()
    assert account.disqualified_reason == ""


def test_owners_a_user_may_assign(rep, teammate, manager, outsider, sales_ops):
    assert list(access.assignable_owners(rep)) == [rep]
    assert set(access.assignable_owners(manager)) == {rep, teammate, manager}
    assert outsider in access.assignable_owners(sales_ops)
    with pytest.raises(ValidationError, match="owner"):
        services.account_create(actor=rep, name="Acme", owner=teammate)
    account = services.account_create(actor=manager, name="Acme", owner=teammate)
    assert AccountEvent.objects.get(account=account).kind == "created"


@pytest.mark.django_db(transaction=True)
def test_two_editors_changing_status_at_once_record_one_change(rep, manager, account):
    import threading

    from django.db import connection

    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def change(actor):
        try:
            barrier.wait(timeout=10)
            services.account_update(
                actor=actor, account=Account.objects.get(pk=account.pk), status="customer"
            )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=change, args=(user,)) for user in (rep, manager)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert AccountEvent.objects.filter(account=account, kind="status").count() == 1
    account.refresh_from_db()
    assert account.status == "customer"


def test_saving_the_same_why_again_adds_no_version(rep, account, contact):
    first = services.why_record(
        actor=rep, account=account, text="Beds", said_on=date(2026, 11, 1), said_by=contact
    )
    again = services.why_record(
        actor=rep, account=account, text=" Beds ", said_on=date(2026, 11, 1), said_by=contact
    )
    assert again == first
    assert WhyNote.objects.count() == 1
    assert AccountEvent.objects.filter(kind="why").count() == 1
