"""Sales ops' webhook pages: adding an endpoint (its secret shown once), the actions on it,
who finds the pages (sales ops and admins; anyone else 404), bad input shown on the form
with nothing saved, and the endpoint page's query count flat with its deliveries."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from salesflow.core.models import OutboxMessage, WebhookAttempt, WebhookEndpoint
from salesflow.core.webhooks import delivery, safety, services
from salesflow.core.webhooks.events import EVENT_NAMES, webhook_event
from tests.factories import AccountFactory, UserFactory
from tests.hostile import fuzz, hostile

pytestmark = pytest.mark.django_db

SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]+")


@pytest.fixture
def ops(db):
    return UserFactory(role="sales_ops", first_name="Sam")


@pytest.fixture(autouse=True)
def _public_dns(monkeypatch):
    """Every host is public here (no real lookups)."""
    monkeypatch.setattr(safety, "resolve", lambda host, port: ["93.184.216.34"])


@pytest.fixture(autouse=True)
def _no_sender_asked(monkeypatch):
    # The pages' tests look at what is written; delivery has its own tests.
    monkeypatch.setattr(delivery, "ask_for_a_sender", lambda: None)


@pytest.fixture
def endpoint(ops) -> WebhookEndpoint:
    found, _ = services.webhook_endpoint_create(
        actor=ops, url="https://hooks.example.com/in", events=["account.created", "deal.won"]
    )
    return found


def test_sales_ops_adds_an_endpoint_and_sees_its_secret_once(client, ops):
    client.force_login(ops)
    response = client.post(
        "/webhooks/new/",
        {
            "url": "https://billing.example.com/hooks",
            "description": "Billing",
            "events": ["deal.won", "deal.lost"],
        },
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/webhooks/{endpoint.pk}/"
    assert (endpoint.owner, endpoint.events) == (ops, ["deal.won", "deal.lost"])

    page = client.get(response["Location"]).content.decode()
    assert SECRET.search(page).group(0) == endpoint.secret
    assert "Deal won" in page
    assert "Billing" in page
    again = client.get(response["Location"]).content.decode()
    assert endpoint.secret not in again
    assert not SECRET.search(again)
    assert "billing.example.com" in client.get("/webhooks/").content.decode()


def test_the_configure_menu_offers_webhooks_to_sales_ops_only(client, ops, rep, manager):
    client.force_login(ops)
    assert 'href="/webhooks/"' in client.get("/").content.decode()
    for user in (rep, manager):
        client.force_login(user)
        assert 'href="/webhooks/"' not in client.get("/").content.decode()


def test_only_sales_ops_and_admins_find_the_pages(client, ops, rep, manager, endpoint):
    admin = UserFactory(role="admin")
    message = services.webhook_send_test(actor=ops, endpoint=endpoint)
    pages = [
        "/webhooks/",
        "/webhooks/new/",
        f"/webhooks/{endpoint.pk}/",
        f"/webhooks/{endpoint.pk}/edit/",
    ]
    actions = [
        f"/webhooks/{endpoint.pk}/{action}/"
        for action in ("pause", "resume", "secret", "test", "delete")
    ] + [f"/webhooks/{endpoint.pk}/deliveries/{message.pk}/redeliver/"]
    for user in (rep, manager):
        client.force_login(user)
        for path in pages:
            assert client.get(path).status_code == 404, (user.role, path)
        for path in actions:
            assert client.post(path).status_code == 404, (user.role, path)
    secret = endpoint.secret
    assert WebhookEndpoint.objects.get().secret == secret  # nothing was done for them
    for user in (ops, admin):
        client.force_login(user)
        for path in pages:
            assert client.get(path).status_code == 200, (user.role, path)


def test_actions_are_posts_only(client, ops, endpoint):
    client.force_login(ops)
    for action in ("pause", "resume", "secret", "test"):
        assert client.get(f"/webhooks/{endpoint.pk}/{action}/").status_code == 405
    # Deleting asks first: the GET is the question, only the POST deletes.
    assert (
        "Delete this endpoint?" in client.get(f"/webhooks/{endpoint.pk}/delete/").content.decode()
    )
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_a_refused_url_is_shown_on_the_form_and_nothing_is_saved(client, ops, monkeypatch):
    client.force_login(ops)
    monkeypatch.setattr(safety, "resolve", lambda host, port: ["10.0.0.1"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.SALESFLOW_WEBHOOKS_ALLOW_PRIVATE", False)
        response = client.post(
            "/webhooks/new/", {"url": "https://inside.example.com/", "events": ["deal.won"]}
        )
    assert response.status_code == 422
    form = response.context["form"]
    assert form.errors["url"]
    assert "inside.example.com" in response.content.decode()  # what was typed stays
    response = client.post("/webhooks/new/", {"url": "https://hooks.example.com/"})
    assert response.status_code == 422
    assert "Pick at least one event." in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


@fuzz
@given(
    url=hostile,
    description=hostile,
    events=st.lists(st.one_of(st.sampled_from(sorted(EVENT_NAMES)), hostile), max_size=4),
)
def test_hostile_form_input_is_a_message_never_a_500(client, ops, url, description, events):
    client.force_login(ops)
    before = WebhookEndpoint.objects.count()
    response = client.post(
        "/webhooks/new/", {"url": url, "description": description, "events": events}
    )
    assert response.status_code in {302, 422}
    if response.status_code == 422:
        assert WebhookEndpoint.objects.count() == before


def test_pause_resume_rotate_test_and_delete(client, ops, endpoint):
    client.force_login(ops)
    old_secret = endpoint.secret

    client.post(f"/webhooks/{endpoint.pk}/pause/")
    endpoint.refresh_from_db()
    assert endpoint.status == WebhookEndpoint.Status.PAUSED
    page = client.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert "Paused" in page
    assert ">Resume<" in page

    client.post(f"/webhooks/{endpoint.pk}/resume/")
    endpoint.refresh_from_db()
    assert endpoint.status == WebhookEndpoint.Status.ACTIVE

    response = client.post(f"/webhooks/{endpoint.pk}/secret/")
    endpoint.refresh_from_db()
    assert endpoint.secret != old_secret
    shown = client.get(response["Location"]).content.decode()
    assert SECRET.search(shown).group(0) == endpoint.secret

    client.post(f"/webhooks/{endpoint.pk}/test/")
    (ping,) = OutboxMessage.objects.filter(webhook_endpoint=endpoint)
    assert ping.event == "ping"
    assert ping.message_id in client.get(f"/webhooks/{endpoint.pk}/").content.decode()

    assert client.get(f"/webhooks/{endpoint.pk}/").status_code == 200
    response = client.post(f"/webhooks/{endpoint.pk}/delete/")
    assert response["Location"] == "/webhooks/"
    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_a_failed_delivery_is_shown_with_its_tries_and_sent_again_under_its_id(
    client, ops, endpoint
):
    (message,) = webhook_event("account.created", AccountFactory())
    OutboxMessage.objects.filter(pk=message.pk).update(status="failed", attempts=8)
    WebhookAttempt.objects.create(
        message=message,
        at=timezone.now(),
        status_code=503,
        duration_ms=41,
        response_excerpt="Service Unavailable",
    )
    client.force_login(ops)
    page = client.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert "Failed" in page
    assert "HTTP 503" in page
    assert "Service Unavailable" in page

    client.post(f"/webhooks/{endpoint.pk}/deliveries/{message.pk}/redeliver/")
    message.refresh_from_db()
    assert message.status == "pending"
    assert OutboxMessage.objects.filter(webhook_endpoint=endpoint).count() == 1

    other, _ = services.webhook_endpoint_create(
        actor=ops, url="https://elsewhere.example.com/", events=["deal.won"]
    )
    wrong = client.post(f"/webhooks/{other.pk}/deliveries/{message.pk}/redeliver/")
    assert wrong.status_code == 404


@pytest.mark.parametrize("pk", ["0", "x", "99999999999999999999", "-1"])
def test_odd_ids_are_404(client, ops, pk):
    client.force_login(ops)
    assert client.get(f"/webhooks/{pk}/").status_code == 404


def test_the_endpoint_page_reads_a_fixed_number_of_queries(
    client, ops, endpoint, django_assert_max_num_queries
):
    client.force_login(ops)

    def deliveries(count: int) -> None:
        for _ in range(count):
            (message,) = webhook_event("account.created", AccountFactory())
            WebhookAttempt.objects.create(message=message, at=timezone.now(), status_code=500)

    deliveries(2)
    with django_assert_max_num_queries(12) as small:
        client.get(f"/webhooks/{endpoint.pk}/")
    deliveries(30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(f"/webhooks/{endpoint.pk}/").status_code == 200
