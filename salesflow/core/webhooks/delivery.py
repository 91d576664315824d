"""Delivering webhooks from the outbox: claim what is due, post it signed, log the attempt.

Senders (`webhooks_deliver_due`, run by salesflow.core.tasks.deliver_webhooks: asked for
after each commit that writes webhook messages, and polled by beat) claim due rows with SKIP
LOCKED and the outbox's lease, like the email senders, so any number may run at once and a
sender that dies leaves its rows to be taken again when the lease runs out. Delivery is
therefore at least once; the webhook-id written with the row lets receivers drop a repeat.

Webhooks have a task of their own rather than sharing the emails' "send-outbox": a receiver
may take its full timeout to answer, and an SMTP server's trouble and a slow receiver must
not hold each other's messages back. Messages of a paused or disabled endpoint are simply
not claimed: they wait, and go out when it is resumed."""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import logging
import socket
import ssl
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook

from salesflow.core.models import Notification
from salesflow.core.outbox import services as outbox_services
from salesflow.core.outbox.models import OutboxMessage
from salesflow.core.webhooks.models import WebhookAttempt, WebhookEndpoint
from salesflow.core.webhooks.safety import Destination, UnsafeDestination, vet

logger = logging.getLogger(__name__)

USER_AGENT = "salesflow-webhooks/1.0"
EXCERPT_LENGTH = 500


def ask_for_a_sender() -> None:
    from salesflow.core import tasks  # the task module imports this one

    try:
        tasks.deliver_webhooks.delay()
    except Exception:  # noqa: BLE001 - any broker failure: beat's poll delivers them
        logger.warning("Could not ask a worker to deliver webhooks; beat's poll will")


def retry_delay(attempts: int) -> timedelta | None:
    """The wait after the attempts-th failure, or None when that was the last attempt."""
    schedule = settings.SALESFLOW_WEBHOOKS_RETRY_SCHEDULE
    if attempts > len(schedule):
        return None
    return timedelta(seconds=schedule[attempts - 1])


def due_condition(now: datetime) -> Q:
    """A webhook message waiting, its time come, unclaimed, for an active endpoint."""
    return outbox_services.due_condition(now) & Q(
        kind=OutboxMessage.Kind.WEBHOOK,
        webhook_endpoint__status=WebhookEndpoint.Status.ACTIVE,
    )


# --- Posting one message ---------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    excerpt: str
    error: str
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _connect(addresses: Sequence[str], port: int, timeout: float) -> socket.socket:
    """A connection to the first vetted address that answers; never a new DNS lookup."""
    last: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout=timeout)
        except OSError as error:
            last = error
    raise last or OSError("no address to connect to")


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to the vetted address, with the URL's host in the Host header."""

    def __init__(self, destination: Destination, timeout: float) -> None:
        super().__init__(destination.host, destination.port, timeout=timeout)
        self._addresses = destination.addresses

    raw_socket: socket.socket | None = None

    def connect(self) -> None:
        self.sock = self.raw_socket = _connect(self._addresses, self.port, self.timeout)


def tls_context() -> ssl.SSLContext:
    """The system's certificate authorities, certificates and host names checked."""
    return ssl.create_default_context()


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the vetted address; the host name is what SNI sends and what the
    certificate is checked against, as if it had been looked up again."""

    def __init__(self, destination: Destination, timeout: float) -> None:
        super().__init__(
            destination.host,
            destination.port,
            timeout=timeout,
            context=tls_context(),
        )
        self._addresses = destination.addresses

    raw_socket: socket.socket | None = None

    def connect(self) -> None:
        plain = _connect(self._addresses, self.port, self.timeout)
        # wrap_socket takes the plain socket's descriptor over: the TLS socket is the one
        # the timeout must cut, from the handshake on (a server may trickle that too).
        tls = self._context.wrap_socket(
            plain, server_hostname=self.host, do_handshake_on_connect=False
        )
        self.sock = self.raw_socket = tls
        tls.do_handshake()


def signed_headers(secret: str, message_id: str, body: str, moment: datetime) -> dict[str, str]:
    """Standard Webhooks' headers: the signature covers id, timestamp and body."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, moment, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def post(*, url: str, secret: str, message_id: str, body: str) -> Outcome:
    """POST `body` signed to `url`, within the timeout in all, reading a few KB of the
    answer at most, following no redirect. Never raises for the receiver's doing."""
    started = time.monotonic()
    timeout = float(settings.SALESFLOW_WEBHOOKS_TIMEOUT_SECONDS)

    def outcome(status: int | None = None, excerpt: str = "", error: str = "") -> Outcome:
        elapsed = int((time.monotonic() - started) * 1000)
        return Outcome(status, excerpt[:EXCERPT_LENGTH], error[:500], elapsed)

    try:
        destination = vet(url)  # again at each delivery: DNS may have changed since
    except UnsafeDestination as refusal:
        return outcome(error=f"Refused: {refusal}")
    connection_class = (
        _PinnedHTTPSConnection if destination.scheme == "https" else _PinnedHTTPConnection
    )
    connection = connection_class(destination, timeout)
    headers = signed_headers(secret, message_id, body, timezone.now())
    # The socket's timeout bounds each wait; this bounds the whole exchange, so a receiver
    # that answers a byte at a time cannot hold the sender past the timeout either.
    expired = threading.Event()

    def cut_off() -> None:
        expired.set()
        # The socket itself: the connection forgets it once a response that closes it has
        # begun, while the response still reads from it.
        sock = connection.raw_socket
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed: nothing to cut
                sock.shutdown(socket.SHUT_RDWR)

    watchdog = threading.Timer(timeout, cut_off)
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request("POST", destination.target, body=body.encode(), headers=headers)
        response = connection.getresponse()
        status = response.status
        try:
            raw = response.read(settings.SALESFLOW_WEBHOOKS_RESPONSE_MAX_BYTES)
        except (OSError, http.client.HTTPException):
            raw = b""  # the answer's status is what counts; its body is only shown
        excerpt = raw.decode("utf-8", errors="replace")
        if 300 <= status < 400:
            location = (response.getheader("location") or "")[:200]
            return outcome(status, excerpt, f"Redirect to {location!r} not followed.")
        if not 200 <= status < 300:
            return outcome(status, excerpt, f"The receiver answered {status}.")
        return outcome(status, excerpt)
    except (OSError, http.client.HTTPException, ValueError) as error:
        if expired.is_set() or isinstance(error, TimeoutError):
            return outcome(error=f"No complete answer within {timeout:g} s.")
        return outcome(error=f"{type(error).__name__}: {error}")
    finally:
        watchdog.cancel()
        connection.close()


# --- Claiming and recording ------------------------------------------------------------


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def webhooks_deliver_due(
    *, batch: int | None = None, budget_seconds: float = 120.0
) -> DeliveryReport:
    """Deliver what is due, batch after batch, until nothing is due or the time budget is
    spent (the next poll goes on). Safe with any number of senders at once."""
    batch = batch or settings.SALESFLOW_WEBHOOKS_BATCH
    report = DeliveryReport()
    started = time.monotonic()
    while time.monotonic() - started < budget_seconds:
        claim = outbox_services.outbox_claim(
            due=due_condition, batch=batch, related=("webhook_endpoint__owner",)
        )
        if not claim.messages:
            break
        _deliver_batch(claim, report)
    if report.sent or report.retrying or report.failed:
        logger.info(
            "Webhooks: %d delivered, %d to retry, %d undeliverable",
            report.sent,
            report.retrying,
            report.failed,
        )
    return report


def _deliver_batch(claim: outbox_services.Claim, report: DeliveryReport) -> None:
    # Stop while a whole attempt still fits in the lease: past it another sender may take
    # the same rows.
    lease = settings.SALESFLOW_OUTBOX_LEASE_SECONDS
    margin = timedelta(
        seconds=min(lease / 5 + settings.SALESFLOW_WEBHOOKS_TIMEOUT_SECONDS, lease / 2)
    )
    paused: set[int] = set()
    for index, message in enumerate(claim.messages):
        if timezone.now() >= claim.until - margin:
            outbox_services.outbox_release(claim, claim.messages[index:])
            return
        endpoint = message.webhook_endpoint
        if endpoint.pk in paused:
            outbox_services.outbox_release(claim, [message])  # held with its endpoint, untried
            continue
        try:
            # Paused, edited or given a new secret since the claim: what holds now counts.
            endpoint.refresh_from_db(fields=["status", "secret", "url", "consecutive_failures"])
        except WebhookEndpoint.DoesNotExist:
            continue  # deleted meanwhile, with its messages: nothing to send
        if endpoint.status != WebhookEndpoint.Status.ACTIVE:
            paused.add(endpoint.pk)
            outbox_services.outbox_release(claim, [message])
            continue
        outcome = post(
            url=endpoint.url,
            secret=endpoint.secret,
            message_id=message.message_id,
            body=message.body,
        )
        if not _record(claim, message, outcome, report):
            paused.add(endpoint.pk)


def _record(
    claim: outbox_services.Claim, message: OutboxMessage, outcome: Outcome, report: DeliveryReport
) -> bool:
    """Log the attempt and move the message on; False when its endpoint stopped taking
    messages (disabled by a 410, or paused after too many failures)."""
    counted = dataclasses.replace(report)
    try:
        return _record_attempt(claim, message, outcome, report)
    except IntegrityError:
        # The endpoint was deleted during the attempt, taking the message with it: there
        # is nothing left to record it against, nor to count.
        report.sent, report.retrying, report.failed = (
            counted.sent,
            counted.retrying,
            counted.failed,
        )
        return False


def _record_attempt(
    claim: outbox_services.Claim, message: OutboxMessage, outcome: Outcome, report: DeliveryReport
) -> bool:
    now = timezone.now()
    endpoint = message.webhook_endpoint
    attempts = message.attempts + 1
    with transaction.atomic():
        WebhookAttempt.objects.create(
            message=message,
            at=now,
            status_code=outcome.status_code,
            duration_ms=outcome.duration_ms,
            response_excerpt=outcome.excerpt,
            error=outcome.error,
        )
        # Guarded by the lease: a sender whose claim ran out writes nothing over another's.
        mine = OutboxMessage.objects.filter(
            pk=message.pk, lease_token=claim.token, status=OutboxMessage.Status.PENDING
        )
        released = {"leased_until": None, "lease_token": None, "attempts": attempts}
        if outcome.succeeded:
            mine.update(status=OutboxMessage.Status.SENT, sent_at=now, last_error="", **released)
            # Written only when there was a failure to forget: most deliveries write nothing.
            if endpoint.consecutive_failures:
                WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0)
                endpoint.consecutive_failures = 0
            report.sent += 1
            return True
        if outcome.status_code == 410:
            mine.update(status=OutboxMessage.Status.FAILED, last_error=outcome.error, **released)
            report.failed += 1
            _disable(endpoint)
            return False
        delay = retry_delay(attempts)
        if delay is None:
            mine.update(status=OutboxMessage.Status.FAILED, last_error=outcome.error, **released)
            report.failed += 1
        else:
            mine.update(next_attempt_at=now + delay, last_error=outcome.error, **released)
            report.retrying += 1
        return not _count_failure(endpoint)


def _count_failure(endpoint: WebhookEndpoint) -> bool:
    """One more failure in a row; True when it paused the endpoint."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    limit = settings.SALESFLOW_WEBHOOKS_PAUSE_AFTER
    reason = f"Paused after {limit} failed deliveries in a row."
    # Guarded: of two senders crossing the limit at once, one pauses and tells the owner.
    paused = WebhookEndpoint.objects.filter(
        pk=endpoint.pk,
        status=WebhookEndpoint.Status.ACTIVE,
        consecutive_failures__gte=limit,
    ).update(status=WebhookEndpoint.Status.PAUSED, status_reason=reason, updated_at=timezone.now())
    if paused:
        _tell_owner(
            endpoint,
            title=f"Webhook paused: {endpoint.url}"[:200],
            body=f"{reason} Its events are kept and go out once you resume it.",
        )
    return bool(paused)


def _disable(endpoint: WebhookEndpoint) -> None:
    reason = "Disabled: the receiver answered 410 Gone."
    disabled = WebhookEndpoint.objects.filter(
        pk=endpoint.pk, status=WebhookEndpoint.Status.ACTIVE
    ).update(
        status=WebhookEndpoint.Status.DISABLED, status_reason=reason, updated_at=timezone.now()
    )
    if disabled:
        _tell_owner(
            endpoint,
            title=f"Webhook disabled: {endpoint.url}"[:200],
            body=f"{reason} Nothing more is sent to it until you resume it.",
        )


def _tell_owner(endpoint: WebhookEndpoint, *, title: str, body: str) -> None:
    """In the app, and by email (through the outbox) unless the owner turned these emails
    off, in the transaction of the change."""
    owner = endpoint.owner
    notification = Notification.objects.create(
        user=owner,
        kind=Notification.Kind.WEBHOOK,
        title=title,
        body=body,
        url=reverse("webhooks:detail", args=[endpoint.pk]),
    )
    if owner.wants_email(Notification.Kind.WEBHOOK):
        outbox_services.outbox_emails_add(
            [
                outbox_services.Email(
                    recipient=owner.email,
                    subject=f"salesflow: {title}",
                    body=body,
                    notification_id=notification.pk,
                )
            ]
        )
