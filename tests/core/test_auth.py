"""Sign in, sign out, change password, and the lock-out after repeated failures."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_page_is_public_and_signs_in(client, rep):
    assert client.get(reverse("login")).status_code == 200
    response = sign_in(client, rep.username, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_wrong_password_keeps_the_username_and_says_why(client, rep):
    response = sign_in(client, rep.username, "not-the-password")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert f'value="{rep.username}"' in response.content.decode()


def test_logout_is_a_post_and_ends_the_session(client, rep):
    client.force_login(rep)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_password_change_works_and_keeps_the_user_signed_in(client, rep):
    client.force_login(rep)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-much-better-phrase-42",
            "new_password2": "a-much-better-phrase-42",
        },
    )
    assert response.status_code == 302
    rep.refresh_from_db()
    assert rep.check_password("a-much-better-phrase-42")
    assert client.get(reverse("home")).status_code == 200


def test_repeated_failures_lock_the_user_out_even_with_the_right_password(client, rep):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, rep.username, "wrong")
    response = sign_in(client, rep.username, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert AccessAttempt.objects.filter(username=rep.username).exists()
    assert client.get(reverse("home")).status_code == 302  # still signed out


def test_lockout_is_per_user_not_for_everyone(client, rep, teammate):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, rep.username, "wrong")
    assert sign_in(client, teammate.username, PASSWORD).status_code == 302


hostile_text = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["<script>alert(1)</script>", "' OR 1=1 --", "\x00", "a" * 5000, "😀" * 50]),
)


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(username=hostile_text, password=hostile_text)
def test_login_never_fails_with_a_server_error(client, username, password):
    AccessAttempt.objects.all().delete()
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code in {200, 302, 400, 429}
    if "<script>" in username and response.status_code == 200:
        assert "<script>alert(1)</script>" not in response.content.decode()


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(old=hostile_text, new1=hostile_text, new2=hostile_text)
def test_password_change_rejects_bad_input_without_changing_anything(client, rep, old, new1, new2):
    client.force_login(rep)
    response = client.post(
        reverse("password_change"),
        {"old_password": old, "new_password1": new1, "new_password2": new2},
    )
    assert response.status_code in {200, 302, 400}
    rep.refresh_from_db()
    if response.status_code != 302:
        assert rep.check_password(PASSWORD), "a refused change must leave the password as it was"
    else:
        assert rep.check_password(new1)
        rep.set_password(PASSWORD)
        rep.save()


def test_over_long_username_is_refused_with_a_message_not_a_server_error(client):
    response = sign_in(client, "a" * 5000, "whatever")
    assert response.status_code == 200
    assert "Usernames are at most 150 characters." in response.content.decode()
    assert not AccessAttempt.objects.exists()


def test_behind_a_proxy_the_lockout_keys_on_the_clients_address(client, rep, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    attacker = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": rep.username, "password": "wrong"}, **attacker)
    locked = client.post(
        reverse("login"), {"username": rep.username, "password": PASSWORD}, **attacker
    )
    assert locked.status_code == 429
    # The real user, through the same proxy, is not locked out by someone else's guesses.
    real = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    assert (
        client.post(
            reverse("login"), {"username": rep.username, "password": PASSWORD}, **real
        ).status_code
        == 302
    )


def test_client_address_ignores_what_the_client_wrote_itself(rf, settings):
    from salesflow.core.net import client_ip

    settings.TRUSTED_PROXY_COUNT = 1
    spoofed = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.7")
    assert client_ip(spoofed) == "198.51.100.7"
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="junk")) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(spoofed) == "10.0.0.2"
