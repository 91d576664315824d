"""Delivering webhooks from the outbox to a real HTTP receiver on 127.0.0.1: signed per
Standard Webhooks, retried on the schedule, 410 disabling, repeated failures pausing (and
telling the owner), no redirect followed, answers capped and timed out, and the address
checks against server-side request forgery, made again at every delivery."""

from __future__ import annotations

import ssl
import subprocess
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from standardwebhooks import Webhook

from salesflow.core.models import Notification, OutboxMessage, WebhookAttempt, WebhookEndpoint
from salesflow.core.webhooks import delivery, safety, services
from salesflow.core.webhooks.events import webhook_event
from tests.factories import AccountFactory, UserFactory
from tests.processes import ClosedPort
from tests.webhook_receiver import Receiver


@pytest.fixture
def ops(db):
    return UserFactory(role="sales_ops", first_name="Sam", last_name="Ops")


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _no_sender_asked(monkeypatch):
    # These tests deliver by calling the service; the worker tests ask a real worker.
    monkeypatch.setattr(delivery, "ask_for_a_sender", lambda: None)


def _endpoint(ops, url: str, events: list[str] | None = None) -> tuple[WebhookEndpoint, str]:
    return services.webhook_endpoint_create(
        actor=ops, url=url, events=events or ["account.created"], description="CRM sync"
    )


def _due_now() -> None:
    OutboxMessage.objects.filter(kind="webhook", status="pending").update(
        next_attempt_at=timezone.now()
    )


@pytest.mark.django_db
def test_a_delivery_is_signed_and_the_signature_verifies(ops, receiver):
    _, secret = _endpoint(ops, receiver.url)
    account = AccountFactory(name="Acme Hospital")
    (message,) = webhook_event("account.created", account)

    report = delivery.webhooks_deliver_due()

    assert report.sent == 1
    (got,) = receiver.received
    payload = Webhook(secret).verify(got.body, got.headers)  # raises if the signature is wrong
    assert payload["type"] == "account.created"
    assert payload["data"]["id"] == account.pk
    assert payload["data"]["name"] == "Acme Hospital"
    assert got.webhook_id == message.message_id
    assert got.webhook_id.startswith("msg_")
    assert got.headers["content-type"] == "application/json"
    assert got.headers["user-agent"].startswith("salesflow-webhooks/")
    assert got.headers["host"] == f"127.0.0.1:{receiver.port}"
    assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 10
    with pytest.raises(Exception):  # noqa: B017, PT011 - any refusal: another secret
        Webhook(services.new_secret()).verify(got.body, got.headers)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.lease_token) == ("sent", 1, None)
    (attempt,) = WebhookAttempt.objects.filter(message=message)
    assert attempt.status_code == 204
    assert attempt.error == ""
    assert attempt.duration_ms < 5000


@pytest.mark.django_db
def test_a_receiver_that_is_down_is_retried_on_the_schedule_then_delivered(ops, settings):
    settings.SALESFLOW_WEBHOOKS_RETRY_SCHEDULE = [5, 300, 1800]
    down = ClosedPort()  # the receiver is down: its port refuses connections
    url = Receiver(port=down.port).url
    _endpoint(ops, url)
    (message,) = webhook_event("account.created", AccountFactory())

    report = delivery.webhooks_deliver_due()
    assert (report.sent, report.retrying) == (0, 1)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("pending", 1)
    wait = message.next_attempt_at - timezone.now()
    assert timedelta(seconds=3) < wait <= timedelta(seconds=5)
    assert delivery.webhooks_deliver_due().retrying == 0  # not due yet: nobody tries

    _due_now()
    delivery.webhooks_deliver_due()
    message.refresh_from_db()
    assert message.attempts == 2
    assert (
        timedelta(seconds=290) < message.next_attempt_at - timezone.now() <= timedelta(seconds=300)
    )

    up = Receiver(port=down.release()).start()
    try:
        _due_now()
        assert delivery.webhooks_deliver_due().sent == 1
    finally:
        up.stop()
    assert list(up.by_webhook_id()) == [message.message_id]
    attempts = WebhookAttempt.objects.filter(message=message).order_by("at")
    failed_twice_then_delivered = [
        bool(error) for error in attempts.values_list("error", flat=True)
    ]
    assert failed_twice_then_delivered == [True, True, False]


@pytest.mark.django_db
def test_after_the_last_retry_the_message_is_failed(ops, receiver, settings):
    settings.SALESFLOW_WEBHOOKS_RETRY_SCHEDULE = [1, 1]
    receiver.status = 500
    _endpoint(ops, receiver.url)
    (message,) = webhook_event("account.created", AccountFactory())
    for _ in range(3):
        _due_now()
        delivery.webhooks_deliver_due()
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 3)
    assert "500" in message.last_error
    assert len(receiver.received) == 3
    _due_now()
    assert delivery.webhooks_deliver_due().failed == 0  # failed for good: nobody tries


@pytest.mark.django_db
def test_410_gone_disables_the_endpoint_at_once_and_tells_its_owner(ops, receiver):
    receiver.status = 410
    endpoint, _ = _endpoint(ops, receiver.url)
    account = AccountFactory()
    first, second = (
        webhook_event("account.created", account),
        webhook_event("account.created", AccountFactory()),
    )

    delivery.webhooks_deliver_due()

    endpoint.refresh_from_db()
    assert endpoint.status == WebhookEndpoint.Status.DISABLED
    assert "410" in endpoint.status_reason
    assert len(receiver.received) == 1  # the second message was not tried
    statuses = dict(OutboxMessage.objects.filter(kind="webhook").values_list("pk", "status"))
    assert statuses == {first[0].pk: "failed", second[0].pk: "pending"}
    (notification,) = Notification.objects.filter(user=ops, kind=Notification.Kind.WEBHOOK)
    assert "disabled" in notification.title
    assert notification.url == f"/webhooks/{endpoint.pk}/"  # where to resume it
    assert OutboxMessage.objects.filter(
        kind="email", recipient=ops.email, notification=notification
    ).exists()
    # A disabled endpoint gets no new events.
    assert webhook_event("account.created", account) == []


@pytest.mark.django_db
def test_repeated_failures_pause_the_endpoint_notify_the_owner_and_resuming_sends_the_rest(
    ops, receiver, settings
):
    settings.SALESFLOW_WEBHOOKS_PAUSE_AFTER = 3
    receiver.status = 503
    endpoint, _ = _endpoint(ops, receiver.url)
    messages = [webhook_event("account.created", AccountFactory())[0] for _ in range(5)]

    delivery.webhooks_deliver_due()

    endpoint.refresh_from_db()
    assert endpoint.status == WebhookEndpoint.Status.PAUSED
    assert endpoint.consecutive_failures == 3
    assert "3 failed deliveries" in endpoint.status_reason
    assert len(receiver.received) == 3  # the rest were held, untried
    (notification,) = Notification.objects.filter(user=ops, kind=Notification.Kind.WEBHOOK)
    assert "paused" in notification.title
    assert OutboxMessage.objects.filter(kind="email", notification=notification).count() == 1
    # Held: while paused, nothing is sent, and new events still wait for it.
    _due_now()
    assert delivery.webhooks_deliver_due().sent == 0
    messages.append(webhook_event("account.created", AccountFactory())[0])

    receiver.status = 200
    services.webhook_endpoint_resume(actor=ops, endpoint=endpoint)
    _due_now()
    assert delivery.webhooks_deliver_due().sent == 6
    endpoint.refresh_from_db()
    assert (endpoint.status, endpoint.consecutive_failures) == ("active", 0)
    assert set(receiver.by_webhook_id()) == {message.message_id for message in messages}
    assert Notification.objects.filter(kind=Notification.Kind.WEBHOOK).count() == 1


@pytest.mark.django_db
def test_an_owner_who_turned_webhook_emails_off_is_told_in_the_app_only(ops, receiver, settings):
    settings.SALESFLOW_WEBHOOKS_PAUSE_AFTER = 1
    ops.emails_muted = [Notification.Kind.WEBHOOK]
    ops.save()
    receiver.status = 503
    endpoint, _ = _endpoint(ops, receiver.url)
    webhook_event("account.created", AccountFactory())
    delivery.webhooks_deliver_due()
    endpoint.refresh_from_db()
    assert endpoint.status == WebhookEndpoint.Status.PAUSED
    assert Notification.objects.filter(user=ops, kind=Notification.Kind.WEBHOOK).count() == 1
    assert not OutboxMessage.objects.filter(kind="email").exists()


@pytest.mark.django_db
def test_a_success_forgets_earlier_failures(ops, receiver, settings):
    settings.SALESFLOW_WEBHOOKS_PAUSE_AFTER = 3
    endpoint, _ = _endpoint(ops, receiver.url)
    receiver.status = 500
    for _ in range(2):
        webhook_event("account.created", AccountFactory())
    delivery.webhooks_deliver_due()
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 2
    receiver.status = 200
    _due_now()
    delivery.webhooks_deliver_due()
    endpoint.refresh_from_db()
    assert (endpoint.status, endpoint.consecutive_failures) == ("active", 0)


@pytest.mark.django_db
def test_redeliver_sends_the_same_message_again_with_the_same_id(ops, receiver):
    _, secret = _endpoint(ops, receiver.url)
    (message,) = webhook_event("account.created", AccountFactory())
    delivery.webhooks_deliver_due()

    again = services.webhook_redeliver(actor=ops, message=message)
    assert (again.pk, again.status, again.attempts) == (message.pk, "pending", 0)
    assert delivery.webhooks_deliver_due().sent == 1

    first, second = receiver.received
    assert first.webhook_id == second.webhook_id == message.message_id
    assert first.body == second.body
    Webhook(secret).verify(second.body, second.headers)
    assert WebhookAttempt.objects.filter(message=message).count() == 2


@pytest.mark.django_db
def test_a_rotated_secret_signs_every_delivery_from_then_on(ops, receiver):
    endpoint, old = _endpoint(ops, receiver.url)
    webhook_event("account.created", AccountFactory())  # written before the rotation
    new = services.webhook_endpoint_rotate_secret(actor=ops, endpoint=endpoint)
    assert new != old
    delivery.webhooks_deliver_due()
    (got,) = receiver.received
    Webhook(new).verify(got.body, got.headers)
    with pytest.raises(Exception):  # noqa: B017, PT011
        Webhook(old).verify(got.body, got.headers)


@pytest.mark.django_db
def test_the_test_event_is_a_signed_ping(ops, receiver):
    endpoint, secret = _endpoint(ops, receiver.url)
    message = services.webhook_send_test(actor=ops, endpoint=endpoint)
    assert delivery.webhooks_deliver_due().sent == 1
    (got,) = receiver.received
    payload = Webhook(secret).verify(got.body, got.headers)
    assert payload["type"] == "ping"
    assert payload["data"]["endpoint"] == endpoint.pk
    assert got.webhook_id == message.message_id


@pytest.mark.django_db
def test_a_redirect_is_not_followed(ops, receiver):
    elsewhere = Receiver().start()
    try:
        receiver.status = 302
        receiver.extra_headers = {"location": elsewhere.url}
        _endpoint(ops, receiver.url)
        (message,) = webhook_event("account.created", AccountFactory())
        report = delivery.webhooks_deliver_due()
        assert (report.sent, report.retrying) == (0, 1)
        assert elsewhere.received == []
    finally:
        elsewhere.stop()
    (attempt,) = WebhookAttempt.objects.filter(message=message)
    assert attempt.status_code == 302
    assert "not followed" in attempt.error


@pytest.mark.django_db
def test_a_huge_answer_is_read_only_a_few_kilobytes(ops, receiver, settings):
    settings.SALESFLOW_WEBHOOKS_RESPONSE_MAX_BYTES = 4096
    receiver.status = 200
    receiver.answer = b"x" * 5_000_000
    _endpoint(ops, receiver.url)
    (message,) = webhook_event("account.created", AccountFactory())
    started = time.monotonic()
    assert delivery.webhooks_deliver_due().sent == 1
    assert time.monotonic() - started < 3
    (attempt,) = WebhookAttempt.objects.filter(message=message)
    assert attempt.response_excerpt == "x" * 500


@pytest.mark.django_db
def test_a_receiver_that_hangs_is_cut_off_at_the_timeout(ops, receiver, settings):
    settings.SALESFLOW_WEBHOOKS_TIMEOUT_SECONDS = 1
    receiver.delay = 4
    _endpoint(ops, receiver.url)
    (message,) = webhook_event("account.created", AccountFactory())
    started = time.monotonic()
    report = delivery.webhooks_deliver_due()
    assert time.monotonic() - started < 2.5
    assert report.retrying == 1
    (attempt,) = WebhookAttempt.objects.filter(message=message)
    assert attempt.status_code is None
    assert "within 1 s" in attempt.error


@pytest.mark.django_db
def test_a_trickling_answer_cannot_hold_the_sender_past_the_timeout(ops, receiver, settings):
    settings.SALESFLOW_WEBHOOKS_TIMEOUT_SECONDS = 1
    receiver.status = 200
    receiver.answer = b"y" * 40
    receiver.trickle = 0.2  # 8 s for the whole answer
    _endpoint(ops, receiver.url)
    webhook_event("account.created", AccountFactory())
    started = time.monotonic()
    report = delivery.webhooks_deliver_due()
    assert time.monotonic() - started < 2.5
    assert report.sent == 1  # the receiver said 200: its body is only for the log


# --- Safety: production's settings ---------------------------------------------------------


@pytest.fixture
def production(settings):
    settings.SALESFLOW_WEBHOOKS_ALLOW_HTTP = False
    settings.SALESFLOW_WEBHOOKS_ALLOW_PRIVATE = False
    return settings


def _dns(monkeypatch, answers: dict[str, list[str]]) -> None:
    """Play DNS: salesflow's own resolver answers these names (and nothing else)."""

    def resolve(host: str, port: int) -> list[str]:
        if host in answers:
            return answers[host]
        raise OSError(f"unknown host {host}")

    monkeypatch.setattr(safety, "resolve", resolve)


@pytest.mark.django_db
def test_plain_http_is_refused_in_production(ops, production):
    with pytest.raises(services.ValidationError) as refused:
        _endpoint(ops, "http://hooks.example.com/in")
    assert refused.value.message_dict["url"] == ["The URL must start with https://."]


@pytest.mark.parametrize(
    ("url", "answers", "words"),
    [
        ("https://localhost/in", None, "loopback"),
        ("https://127.0.0.1/in", None, "loopback"),
        ("https://10.0.0.1/in", None, "private"),
        ("https://169.254.169.254/latest/meta-data", None, "link-local"),
        ("https://[::1]/in", None, "loopback"),
        ("https://[::ffff:127.0.0.1]/in", None, "loopback"),
        ("https://hooks.example.com/in", ["127.0.0.1"], "loopback"),
        ("https://hooks.example.com/in", ["10.0.0.1"], "private"),
        ("https://hooks.example.com/in", ["169.254.169.254"], "link-local"),
        ("https://hooks.example.com/in", ["::1"], "loopback"),
        ("https://hooks.example.com/in", ["::ffff:127.0.0.1"], "loopback"),
        ("https://hooks.example.com/in", ["::ffff:10.0.0.1"], "private"),
        ("https://hooks.example.com/in", ["0.0.0.0"], "unspecified"),
        ("https://hooks.example.com/in", ["224.0.0.1"], "multicast"),
        ("https://hooks.example.com/in", ["100.64.0.1"], "not a public"),
        # One bad address among good ones is enough: the connection could go to any.
        ("https://hooks.example.com/in", ["93.184.216.34", "192.168.1.10"], "private"),
    ],
)
@pytest.mark.django_db
def test_addresses_inside_a_private_network_are_refused_after_resolution(
    ops, production, monkeypatch, url, answers, words
):
    if answers is not None:
        _dns(monkeypatch, {"hooks.example.com": answers})
    with pytest.raises(services.ValidationError) as refused:
        _endpoint(ops, url)
    (message,) = refused.value.message_dict["url"]
    assert words in message
    assert "public addresses only" in message
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_a_public_address_is_accepted(ops, production, monkeypatch):
    _dns(monkeypatch, {"hooks.example.com": ["93.184.216.34", "2606:2800:220:1::1"]})
    endpoint, _ = _endpoint(ops, "https://hooks.example.com/in")
    assert endpoint.url == "https://hooks.example.com/in"


@pytest.mark.django_db
def test_a_host_that_turns_private_after_registration_is_refused_at_delivery(
    ops, receiver, settings, monkeypatch
):
    settings.SALESFLOW_WEBHOOKS_ALLOW_PRIVATE = False
    url = f"http://hooks.example.com:{receiver.port}/in"
    _dns(monkeypatch, {"hooks.example.com": ["93.184.216.34"]})
    _endpoint(ops, url)
    (message,) = webhook_event("account.created", AccountFactory())
    _dns(monkeypatch, {"hooks.example.com": ["127.0.0.1"]})  # the DNS answer changed since

    assert delivery.webhooks_deliver_due().retrying == 1
    assert receiver.received == []
    (attempt,) = WebhookAttempt.objects.filter(message=message)
    assert attempt.error.startswith("Refused:")
    assert "loopback" in attempt.error


@pytest.mark.django_db
def test_the_delivery_connects_to_the_vetted_address_and_keeps_the_host_name(
    ops, receiver, monkeypatch
):
    # The name exists only in salesflow's resolver: a second lookup (by the HTTP client)
    # would fail, so a delivery proves it connected to the address vetted.
    _dns(monkeypatch, {"hooks.example.test": ["127.0.0.1"]})
    _endpoint(ops, f"http://hooks.example.test:{receiver.port}/in?source=crm")
    webhook_event("account.created", AccountFactory())
    assert delivery.webhooks_deliver_due().sent == 1
    (got,) = receiver.received
    assert got.headers["host"] == f"hooks.example.test:{receiver.port}"


def test_the_address_check_reads_ipv6_forms_of_ipv4():
    assert safety.address_refusal("::ffff:127.0.0.1").endswith("a loopback address")
    assert safety.address_refusal("64:ff9b::a00:1").endswith("a private address")
    assert safety.address_refusal("2002:7f00:1::1").endswith("a loopback address")  # 6to4
    assert safety.address_refusal("fe80::1%eth0") == "a link-local address"
    assert safety.address_refusal("fc00::1") == "a private address"
    assert safety.address_refusal("93.184.216.34") is None
    assert safety.address_refusal("2606:2800:220:1::1") is None


# --- HTTPS to the vetted address -------------------------------------------------------


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """A certificate authority of the test's own and a certificate from it for
    hooks.example.test (made with the openssl command)."""
    folder = tmp_path_factory.mktemp("tls")

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    openssl(
        *("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
        *("-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=salesflow test CA"),
    )
    openssl(
        *("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf.key"),
        *("-out", "leaf.csr", "-subj", "/CN=hooks.example.test"),
    )
    (folder / "san.ext").write_text("subjectAltName=DNS:hooks.example.test\n")
    openssl(
        *("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key"),
        *("-CAcreateserial", "-out", "leaf.pem", "-days", "2", "-extfile", "san.ext"),
    )
    return folder


@pytest.fixture
def tls_receiver(certificates, monkeypatch, settings):
    settings.SALESFLOW_WEBHOOKS_ALLOW_HTTP = False  # https only, as in production

    def trusting_the_test_ca() -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(certificates / "ca.pem"))
        return context

    monkeypatch.setattr(delivery, "tls_context", trusting_the_test_ca)
    server = Receiver(tls=(str(certificates / "leaf.pem"), str(certificates / "leaf.key")))
    server.start()
    yield server
    server.stop()


@pytest.mark.django_db
def test_https_goes_to_the_vetted_address_and_checks_the_certificate_for_the_host_name(
    ops, tls_receiver, monkeypatch
):
    # The name is known to salesflow's resolver only: the TLS handshake (SNI) and the
    # certificate check use it without a second lookup.
    _dns(monkeypatch, {"hooks.example.test": ["127.0.0.1"]})
    _, secret = _endpoint(ops, f"https://hooks.example.test:{tls_receiver.port}/in")
    webhook_event("account.created", AccountFactory())
    assert delivery.webhooks_deliver_due().sent == 1
    (got,) = tls_receiver.received
    assert got.headers["host"] == f"hooks.example.test:{tls_receiver.port}"
    Webhook(secret).verify(got.body, got.headers)


@pytest.mark.django_db
def test_a_certificate_for_another_name_is_refused(ops, tls_receiver, monkeypatch):
    _dns(monkeypatch, {"other.example.test": ["127.0.0.1"]})
    _endpoint(ops, f"https://other.example.test:{tls_receiver.port}/in")
    (message,) = webhook_event("account.created", AccountFactory())
    assert delivery.webhooks_deliver_due().retrying == 1
    assert tls_receiver.received == []
    (attempt,) = WebhookAttempt.objects.filter(message=message)
    assert "certificate" in attempt.error.lower()


@pytest.mark.django_db(transaction=True)  # the deletion commits while the post is out
def test_an_endpoint_deleted_during_a_delivery_leaves_nothing_to_record(ops, monkeypatch):
    endpoint, _ = _endpoint(ops, "http://127.0.0.1:9/in")
    webhook_event("account.created", AccountFactory())

    def answered_while_deleted(**kwargs: object) -> delivery.Outcome:
        services.webhook_endpoint_delete(actor=ops, endpoint=endpoint)
        return delivery.Outcome(200, "", "", 5)

    monkeypatch.setattr(delivery, "post", answered_while_deleted)
    assert delivery.webhooks_deliver_due().sent == 0
    assert not OutboxMessage.objects.exists()
    assert not WebhookAttempt.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_senders_racing_deliver_each_message_once(ops, receiver, settings):
    settings.SALESFLOW_WEBHOOKS_BATCH = 5
    receiver.delay = 0.01
    _endpoint(ops, receiver.url)
    for _ in range(40):
        webhook_event("account.created", AccountFactory())
    reports: list[delivery.DeliveryReport] = []

    def sender() -> None:
        try:
            reports.append(delivery.webhooks_deliver_due())
        finally:
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(report.sent for report in reports) == 40
    assert len(receiver.received) == 40  # SKIP LOCKED and the lease: nobody took another's
    assert set(receiver.by_webhook_id().values()) == {1}
    assert sum(1 for report in reports if report.sent) > 1  # they really shared the work
