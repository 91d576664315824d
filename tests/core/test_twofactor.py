"""Two-factor sign-in: enrolment, the second step with an app code or a recovery code,
who must use it, turning it off, and the lock-out of codes and of one address trying many
usernames."""

from __future__ import annotations

from binascii import unhexlify

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import given

from salesflow.core.models import User
from salesflow.core.twofactor import services
from salesflow.core.twofactor.session import ENROL_SECRET_KEY, FRESH_CODES_KEY
from tests.core.authenticator import code_at, enrolled, next_code
from tests.core.test_settings import GOOD_SECRET, run_manage
from tests.factories import PASSWORD, UserFactory
from tests.hostile import fuzz, hostile

pytestmark = pytest.mark.django_db

REQUIRED = override_settings(SALESFLOW_REQUIRE_2FA=True)


def sign_in(client, user: User, *, address: str = "127.0.0.1"):
    return client.post(
        reverse("login"), {"username": user.username, "password": PASSWORD}, REMOTE_ADDR=address
    )


def verify(client, code: str, next_url: str = ""):
    return client.post(reverse("twofactor:verify"), {"code": code, "next": next_url})


@pytest.fixture
def sales_ops(db):
    return UserFactory(role=User.Role.SALES_OPS, is_staff=True, first_name="Sam")


@pytest.fixture
def admin_user(db):
    return UserFactory(role=User.Role.ADMIN, is_staff=True, is_superuser=True, first_name="Ada")


# --- Enrolment ---------------------------------------------------------------------------


def test_enrolment_refuses_a_wrong_code_and_confirms_with_the_right_one(client, rep):
    client.force_login(rep)
    page = client.get(reverse("twofactor:enrol"))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'src="data:image/svg+xml' in body  # the QR code, drawn by segno
    secret = client.session[ENROL_SECRET_KEY]
    key = unhexlify(secret)
    assert services.secret_for_typing(secret) in body  # and the secret, to type by hand
    # Reloading keeps the same secret: the app may have scanned it already.
    client.get(reverse("twofactor:enrol"))
    assert client.session[ENROL_SECRET_KEY] == secret

    right = code_at(key)
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    refused = client.post(reverse("twofactor:enrol"), {"code": wrong})
    assert refused.status_code == 422
    assert "That code does not match" in refused.content.decode()
    assert not TOTPDevice.objects.filter(user=rep).exists()
    assert not StaticDevice.objects.filter(user=rep).exists()

    confirmed = client.post(reverse("twofactor:enrol"), {"code": right[:3] + " " + right[3:]})
    assert confirmed.status_code == 302
    assert confirmed["Location"] == reverse("twofactor:codes")
    device = TOTPDevice.objects.get(user=rep)
    assert device.confirmed
    assert device.key == secret
    assert StaticToken.objects.filter(device__user=rep).count() == 10
    assert ENROL_SECRET_KEY not in client.session
    # The session that enrolled has passed the second step already.
    assert client.get(reverse("home")).status_code == 200


def test_recovery_codes_are_shown_once_and_downloadable_as_text(client, rep):
    client.force_login(rep)
    client.get(reverse("twofactor:enrol"))
    key = unhexlify(client.session[ENROL_SECRET_KEY])
    client.post(reverse("twofactor:enrol"), {"code": code_at(key)})
    stored = sorted(StaticToken.objects.filter(device__user=rep).values_list("token", flat=True))
    assert sorted(client.session[FRESH_CODES_KEY]) == stored

    page = client.get(reverse("twofactor:codes")).content.decode()
    shown = [f"{code[:4]}-{code[4:]}" for code in stored]
    assert all(code in page for code in shown)
    download = client.get(reverse("twofactor:codes_download"))
    assert download["Content-Type"] == "text/plain; charset=utf-8"
    assert "attachment" in download["Content-Disposition"]
    assert all(code in download.content.decode() for code in shown)

    done = client.post(reverse("twofactor:codes"))
    assert done.status_code == 302
    # Never again: the page and the download no longer have them.
    again = client.get(reverse("twofactor:codes"), follow=True).content.decode()
    assert not any(code in again for code in shown)
    assert "shown only once" in again
    assert client.get(reverse("twofactor:codes_download")).status_code == 404


def test_new_recovery_codes_replace_the_old_ones(client, rep):
    _, old = enrolled(rep)
    client.force_login(rep)
    client.post(reverse("twofactor:verify"), {"code": old[0]})
    response = client.post(reverse("twofactor:codes_regenerate"))
    assert response["Location"] == reverse("twofactor:codes")
    new = set(StaticToken.objects.filter(device__user=rep).values_list("token", flat=True))
    assert len(new) == 10
    assert not new & set(old)
    assert set(client.session[FRESH_CODES_KEY]) == new


def test_enrolling_twice_is_refused(rep):
    enrolled(rep)
    with pytest.raises(Exception, match="already on"):
        enrolled(rep)
    assert TOTPDevice.objects.filter(user=rep).count() == 1


# --- The second step ---------------------------------------------------------------------


def test_sign_in_with_an_app_code_after_the_password(client, rep):
    device, _ = enrolled(rep)
    assert sign_in(client, rep).status_code == 302
    # Signed in with the password only: every page sends the session to the second step.
    for name in ("home", "prospects:account_list", "notifications", "twofactor:settings"):
        response = client.get(reverse(name))
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("twofactor:verify") + "?next=")
    page = client.get(reverse("twofactor:verify") + "?next=/accounts/")
    assert page.status_code == 200
    assert "Your sign-in code" in page.content.decode()

    code = next_code(device)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    refused = verify(client, wrong, "/accounts/")
    assert refused.status_code == 422
    assert "That code is not right" in refused.content.decode()
    assert client.get(reverse("home")).status_code == 302

    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)
    passed = verify(client, code, "/accounts/")
    assert passed.status_code == 302
    assert passed["Location"] == "/accounts/"
    assert client.get(reverse("home")).status_code == 200
    # The same code cannot be used twice (someone watching over a shoulder).
    client.post(reverse("logout"))
    sign_in(client, rep)
    assert verify(client, code).status_code == 422


def test_before_the_second_step_no_new_recovery_codes_and_no_turning_off(client, rep):
    device, codes = enrolled(rep)
    sign_in(client, rep)
    for name in ("twofactor:codes_regenerate", "twofactor:disable", "twofactor:codes"):
        response = client.post(reverse(name), {"code": codes[0]})
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("twofactor:verify")), name
    assert sorted(
        StaticToken.objects.filter(device__user=rep).values_list("token", flat=True)
    ) == sorted(codes)
    assert FRESH_CODES_KEY not in client.session
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_a_second_step_reset_by_an_admin_meanwhile_is_not_asked_for(client, rep):
    enrolled(rep)
    sign_in(client, rep)
    TOTPDevice.objects.filter(user=rep).delete()
    StaticDevice.objects.filter(user=rep).delete()
    assert client.get(reverse("twofactor:verify"))["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_the_second_step_ignores_a_next_address_elsewhere(client, rep):
    device, _ = enrolled(rep)
    sign_in(client, rep)
    response = verify(client, next_code(device), "https://evil.example/")
    assert response["Location"] == reverse("home")


def test_a_user_without_two_factor_signs_in_with_the_password_alone(client, rep):
    sign_in(client, rep)
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("twofactor:verify"))["Location"] == reverse("home")


def test_a_recovery_code_signs_in_once(client, rep):
    _, codes = enrolled(rep)
    sign_in(client, rep)
    used = codes[3]
    response = verify(client, f"{used[:4].upper()}-{used[4:].upper()}")  # as printed, shouting
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    assert StaticToken.objects.filter(device__user=rep).count() == 9

    client.post(reverse("logout"))
    sign_in(client, rep)
    StaticDevice.objects.filter(user=rep).update(throttling_failure_timestamp=None)
    again = verify(client, used)
    assert again.status_code == 422
    assert "each works only once" in again.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_wrong_codes_are_throttled_by_the_device(client, rep):
    device, _ = enrolled(rep)
    sign_in(client, rep)
    code = next_code(device)
    verify(client, f"{(int(code) + 1) % 1_000_000:06d}")
    # Right after a wrong code even the right one waits (django-otp doubles the wait).
    response = verify(client, code)
    assert response.status_code == 422
    assert "Too many wrong codes" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_wrong_codes_count_toward_the_lock_out_and_end_the_half_sign_in(client, rep):
    device, _ = enrolled(rep)
    sign_in(client, rep)
    wrong = "000000" if next_code(device) != "000000" else "111111"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert verify(client, wrong).status_code == 422
    response = verify(client, wrong)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert AccessAttempt.objects.filter(username=rep.username).exists()
    # Signed out, and the password alone no longer opens even the first step.
    assert client.get(reverse("twofactor:verify"))["Location"].startswith(reverse("login"))
    assert sign_in(client, rep).status_code == 429


# --- Who must use it ----------------------------------------------------------------------


@REQUIRED
@pytest.mark.parametrize("role", ["sales_ops", "admin_user"])
def test_admins_and_sales_ops_are_sent_to_enrol_everywhere_until_they_do(client, role, request):
    user = request.getfixturevalue(role)
    sign_in(client, user)
    enrol = reverse("twofactor:enrol")
    for path in ("/", "/accounts/", "/board/", reverse("admin:index"), "/admin/core/user/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(enrol + "?next="), path
    # What stays open: enrolment itself, /healthz, signing out.
    page = client.get(enrol)
    assert page.status_code == 200
    assert "Your role signs in with two factors" in page.content.decode()
    assert client.get(reverse("healthz")).status_code in {200, 503}

    key = unhexlify(client.session[ENROL_SECRET_KEY])
    response = client.post(enrol, {"code": code_at(key), "next": "/board/"})
    assert response["Location"] == reverse("twofactor:codes") + "?next=/board/"
    assert client.get("/").status_code == 200
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302


@REQUIRED
def test_htmx_requests_are_sent_to_enrol_with_a_full_page_redirect(client, sales_ops):
    client.force_login(sales_ops)
    response = client.get("/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("twofactor:enrol")


def test_no_one_is_forced_when_the_setting_is_off(client, sales_ops, admin_user):
    for user in (sales_ops, admin_user):
        client.force_login(user)
        assert client.get("/").status_code == 200
        assert client.get(reverse("admin:index")).status_code == 200


@REQUIRED
def test_reps_and_managers_are_never_forced(client, rep, manager):
    for user in (rep, manager):
        client.force_login(user)
        assert client.get("/").status_code == 200


# --- Turning it off -----------------------------------------------------------------------


def test_turning_it_off_needs_a_current_code(client, rep):
    device, _ = enrolled(rep)
    sign_in(client, rep)
    verify(client, next_code(device))
    refused = client.post(reverse("twofactor:disable"), {"code": ""})
    assert refused.status_code == 422
    refused = client.post(reverse("twofactor:disable"), {"code": "12345678901234567890"})
    assert refused.status_code == 422
    assert TOTPDevice.objects.filter(user=rep).exists()
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)
    code = next_code(device)
    wrong = client.post(
        reverse("twofactor:disable"), {"code": f"{(int(code) + 1) % 1_000_000:06d}"}
    )
    assert wrong.status_code == 422
    assert TOTPDevice.objects.filter(user=rep).exists()

    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)
    assert client.post(reverse("twofactor:disable"), {"code": code}).status_code == 302
    assert not TOTPDevice.objects.filter(user=rep).exists()
    assert not StaticDevice.objects.filter(user=rep).exists()
    client.post(reverse("logout"))
    sign_in(client, rep)
    assert client.get("/").status_code == 200  # the password alone again


@REQUIRED
def test_whoever_must_use_it_cannot_turn_it_off(client, sales_ops):
    device, _ = enrolled(sales_ops)
    sign_in(client, sales_ops)
    verify(client, next_code(device))
    response = client.post(reverse("twofactor:disable"), {"code": next_code(device)})
    assert response.status_code == 422
    assert "cannot be turned off" in response.content.decode()
    assert TOTPDevice.objects.filter(user=sales_ops).exists()


# --- One address trying many usernames ----------------------------------------------------


def test_one_address_trying_many_usernames_is_locked_out_another_is_not(client, rep):
    limit = settings.AXES_ADDRESS_FAILURE_LIMIT
    assert limit > settings.AXES_FAILURE_LIMIT
    spray = "203.0.113.7"
    # One wrong password for each of many usernames: each pair stays far under its limit.
    for number in range(limit - 1):
        response = client.post(
            reverse("login"),
            {"username": f"guess{number}", "password": "Summer2026!"},
            REMOTE_ADDR=spray,
        )
        assert response.status_code == 200, number
    client.post(reverse("login"), {"username": "guess-last", "password": "x"}, REMOTE_ADDR=spray)
    # Now even a right password from that address is refused…
    locked = sign_in(client, rep, address=spray)
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert client.get("/").status_code == 302
    # …while the same person from another address signs in.
    assert sign_in(client, rep, address="198.51.100.20").status_code == 302
    assert client.get("/").status_code == 200


def test_an_address_under_its_limit_still_signs_in(client, rep):
    for number in range(settings.AXES_ADDRESS_FAILURE_LIMIT - 1):
        client.post(
            reverse("login"),
            {"username": f"typo{number}", "password": "x"},
            REMOTE_ADDR="203.0.113.8",
        )
    assert sign_in(client, rep, address="203.0.113.8").status_code == 302


# --- Hostile input ------------------------------------------------------------------------


@fuzz
@given(text=hostile)
def test_the_second_step_answers_any_text_with_a_message(client, rep, text):
    device = TOTPDevice.objects.filter(user=rep).first() or enrolled(rep)[0]
    AccessAttempt.objects.all().delete()
    client.force_login(rep)
    response = verify(client, text)
    assert response.status_code in {302, 422, 429}
    if response.status_code == 422:
        body = response.content.decode()
        assert "alert alert-" in body or "invalid-feedback" in body
        assert "<script>alert(1)</script>" not in body
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


@fuzz
@given(text=hostile)
def test_enrolment_answers_any_text_with_a_message_and_saves_nothing(client, rep, text):
    client.force_login(rep)
    response = client.post(reverse("twofactor:enrol"), {"code": text})
    assert response.status_code in {302, 422}
    if response.status_code == 422:
        assert "invalid-feedback" in response.content.decode()
        assert not TOTPDevice.objects.filter(user=rep).exists()
        assert not StaticDevice.objects.filter(user=rep).exists()
    else:  # a 1-in-a-million guess of the current code
        TOTPDevice.objects.filter(user=rep).delete()
        StaticDevice.objects.filter(user=rep).delete()


@fuzz
@given(text=hostile)
def test_turning_off_answers_any_text_with_a_message(client, rep, text):
    device = TOTPDevice.objects.filter(user=rep).first() or enrolled(rep)[0]
    client.force_login(rep)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    response = client.post(reverse("twofactor:disable"), {"code": text})
    assert response.status_code in {302, 422}
    if response.status_code == 422:
        assert TOTPDevice.objects.filter(pk=device.pk).exists()


# --- The admin ----------------------------------------------------------------------------


def test_the_admin_lists_devices_without_their_secrets(client, admin_user, rep):
    device, codes = enrolled(rep)
    client.force_login(admin_user)
    for url in (
        reverse("admin:otp_totp_totpdevice_changelist"),
        reverse("admin:otp_totp_totpdevice_change", args=[device.pk]),
        reverse("admin:otp_static_staticdevice_changelist"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert device.key not in body
        assert services.secret_for_typing(device.key) not in body
        assert not any(code in body for code in codes)
    # Deleting the devices is the reset for a lost phone.
    response = client.post(
        reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=rep).exists()


# --- Settings -----------------------------------------------------------------------------

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "salesflow.settings.production",
    "SECRET_KEY": GOOD_SECRET,
    "ALLOWED_HOSTS": "crm.example.test",
    "DATABASE_URL": "postgres://salesflow@127.0.0.1/salesflow",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}
PRINT_SETTINGS = (
    "from django.conf import settings; "
    "print(settings.SALESFLOW_REQUIRE_2FA, settings.AXES_ADDRESS_FAILURE_LIMIT)"
)


@pytest.mark.parametrize(
    ("extra", "printed"),
    [
        ({}, "True 20"),
        ({"SALESFLOW_REQUIRE_2FA": "off", "AXES_ADDRESS_FAILURE_LIMIT": "50"}, "False 50"),
    ],
)
def test_production_requires_two_factor_unless_told_otherwise(tmp_path, extra, printed):
    env = {**PRODUCTION_ENV, "SALESFLOW_VAR_DIR": str(tmp_path), **extra}
    result = run_manage("shell", "-c", PRINT_SETTINGS, extra_env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == printed


@pytest.mark.parametrize(
    ("name", "value"), [("SALESFLOW_REQUIRE_2FA", "sometimes"), ("AXES_ADDRESS_FAILURE_LIMIT", "0")]
)
def test_two_factor_settings_are_parsed_strictly(tmp_path, name, value):
    env = {**PRODUCTION_ENV, "SALESFLOW_VAR_DIR": str(tmp_path), name: value}
    result = run_manage("check", extra_env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr


def test_base_settings_leave_two_factor_optional(tmp_path):
    env = {"DJANGO_SETTINGS_MODULE": "salesflow.settings.base", "SALESFLOW_VAR_DIR": str(tmp_path)}
    env["DATABASE_URL"] = "postgres://salesflow@127.0.0.1/salesflow"
    result = run_manage("shell", "-c", PRINT_SETTINGS, extra_env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False 20"


# --- What it costs a page -----------------------------------------------------------------


def otp_queries(client, path: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return [query["sql"] for query in queries if '"otp_' in query["sql"]]


def test_a_page_asks_about_devices_only_for_a_session_that_passed_the_step(client, rep, teammate):
    # Without two-factor sign-in: whether there is a step to pass was settled at sign-in.
    sign_in(client, rep)
    assert otp_queries(client, "/") == []
    assert otp_queries(client, "/accounts/") == []
    # With it: django-otp loads the device that verified the session, one query a page.
    device, _ = enrolled(teammate)
    client.post(reverse("logout"))
    sign_in(client, teammate)
    verify(client, next_code(device))
    assert len(otp_queries(client, "/")) == 1
    assert len(otp_queries(client, "/accounts/")) == 1
