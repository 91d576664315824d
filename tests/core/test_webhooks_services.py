"""Managing webhook endpoints: who may, what is checked (hypothesis over the URL and the
events: a clear message per field, never a crash), and what each write does."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from hypothesis import given
from hypothesis import strategies as st

from salesflow.core.models import OutboxMessage, WebhookAttempt, WebhookEndpoint
from salesflow.core.webhooks import delivery, safety, selectors, services
from salesflow.core.webhooks.access import can_manage_webhooks, get_webhook_endpoint_for_user
from salesflow.core.webhooks.events import EVENT_NAMES, EVENTS, webhook_event
from tests.factories import AccountFactory, UserFactory
from tests.hostile import fuzz, hostile, ids


@pytest.fixture
def ops(db):
    return UserFactory(role="sales_ops")


@pytest.fixture
def admin(db):
    return UserFactory(role="admin")


@pytest.fixture
def superuser(db):
    return UserFactory(role="rep", is_superuser=True)


@pytest.fixture(autouse=True)
def _public_dns(monkeypatch):
    """Every host is public here (no real lookups); the safety tests play hostile DNS."""
    monkeypatch.setattr(safety, "resolve", lambda host, port: ["93.184.216.34"])


@pytest.fixture
def asked(monkeypatch) -> list[bool]:
    calls: list[bool] = []
    monkeypatch.setattr(delivery, "ask_for_a_sender", lambda: calls.append(True))
    return calls


def _create(actor, **changes) -> tuple[WebhookEndpoint, str]:
    fields = {"url": "https://hooks.example.com/in", "events": ["deal.won", "account.created"]}
    return services.webhook_endpoint_create(actor=actor, **{**fields, **changes})


@pytest.mark.django_db
def test_sales_ops_registers_an_endpoint_and_sees_its_secret_once(ops):
    endpoint, secret = _create(ops, description=" Warehouse ")
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    endpoint.refresh_from_db()
    assert endpoint.secret == secret  # kept: it signs every delivery
    assert endpoint.owner == ops
    assert endpoint.status == WebhookEndpoint.Status.ACTIVE
    assert endpoint.events == ["account.created", "deal.won"]  # the list's order, once each
    assert endpoint.description == "Warehouse"
    assert _create(ops)[1] != secret


def test_events_are_the_contracts_names_in_order():
    assert [name for name, _ in EVENTS] == [
        "account.created",
        "account.updated",
        "contact.created",
        "contact.updated",
        "deal.created",
        "deal.updated",
        "deal.stage_moved",
        "deal.won",
        "deal.lost",
        "soe_step.done",
        "soe_step.skipped",
        "follow_up.surfaced",
        "follow_up.done",
        "review.finished",
    ]


@pytest.mark.django_db
def test_who_manages_webhooks(ops, admin, superuser, rep, manager, outsider):
    endpoint, _ = _create(ops)
    for user in (ops, admin, superuser):
        assert can_manage_webhooks(user)
        assert get_webhook_endpoint_for_user(user, endpoint.pk) == endpoint
        assert list(selectors.webhook_endpoints(user=user)) == [endpoint]
    for user in (rep, manager, outsider):
        assert not can_manage_webhooks(user)
        with pytest.raises(Http404):
            get_webhook_endpoint_for_user(user, endpoint.pk)
        assert list(selectors.webhook_endpoints(user=user)) == []
        with pytest.raises(PermissionDenied):
            _create(user)
        for write in (
            services.webhook_endpoint_rotate_secret,
            services.webhook_endpoint_pause,
            services.webhook_endpoint_delete,
            services.webhook_send_test,
        ):
            with pytest.raises(PermissionDenied):
                write(actor=user, endpoint=endpoint)


@pytest.mark.django_db
@fuzz
@given(pk=ids)
def test_a_hostile_id_is_a_404_never_a_crash(ops, pk):
    with pytest.raises(Http404):
        get_webhook_endpoint_for_user(ops, pk)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"url": ""}, "url", "Enter the URL"),
        ({"url": "ftp://hooks.example.com/"}, "url", "https://"),
        ({"url": "https:///path"}, "url", "host name"),
        ({"url": "https://user:pw@hooks.example.com/"}, "url", "passwords"),
        ({"url": "https://hooks.example.com/a b"}, "url", "spaces"),
        ({"url": "https://hooks.example.com:99999/"}, "url", "valid URL"),
        ({"url": "https://" + "a" * 600 + ".com/"}, "url", "under 500"),
        ({"events": []}, "events", "at least one"),
        ({"events": ["deal.eaten"]}, "events", "Unknown events: 'deal.eaten'"),
        ({"events": "deal.won"}, "events", "as a list"),
        ({"events": [None]}, "events", "Unknown"),
        ({"description": "x" * 201}, "description", "under 200"),
    ],
)
def test_what_is_refused_is_said_by_field(ops, changes, field, words):
    with pytest.raises(ValidationError) as refused:
        _create(ops, **changes)
    assert words in refused.value.message_dict[field][0]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_a_host_that_cannot_be_found_is_said_so(ops, monkeypatch):
    def nowhere(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    monkeypatch.setattr(safety, "resolve", nowhere)
    with pytest.raises(ValidationError) as refused:
        _create(ops, url="https://nowhere.example.com/in")
    assert refused.value.message_dict["url"] == ["The host nowhere.example.com could not be found."]


urls = st.one_of(
    hostile,
    st.text(max_size=80).map(lambda tail: f"https://{tail}"),
    st.text(max_size=80).map(lambda tail: f"http://hooks.example.com/{tail}"),
    st.builds(
        lambda host, port: f"https://{host}:{port}/",
        st.text(min_size=1, max_size=30),
        st.integers(min_value=-5, max_value=70_000),
    ),
)
event_lists = st.one_of(
    st.lists(st.one_of(st.sampled_from(sorted(EVENT_NAMES)), hostile), max_size=6),
    hostile,
    st.none(),
    st.integers(),
)


@pytest.mark.django_db
@fuzz
@given(url=urls, events=event_lists, description=st.one_of(hostile, st.none()))
def test_hostile_input_is_a_clear_refusal_or_a_clean_endpoint(
    ops, settings, url, events, description
):
    for allow_http in (True, False):
        settings.SALESFLOW_WEBHOOKS_ALLOW_HTTP = allow_http
        refusal: ValidationError | None = None
        try:
            with transaction.atomic():
                endpoint, _ = services.webhook_endpoint_create(
                    actor=ops, url=url, events=events, description=description
                )
        except ValidationError as refused:
            refusal = refused
        if refusal is not None:
            assert set(refusal.message_dict) <= {"url", "events", "description"}
            assert all(messages and all(messages) for messages in refusal.message_dict.values())
            continue
        assert endpoint.events
        assert set(endpoint.events) <= EVENT_NAMES
        assert endpoint.url.startswith("https://" if not allow_http else "http")
        safety.parse(endpoint.url)  # what was kept passes the check again
        endpoint.delete()


@pytest.mark.django_db
def test_update_checks_the_same_way(ops):
    endpoint, _ = _create(ops)
    services.webhook_endpoint_update(
        actor=ops,
        endpoint=endpoint,
        url="https://other.example.com/in",
        events=["contact.created"],
        description="Moved",
    )
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.events, endpoint.description) == (
        "https://other.example.com/in",
        ["contact.created"],
        "Moved",
    )
    with pytest.raises(ValidationError) as refused:
        services.webhook_endpoint_update(
            actor=ops, endpoint=endpoint, url="nope", events=[], description=""
        )
    assert set(refused.value.message_dict) == {"url", "events"}
    endpoint.refresh_from_db()
    assert endpoint.url == "https://other.example.com/in"  # nothing half-saved


@pytest.mark.django_db
def test_pause_and_resume_move_once(ops, asked):
    endpoint, _ = _create(ops)
    services.webhook_endpoint_pause(actor=ops, endpoint=endpoint)
    endpoint.refresh_from_db()
    assert endpoint.status == WebhookEndpoint.Status.PAUSED
    assert ops.display_name in endpoint.status_reason
    with pytest.raises(ValidationError):
        services.webhook_endpoint_pause(actor=ops, endpoint=endpoint)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=7)
    services.webhook_endpoint_resume(actor=ops, endpoint=endpoint)
    endpoint.refresh_from_db()
    assert (endpoint.status, endpoint.status_reason, endpoint.consecutive_failures) == (
        "active",
        "",
        0,
    )
    with pytest.raises(ValidationError):
        services.webhook_endpoint_resume(actor=ops, endpoint=endpoint)


@pytest.mark.django_db(transaction=True)
def test_resuming_asks_a_sender_once_committed(ops, asked):
    endpoint, _ = _create(ops)
    services.webhook_endpoint_pause(actor=ops, endpoint=endpoint)
    with transaction.atomic():
        services.webhook_endpoint_resume(actor=ops, endpoint=endpoint)
        assert asked == []
    assert asked == [True]


@pytest.mark.django_db
def test_deleting_an_endpoint_takes_its_messages_and_their_log(ops, asked):
    endpoint, _ = _create(ops, events=["account.created"])
    (message,) = webhook_event("account.created", AccountFactory())
    WebhookAttempt.objects.create(message=message, at=message.created_at, status_code=500)
    services.webhook_endpoint_delete(actor=ops, endpoint=endpoint)
    assert not WebhookEndpoint.objects.exists()
    assert not OutboxMessage.objects.exists()
    assert not WebhookAttempt.objects.exists()


@pytest.mark.django_db
def test_deliveries_newest_first_with_their_attempt_counts(ops, asked):
    endpoint, _ = _create(ops, events=["account.created"])
    other, _ = _create(ops, events=["account.created"])
    first = webhook_event("account.created", AccountFactory())
    second = webhook_event("account.created", AccountFactory())
    mine = [row for row in first + second if row.webhook_endpoint_id == endpoint.pk]
    for seconds, status in ((0, 500), (5, 503)):
        WebhookAttempt.objects.create(
            message=mine[0], at=mine[0].created_at + timedelta(seconds=seconds), status_code=status
        )
    rows = list(selectors.webhook_deliveries(endpoint=endpoint))
    assert [row.pk for row in rows] == [mine[1].pk, mine[0].pk]
    assert [row.attempt_count for row in rows] == [0, 2]
    assert [row.last_status_code for row in rows] == [None, 503]
    assert len(selectors.webhook_deliveries(endpoint=endpoint, limit=1)) == 1
    assert list(selectors.webhook_attempts(message=mine[0])) == list(
        WebhookAttempt.objects.filter(message=mine[0])
    )
    assert other.pk not in {row.webhook_endpoint_id for row in rows}


@pytest.mark.django_db
def test_only_webhook_messages_are_redelivered(ops, asked):
    from salesflow.core.outbox import services as outbox

    (email,) = outbox.outbox_emails_add([outbox.Email(recipient="a@b.test", subject="s", body="")])
    with pytest.raises(ValidationError):
        services.webhook_redeliver(actor=ops, message=email)


@pytest.mark.django_db
def test_a_delivery_is_reached_through_its_endpoint_only(ops, rep, asked):
    from salesflow.core.outbox import services as outbox
    from salesflow.core.webhooks.access import get_webhook_message_for_user

    endpoint, _ = _create(ops, events=["account.created"])
    _create(ops, events=["account.created"])  # another endpoint, told the same
    rows = webhook_event("account.created", AccountFactory())
    (mine,) = [row for row in rows if row.webhook_endpoint_id == endpoint.pk]
    (theirs,) = [row for row in rows if row.webhook_endpoint_id != endpoint.pk]
    (email,) = outbox.outbox_emails_add([outbox.Email(recipient="a@b.test", subject="s", body="")])
    assert get_webhook_message_for_user(ops, endpoint, mine.pk) == mine
    for pk in (theirs.pk, email.pk, "x", -1, 2**63):
        with pytest.raises(Http404):
            get_webhook_message_for_user(ops, endpoint, pk)
    with pytest.raises(Http404):
        get_webhook_message_for_user(rep, endpoint, mine.pk)
