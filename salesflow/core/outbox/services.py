"""Writing to the outbox and sending what is due.

A fact and the message about it are written in one transaction (`outbox_emails_add`), so a
rolled-back fact sends nothing and a committed one cannot lose its message. Senders
(`outbox_send_due`, run by salesflow.core.tasks.send_outbox: kicked after each commit that
adds messages, and polled by beat) claim due rows with SKIP LOCKED and a lease, send a batch
over one SMTP connection, and mark each row sent as soon as the server accepts it. The lease
is what makes a crash harmless: a sender killed mid-batch leaves its rows to expire and be
taken again, so delivery is at least once, and the Message-ID fixed at writing time makes a
rare repeat recognisable as the same message."""

from __future__ import annotations

import contextlib
import logging
import smtplib
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core import mail
from django.core.mail.message import make_msgid
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from salesflow.core.outbox.models import OutboxMessage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Email:
    """An email to write to the outbox; `key` names the fact it tells of (one email per
    fact), `notification_id` the in-app notification it repeats."""

    recipient: str
    subject: str
    body: str
    key: str | None = None
    notification_id: int | None = None


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def _message_id() -> str:
    # Stable per row: the domain of our own From address, as mail programs expect.
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "salesflow"
    return make_msgid(idstring="salesflow", domain=domain)


def _one_line(text: str) -> str:
    # A header cannot hold a line break (Django refuses it when sending): say it on one line.
    return " ".join(text.split())[:300]


def outbox_emails_add(emails: Iterable[Email]) -> list[OutboxMessage]:
    """Write emails in the caller's transaction; a sender is asked for once it commits."""
    now = timezone.now()
    rows = [
        OutboxMessage(
            kind=OutboxMessage.Kind.EMAIL,
            key=email.key,
            recipient=email.recipient,
            subject=_one_line(email.subject),
            body=email.body,
            message_id=_message_id(),
            notification_id=email.notification_id,
            next_attempt_at=now,
        )
        for email in emails
    ]
    if not rows:
        return []
    created = OutboxMessage.objects.bulk_create(rows, batch_size=1000)
    transaction.on_commit(_ask_for_a_sender)
    return created


def _ask_for_a_sender() -> None:
    from salesflow.core import tasks  # the task module imports this one

    try:
        tasks.send_outbox.delay()
    except Exception:  # noqa: BLE001 - any broker failure: beat's poll sends them
        logger.warning("Could not ask a worker to send the outbox; beat's poll will")


def due_condition(now: datetime) -> Q:
    """Waiting, its time come, and nobody's claim on it (or a claim that ran out)."""
    unclaimed = Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    return Q(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now) & unclaimed


def retry_delay(attempts: int) -> timedelta:
    """Back-off after the attempts-th failure: doubling from the base, capped."""
    base = settings.SALESFLOW_OUTBOX_RETRY_SECONDS
    seconds = min(base * 2 ** max(attempts - 1, 0), settings.SALESFLOW_OUTBOX_RETRY_MAX_SECONDS)
    return timedelta(seconds=seconds)


@dataclass(frozen=True)
class Claim:
    """Rows one sender took under its lease token: no other sender takes them before
    `until`, and a sender that dies leaves them to come back when it runs out."""

    token: uuid.UUID
    until: datetime
    messages: list[OutboxMessage]


def outbox_claim(*, due: Callable[[datetime], Q], batch: int, related: Sequence[str] = ()) -> Claim:
    """Lease up to `batch` rows that `due(now)` selects, oldest due first. Every kind's
    senders (emails here, salesflow.core.webhooks.delivery) claim through this."""
    now = timezone.now()
    token = uuid.uuid4()
    until = now + timedelta(seconds=settings.SALESFLOW_OUTBOX_LEASE_SECONDS)
    with transaction.atomic():
        # SKIP LOCKED: competing senders each take rows the others have not. Only the
        # outbox's rows are locked, not rows `due` may join (a webhook's endpoint).
        ids = list(
            OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(due(now))
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:batch]
        )
        if ids:
            OutboxMessage.objects.filter(pk__in=ids).update(leased_until=until, lease_token=token)
    claimed = OutboxMessage.objects.filter(pk__in=ids, lease_token=token)
    if related:  # select_related() without names would follow every foreign key
        claimed = claimed.select_related(*related)
    return Claim(token=token, until=until, messages=list(claimed.order_by("next_attempt_at", "pk")))


def outbox_release(claim: Claim, messages: Sequence[OutboxMessage]) -> None:
    """Give rows back untried, for the next sender."""
    OutboxMessage.objects.filter(
        pk__in=[message.pk for message in messages], lease_token=claim.token
    ).update(leased_until=None, lease_token=None)


def _email_due(now: datetime) -> Q:
    # Webhook rows have their own senders (salesflow.core.webhooks.delivery).
    return due_condition(now) & Q(kind=OutboxMessage.Kind.EMAIL)


def outbox_send_due(*, batch: int | None = None, budget_seconds: float = 120.0) -> SendReport:
    """Send what is due, batch after batch, until nothing is due, the SMTP server fails us
    (the rest waits for its retry time), or the time budget is spent (the next poll goes
    on). Safe with any number of senders at once."""
    batch = batch or settings.SALESFLOW_OUTBOX_BATCH
    report = SendReport()
    started = time.monotonic()
    while time.monotonic() - started < budget_seconds:
        claim = outbox_claim(due=_email_due, batch=batch)
        if not claim.messages:
            break
        if not _send_batch(claim, report):
            break
    if report.sent or report.retrying or report.failed:
        logger.info(
            "Outbox: %d sent, %d to retry, %d undeliverable",
            report.sent,
            report.retrying,
            report.failed,
        )
    return report


def _send_batch(claim: Claim, report: SendReport) -> bool:
    """Send one claimed batch over one connection; False when the server failed us."""
    connection = mail.get_connection(fail_silently=False)
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as error:
        for message in claim.messages:
            _failed(claim, message, error, report)
        return False
    # Stop well before the lease ends: past it another sender may take the same rows.
    margin = timedelta(seconds=settings.SALESFLOW_OUTBOX_LEASE_SECONDS / 5)
    try:
        for index, message in enumerate(claim.messages):
            if timezone.now() >= claim.until - margin:
                outbox_release(claim, claim.messages[index:])
                return True
            try:
                accepted = connection.send_messages([_as_email(message)])
            except (smtplib.SMTPException, OSError, ValueError) as error:
                if _failed(claim, message, error, report):
                    continue  # refused for good: the connection still serves the rest
                outbox_release(claim, claim.messages[index + 1 :])
                return False
            if not accepted:  # no recipient left to send to
                _failed(claim, message, ValueError("no recipient address"), report)
                continue
            OutboxMessage.objects.filter(pk=message.pk).update(
                status=OutboxMessage.Status.SENT,
                sent_at=timezone.now(),
                attempts=F("attempts") + 1,
                leased_until=None,
                lease_token=None,
                last_error="",
            )
            report.sent += 1
    finally:
        # A server that already went away leaves nothing to close.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            connection.close()
    return True


def _as_email(message: OutboxMessage) -> mail.EmailMessage:
    return mail.EmailMessage(
        subject=message.subject,
        body=message.body,
        to=[message.recipient],
        headers={"Message-ID": message.message_id},
    )


def _is_permanent(error: BaseException) -> bool:
    """5xx replies and messages that cannot be written are final; the rest may pass later."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return isinstance(error, ValueError)


def _failed(claim: Claim, message: OutboxMessage, error: BaseException, report: SendReport) -> bool:
    """Record a failed attempt: undeliverable (True) or to be tried again later (False)."""
    attempts = message.attempts + 1
    reason = f"{type(error).__name__}: {error}"[:500]
    permanent = _is_permanent(error) or attempts >= settings.SALESFLOW_OUTBOX_MAX_ATTEMPTS
    mine = OutboxMessage.objects.filter(
        pk=message.pk, lease_token=claim.token, status=OutboxMessage.Status.PENDING
    )
    if permanent:
        mine.update(
            status=OutboxMessage.Status.FAILED,
            attempts=attempts,
            last_error=reason,
            leased_until=None,
            lease_token=None,
        )
        logger.warning("Outbox message %s undeliverable: %s", message.pk, reason)
        report.failed += 1
        return True
    mine.update(
        attempts=attempts,
        last_error=reason,
        next_attempt_at=timezone.now() + retry_delay(attempts),
        leased_until=None,
        lease_token=None,
    )
    report.retrying += 1
    return False


def outbox_retry(*, messages: Iterable[OutboxMessage]) -> int:
    """Try undeliverable messages again from the start (after an address was corrected)."""
    count = OutboxMessage.objects.filter(
        pk__in=[message.pk for message in messages], status=OutboxMessage.Status.FAILED
    ).update(
        status=OutboxMessage.Status.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        last_error="",
    )
    if count:
        transaction.on_commit(_ask_for_a_sender)
    return count
