"""Personal API tokens: made and named on the account page, shown once, stored hashed,
accepted as `Authorization: Bearer`, refused once revoked or expired, throttled per token."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from salesflow import env
from salesflow.core.apitokens import services
from salesflow.core.apitokens.authentication import ApiTokenAuthentication
from salesflow.core.apitokens.models import ApiToken
from salesflow.core.apitokens.throttling import ApiTokenRateThrottle
from salesflow.core.apitokens.views import FRESH_SECRET_KEY
from salesflow.core.models import User
from tests.core.test_settings import run_manage
from tests.factories import UserFactory
from tests.hostile import fuzz, hostile

pytestmark = pytest.mark.django_db

factory = APIRequestFactory()


class WhoAmI(APIView):
    """A stand-in endpoint: whoever the token signs in, and which token it was."""

    authentication_classes = [ApiTokenAuthentication]
    renderer_classes = [JSONRenderer]

    def get(self, request):
        if not request.user.is_authenticated:
            return Response({"user": None})
        token = request.auth.pk if isinstance(request.auth, ApiToken) else None
        return Response({"user": request.user.username, "token": token})


class Throttled(WhoAmI):
    throttle_classes = [ApiTokenRateThrottle]


def call(secret: str | None, view: type[APIView] = WhoAmI, *, keyword: str = "Bearer"):
    headers = {} if secret is None else {"HTTP_AUTHORIZATION": f"{keyword} {secret}"}
    response = view.as_view()(factory.get("/api/whoami/", **headers))
    response.render()
    return response


@pytest.fixture
def admin_user(db):
    return UserFactory(role=User.Role.ADMIN, is_staff=True, is_superuser=True, first_name="Ada")


# --- The secret and what is stored --------------------------------------------------------


def test_a_new_tokens_secret_signs_its_owner_in_as_bearer_and_as_token(rep):
    token, secret = services.apitoken_create(actor=rep, name="Reports")
    assert secret.startswith("sf_")
    assert len(secret) > 40
    for keyword in ("Bearer", "Token", "bearer"):
        response = call(secret, keyword=keyword)
        assert response.status_code == 200, response.data
        assert response.data == {"user": rep.username, "token": token.pk}


def test_only_the_hash_and_a_short_prefix_are_stored(rep):
    token, secret = services.apitoken_create(actor=rep, name="Reports")
    token.refresh_from_db()
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:8]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM core_apitoken WHERE id = %s", [token.pk])
        row = cursor.fetchone()
    assert all(secret not in str(value) for value in row)


def test_no_credentials_is_401_with_a_bearer_challenge():
    class Private(WhoAmI):
        permission_classes = [IsAuthenticated]

    response = call(None, Private)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Bearer sf_not-a-real-token", "Unknown token."),
        ("Bearer", "Send the token as"),
        ("Bearer two parts", "Send the token as"),
    ],
)
def test_an_unknown_or_malformed_token_is_401_with_a_clear_message(header, message):
    request = factory.get("/api/whoami/", HTTP_AUTHORIZATION=header)
    response = WhoAmI.as_view()(request)
    assert response.status_code == 401
    assert str(response.data["detail"]).startswith(message)


def test_a_revoked_token_is_refused_with_401(rep):
    token, secret = services.apitoken_create(actor=rep, name="Reports")
    services.apitoken_revoke(actor=rep, token=token)
    response = call(secret)
    assert response.status_code == 401
    assert response.data["detail"] == "This token was revoked."
    assert services.apitoken_authenticate(secret) is None


def test_an_expired_token_is_refused_with_401_naming_the_day_not_the_owner(rep):
    token, secret = services.apitoken_create(
        actor=rep, name="Reports", expires_at=timezone.now() + timedelta(days=2)
    )
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(days=1))
    response = call(secret)
    assert response.status_code == 401
    detail = str(response.data["detail"])
    assert detail.startswith("This token expired on ")
    assert rep.username not in detail
    assert rep.first_name not in detail
    assert services.apitoken_authenticate(secret) is None


def test_a_deactivated_users_token_is_refused_with_401(rep):
    _, secret = services.apitoken_create(actor=rep, name="Reports")
    User.objects.filter(pk=rep.pk).update(is_active=False)
    response = call(secret)
    assert response.status_code == 401
    assert rep.username not in str(response.data["detail"])
    assert services.apitoken_authenticate(secret) is None


def test_last_use_is_recorded_at_most_once_a_minute(rep):
    token, secret = services.apitoken_create(actor=rep, name="Reports")
    assert token.last_used_at is None
    with CaptureQueriesContext(connection) as first:
        assert services.apitoken_authenticate(secret) is not None
    token.refresh_from_db()
    used = token.last_used_at
    assert used is not None
    assert [q["sql"].split()[0] for q in first.captured_queries] == ["SELECT", "UPDATE"]

    # Within the minute: the lookup only, no write.
    with CaptureQueriesContext(connection) as again:
        assert services.apitoken_authenticate(secret) is not None
    assert [q["sql"].split()[0] for q in again.captured_queries] == ["SELECT"]
    token.refresh_from_db()
    assert token.last_used_at == used

    # A minute later it is written again.
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=used - timedelta(seconds=61))
    assert services.apitoken_authenticate(secret) is not None
    token.refresh_from_db()
    assert token.last_used_at > used - timedelta(seconds=61)


# --- Creating -----------------------------------------------------------------------------


def test_names_are_required_and_unique_among_a_users_live_tokens(rep, teammate):
    with pytest.raises(ValidationError):
        services.apitoken_create(actor=rep, name="   ")
    first, _ = services.apitoken_create(actor=rep, name="Reports")
    with pytest.raises(ValidationError, match="already have a token with this name"):
        services.apitoken_create(actor=rep, name="Reports")
    services.apitoken_create(actor=teammate, name="Reports")  # another person's: fine
    services.apitoken_revoke(actor=rep, token=first)
    services.apitoken_create(actor=rep, name="Reports")  # a revoked one frees the name
    assert ApiToken.objects.filter(user=rep).count() == 2


def test_no_more_than_the_limit_of_live_tokens(rep):
    for number in range(services.MAX_LIVE_TOKENS):
        services.apitoken_create(actor=rep, name=f"Token {number}")
    with pytest.raises(ValidationError, match="Revoke one"):
        services.apitoken_create(actor=rep, name="One too many")
    services.apitoken_revoke(actor=rep, token=ApiToken.objects.filter(user=rep).first())
    services.apitoken_create(actor=rep, name="One too many")


def test_an_expiry_in_the_past_is_refused(rep):
    with pytest.raises(ValidationError):
        services.apitoken_create(actor=rep, name="Old", expires_at=timezone.now())
    assert not ApiToken.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_name", [True, False])
def test_two_creations_at_once_never_pass_the_limit_or_share_a_name(rep, same_name):
    for number in range(services.MAX_LIVE_TOKENS - 1):
        services.apitoken_create(actor=rep, name=f"Token {number}")
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def create(name: str) -> None:
        try:
            start.wait()
            services.apitoken_create(actor=rep, name=name)
            outcomes.append("made")
        except ValidationError as error:
            outcomes.append(" ".join(error.messages))
        finally:
            connection.close()

    names = ["Last", "Last"] if same_name else ["Last A", "Last B"]
    threads = [threading.Thread(target=create, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes)[-1] == "made"
    assert len(outcomes) == 2
    assert outcomes.count("made") == 1
    assert ApiToken.objects.filter(user=rep).count() == services.MAX_LIVE_TOKENS


# --- The page -----------------------------------------------------------------------------


def test_the_page_shows_a_new_secret_once_then_only_its_prefix(client, rep):
    client.force_login(rep)
    url = reverse("apitokens:list")
    response = client.post(url, {"name": "Spreadsheet", "expires_on": ""}, follow=True)
    assert response.status_code == 200
    token = ApiToken.objects.get(user=rep)
    secret = response.context["fresh"]["secret"]
    assert token.key_hash == services.hash_secret(secret)
    assert secret in response.content.decode()
    assert FRESH_SECRET_KEY not in client.session

    again = client.get(url).content.decode()
    assert secret not in again
    assert f"{token.prefix}…" in again
    assert "Spreadsheet" in again
    assert "never" in again


def test_the_page_takes_an_expiry_day_and_shows_it(client, rep):
    client.force_login(rep)
    day = timezone.localdate() + timedelta(days=30)
    client.post(reverse("apitokens:list"), {"name": "Month", "expires_on": day.isoformat()})
    token = ApiToken.objects.get(user=rep)
    assert timezone.localtime(token.expires_at).date() == day
    assert (
        f"end of {day.day} {day.strftime('%b')} {day.year}"
        in client.get(reverse("apitokens:list")).content.decode()
    )


@pytest.mark.parametrize("days", [0, -1, 5 * 366 + 30])
def test_the_page_refuses_an_expiry_today_in_the_past_or_too_far(client, rep, days):
    client.force_login(rep)
    day = timezone.localdate() + timedelta(days=days)
    response = client.post(reverse("apitokens:list"), {"name": "X", "expires_on": day.isoformat()})
    assert response.status_code == 422
    assert "Pick a day" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_page_lists_only_your_own_tokens(client, rep, teammate):
    services.apitoken_create(actor=teammate, name="Theirs")
    services.apitoken_create(actor=rep, name="Mine")
    client.force_login(rep)
    page = client.get(reverse("apitokens:list")).content.decode()
    assert "Mine" in page
    assert "Theirs" not in page


def test_the_page_costs_the_same_few_queries_however_many_tokens(client, rep):
    client.force_login(rep)
    url = reverse("apitokens:list")
    services.apitoken_create(actor=rep, name="One")
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for number in range(12):
        token, _ = services.apitoken_create(actor=rep, name=f"Token {number}")
        if number % 3 == 0:
            services.apitoken_revoke(actor=rep, token=token)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many.captured_queries) == len(one.captured_queries) <= 5


def test_the_user_menu_links_to_the_page(client, rep):
    client.force_login(rep)
    assert reverse("apitokens:list") in client.get(reverse("home")).content.decode()


# --- Revoking: owner, teammate, outsider, admin -------------------------------------------


def test_the_owner_revokes_from_the_page(client, rep):
    token, secret = services.apitoken_create(actor=rep, name="Reports")
    client.force_login(rep)
    response = client.post(reverse("apitokens:revoke", args=[token.pk]), follow=True)
    assert response.status_code == 200
    assert "is revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert call(secret).status_code == 401
    # Twice: said so, and the first time stays.
    revoked_at = token.revoked_at
    response = client.post(reverse("apitokens:revoke", args=[token.pk]), follow=True)
    assert "already revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at == revoked_at


@pytest.mark.parametrize("other", ["teammate", "outsider"])
def test_anyone_else_gets_404_and_the_token_stays(client, rep, other, request):
    token, secret = services.apitoken_create(actor=rep, name="Reports")
    client.force_login(request.getfixturevalue(other))
    assert client.post(reverse("apitokens:revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert call(secret).status_code == 200


def test_revoking_takes_a_post(client, rep):
    token, _ = services.apitoken_create(actor=rep, name="Reports")
    client.force_login(rep)
    assert client.get(reverse("apitokens:revoke", args=[token.pk])).status_code == 405


def test_an_admin_revokes_anyones_token(client, rep, admin_user):
    token, secret = services.apitoken_create(actor=rep, name="Reports")
    services.apitoken_revoke(actor=admin_user, token=token)
    assert call(secret).status_code == 401


def test_the_admin_lists_everyones_tokens_without_secrets_and_revokes(client, rep, admin_user):
    token, secret = services.apitoken_create(actor=rep, name="Reports")
    client.force_login(admin_user)
    changelist = reverse("admin:core_apitoken_changelist")
    page = client.get(changelist).content.decode()
    assert "Reports" in page
    assert token.prefix in page
    assert secret not in page
    assert token.key_hash not in page
    detail = client.get(reverse("admin:core_apitoken_change", args=[token.pk])).content.decode()
    assert token.key_hash not in detail
    assert secret not in detail

    response = client.post(
        changelist, {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )
    assert "1 token(s) revoked." in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert call(secret).status_code == 401


def test_the_admin_cannot_filter_by_a_tokens_hash(client, rep, admin_user):
    token, _ = services.apitoken_create(actor=rep, name="Reports")
    services.apitoken_create(actor=rep, name="Other")
    client.force_login(admin_user)
    changelist = reverse("admin:core_apitoken_changelist")
    for lookup in ("key_hash", "key_hash__startswith"):
        response = client.get(changelist, {lookup: token.key_hash[:10]})
        page = response.content.decode()
        # Refused (the admin's "?e=1" redirect or an error), never a list narrowed by it.
        assert response.status_code in {302, 400} or "Other" in page


def test_only_admins_see_or_revoke_tokens_sales_ops_do_not(client, rep):
    sales_ops = UserFactory(role=User.Role.SALES_OPS, is_staff=True)
    token, _ = services.apitoken_create(actor=rep, name="Reports")
    client.force_login(sales_ops)
    changelist = reverse("admin:core_apitoken_changelist")
    assert client.get(changelist).status_code == 403
    client.post(changelist, {"action": "revoke", "_selected_action": [token.pk]})
    with pytest.raises(PermissionDenied, match="owner or an admin"):
        services.apitoken_revoke(actor=sales_ops, token=token)
    token.refresh_from_db()
    assert token.revoked_at is None


# --- Throttling ---------------------------------------------------------------------------


@override_settings(SALESFLOW_API_RATE="3/min")
def test_the_throttle_answers_429_with_retry_after_per_token(rep):
    _, secret = services.apitoken_create(actor=rep, name="One")
    _, other = services.apitoken_create(actor=rep, name="Two")
    assert [call(secret, Throttled).status_code for _ in range(3)] == [200, 200, 200]
    refused = call(secret, Throttled)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    # Another token of the same person has its own allowance.
    assert call(other, Throttled).status_code == 200


@override_settings(SALESFLOW_API_RATE="2/hour")
def test_the_throttle_counts_a_session_per_user(rep, teammate):
    def session_call(user):
        # A browser's session request: signed in, no token (request.auth is None).
        request = factory.get("/api/whoami/")
        force_authenticate(request, user=user)
        return Throttled.as_view()(request)

    assert [session_call(rep).status_code for _ in range(2)] == [200, 200]
    refused = session_call(rep)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 60
    assert session_call(teammate).status_code == 200


@pytest.mark.parametrize(
    ("value", "parsed"), [(None, "600/min"), ("10/s", "10/s"), (" 1000/hour", "1000/hour")]
)
def test_the_rate_setting_reads_counts_per_period(value, parsed):
    environ = {} if value is None else {"SALESFLOW_API_RATE": value}
    assert env.env_rate("SALESFLOW_API_RATE", "600/min", environ=environ) == parsed


@pytest.mark.parametrize("value", ["600", "600/mango", "0/min", "-1/min", "ten/min", "6/0/min"])
def test_the_rate_setting_is_parsed_strictly(value):
    with pytest.raises(ImproperlyConfigured, match="SALESFLOW_API_RATE"):
        env.env_rate("SALESFLOW_API_RATE", "600/min", environ={"SALESFLOW_API_RATE": value})


def test_a_bad_rate_stops_the_process_at_boot(tmp_path):
    environ = {
        "DJANGO_SETTINGS_MODULE": "salesflow.settings.base",
        "SALESFLOW_VAR_DIR": str(tmp_path),
        "DATABASE_URL": "postgres://salesflow@127.0.0.1/salesflow",
        "SALESFLOW_API_RATE": "600/fortnight",
    }
    result = run_manage("check", extra_env=environ)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SALESFLOW_API_RATE" in result.stderr


# --- Hostile input ------------------------------------------------------------------------


@fuzz
@given(name=hostile, expires_on=st.one_of(hostile, st.dates().map(str)))
def test_the_create_form_answers_anything_with_a_page_and_saves_nothing_bad(
    client, rep, name, expires_on
):
    client.force_login(rep)
    before = ApiToken.objects.filter(user=rep).count()
    response = client.post(reverse("apitokens:list"), {"name": name, "expires_on": expires_on})
    assert response.status_code in {302, 422}, response.status_code
    after = ApiToken.objects.filter(user=rep)
    if response.status_code == 422:
        assert after.count() == before
    else:
        assert after.count() == before + 1
        newest = after.first()
        assert newest.name == name.strip()
        assert newest.expires_at is None or newest.expires_at > timezone.now()
    ApiToken.objects.filter(user=rep).delete()


@fuzz
@given(pk=hostile)
def test_revoke_answers_any_address_with_404_not_500(client, rep, pk):
    client.force_login(rep)
    if "/" in pk or not pk:
        return  # not routed to this view at all
    # Quoted as a browser sends it: a bare "?" or "#" would end the path, not be the id.
    response = client.post(f"/account/api-tokens/{quote(pk, safe='')}/revoke/")
    assert response.status_code in {404, 400}
