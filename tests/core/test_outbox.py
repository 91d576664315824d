"""The outbox: written with its cause, sent at least once under a stable Message-ID, over
one SMTP connection per batch, retried with back-off, and marked when it cannot be
delivered — against a real SMTP server (tests/smtp_sink.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from salesflow.core.models import Notification, OutboxMessage
from salesflow.core.outbox import services as outbox
from tests.smtp_sink import SmtpSink


@pytest.fixture
def sink(settings):
    """A real SMTP server, and salesflow's email settings pointed at it."""
    server = SmtpSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


def _emails(count: int, *, prefix: str = "n") -> list[outbox.Email]:
    return [
        outbox.Email(
            recipient=f"{prefix}{number}@example.test",
            subject=f"Hello {number}",
            body="Body",
            key=f"test:{prefix}:{number}",
        )
        for number in range(count)
    ]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_writes_and_sends_nothing(sink, monkeypatch):
    asked: list[bool] = []
    monkeypatch.setattr(outbox, "_ask_for_a_sender", lambda: asked.append(True))

    def the_fact_fails() -> None:
        with transaction.atomic():
            outbox.outbox_emails_add(_emails(3))
            raise RuntimeError("the fact itself failed")

    with pytest.raises(RuntimeError):
        the_fact_fails()
    assert not OutboxMessage.objects.exists()
    assert asked == []  # nobody was asked to send
    assert outbox.outbox_send_due().sent == 0
    assert sink.received == []


@pytest.mark.django_db(transaction=True)
def test_a_committed_message_asks_for_a_sender_once_and_is_sent_once(sink, monkeypatch):
    asked: list[bool] = []
    monkeypatch.setattr(outbox, "_ask_for_a_sender", lambda: asked.append(True))
    with transaction.atomic():
        (row,) = outbox.outbox_emails_add(_emails(1))
        assert asked == []  # not before the commit
    assert asked == [True]
    assert outbox.outbox_send_due().sent == 1
    assert outbox.outbox_send_due().sent == 0  # a second sender finds nothing
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxMessage.Status.SENT, 1)
    assert row.sent_at is not None
    assert row.lease_token is None
    (received,) = sink.received
    assert received.message_id == row.message_id  # the id written with the message
    assert received.recipients == ("n0@example.test",)
    assert row.message_id.startswith("<")
    assert row.message_id.endswith("@localhost>")


@pytest.mark.django_db
def test_a_batch_goes_over_one_connection(sink, settings):
    settings.SALESFLOW_OUTBOX_BATCH = 100
    outbox.outbox_emails_add(_emails(250))
    report = outbox.outbox_send_due()
    assert report.sent == 250
    assert sink.connections == 3  # 100 + 100 + 50, one connection each
    assert len(sink.by_message_id()) == 250


@pytest.mark.django_db
def test_a_refusing_server_means_a_retry_later_with_back_off_then_delivery(sink, settings):
    settings.SALESFLOW_OUTBOX_RETRY_SECONDS = 60
    (row,) = outbox.outbox_emails_add(_emails(1))
    sink.refusing = True
    report = outbox.outbox_send_due()
    assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxMessage.Status.PENDING, 1)
    assert "451" in row.last_error
    wait = row.next_attempt_at - timezone.now()
    assert timedelta(seconds=55) < wait <= timedelta(seconds=60)
    assert outbox.outbox_send_due().retrying == 0  # not due yet: nobody tries

    # The second failure waits twice as long.
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    outbox.outbox_send_due()
    row.refresh_from_db()
    assert row.attempts == 2
    assert timedelta(seconds=115) < row.next_attempt_at - timezone.now() <= timedelta(seconds=120)

    sink.refusing = False
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert outbox.outbox_send_due().sent == 1
    assert list(sink.by_message_id()) == [row.message_id]


def test_the_back_off_doubles_up_to_its_cap(settings):
    settings.SALESFLOW_OUTBOX_RETRY_SECONDS = 60
    settings.SALESFLOW_OUTBOX_RETRY_MAX_SECONDS = 3600
    delays = [outbox.retry_delay(n).total_seconds() for n in range(1, 10)]
    assert delays == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]


@pytest.mark.django_db
def test_with_the_server_down_every_claimed_message_waits_its_turn(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    settings.EMAIL_TIMEOUT = 2
    outbox.outbox_emails_add(_emails(3))
    report = outbox.outbox_send_due()
    assert (report.sent, report.retrying) == (0, 3)
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {("pending", 1)}
    assert not OutboxMessage.objects.filter(leased_until__isnull=False).exists()


@pytest.mark.django_db
def test_after_the_last_attempt_the_message_is_undeliverable_and_the_notification_says_so(
    sink, settings, client, rep
):
    settings.SALESFLOW_OUTBOX_MAX_ATTEMPTS = 2
    notification = Notification.objects.create(
        user=rep, kind=Notification.Kind.FOLLOW_UP, title="Time to follow up with Acme"
    )
    (row,) = outbox.outbox_emails_add(
        [outbox.Email(recipient=rep.email, subject="s", body="b", notification_id=notification.pk)]
    )
    sink.refusing = True
    for _ in range(2):
        OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        outbox.outbox_send_due()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxMessage.Status.FAILED, 2)
    assert outbox.outbox_send_due().retrying == 0  # given up: nobody tries again

    client.force_login(rep)
    page = client.get(reverse("notifications")).content.decode()
    assert "Time to follow up with Acme" in page
    assert f"could not be delivered to {rep.email}" in page

    # An admin may try it again (after the address was corrected, say).
    sink.refusing = False
    assert outbox.outbox_retry(messages=[row]) == 1
    assert outbox.outbox_send_due().sent == 1
    assert "could not be delivered" not in client.get(reverse("notifications")).content.decode()


@pytest.mark.django_db
def test_a_permanent_refusal_is_final_at_once_and_the_rest_of_the_batch_still_goes(
    sink, monkeypatch
):
    import smtplib

    outbox.outbox_emails_add(_emails(3))
    real_send = smtplib.SMTP.sendmail

    def refuse_the_second(self, from_addr, to_addrs, msg, *args, **kwargs):
        if to_addrs == ["n1@example.test"]:
            raise smtplib.SMTPRecipientsRefused({"n1@example.test": (550, b"No such user")})
        return real_send(self, from_addr, to_addrs, msg, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "sendmail", refuse_the_second)
    report = outbox.outbox_send_due()
    assert (report.sent, report.failed, report.retrying) == (2, 1, 0)
    failed = OutboxMessage.objects.get(status=OutboxMessage.Status.FAILED)
    assert failed.recipient == "n1@example.test"
    assert "550" in failed.last_error
    assert sink.connections == 1


@pytest.mark.django_db
def test_a_claim_keeps_other_senders_off_until_its_lease_runs_out(sink, settings):
    settings.SALESFLOW_OUTBOX_LEASE_SECONDS = 300
    (row,) = outbox.outbox_emails_add(_emails(1))
    # A sender took it, then died without a word.
    claim = outbox.outbox_claim(due=outbox.due_condition, batch=10)
    assert [message.pk for message in claim.messages] == [row.pk]
    assert outbox.outbox_send_due().sent == 0  # still claimed
    OutboxMessage.objects.filter(pk=row.pk).update(
        leased_until=timezone.now() - timedelta(seconds=1)
    )
    assert outbox.outbox_send_due().sent == 1  # the claim ran out: taken again
    assert list(sink.by_message_id()) == [row.message_id]


@pytest.mark.django_db
def test_a_subject_with_line_breaks_is_sent_on_one_line(sink):
    outbox.outbox_emails_add(
        [outbox.Email(recipient="a@example.test", subject="Acme\r\nBcc: x@evil", body="b")]
    )
    assert outbox.outbox_send_due().sent == 1
    (received,) = sink.received
    assert received.subject == "Acme Bcc: x@evil"
    assert received.recipients == ("a@example.test",)


def test_beat_polls_the_outbox(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["send-outbox"]
    assert entry["task"] == "salesflow.core.tasks.send_outbox"
    assert entry["schedule"] == float(settings.SALESFLOW_OUTBOX_POLL_SECONDS)
