"""The profile page: each section saves the signed-in user's own row and nobody else's,
bad input is refused with nothing saved, and the password change ends the other sessions."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from salesflow.core.audit.tracking import EVENT_MODELS
from salesflow.core.models import Notification, User
from salesflow.core.profile import services
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PAGE = reverse("profile:page")


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_shows_every_section_with_the_users_own_values(client, rep):
    rep.time_zone = "Pacific/Auckland"
    rep.save()
    client.force_login(rep)
    response = client.get(PAGE)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    html = response.content.decode()
    for heading in (
        "Your details",
        "Time zone",
        "Email notifications",
        "Password",
        "Two-factor sign-in",
        "API tokens",
        "Calendar feed",  # pipeline's panel
    ):
        assert heading in html
    assert f'value="{rep.email}"' in html
    assert '<option value="Pacific/Auckland" selected>Pacific/Auckland</option>' in html
    assert reverse("twofactor:enrol") in html
    assert reverse("apitokens:list") in html
    assert reverse("pipeline:calendar_settings") in html


def test_the_user_menu_links_the_profile(client, rep):
    client.force_login(rep)
    html = client.get(reverse("home")).content.decode()
    assert f'href="{PAGE}">Your profile</a>' in html
    assert f'href="{PAGE}#password">Change password</a>' in html


@pytest.mark.parametrize("who", ["rep", "teammate", "manager", "outsider"])
def test_each_person_changes_only_their_own_details(who, request, rep, teammate, manager, outsider):
    """There is no one else's profile to ask for: whoever posts, and whatever names a user
    or a role in the form, only the poster's own row changes, and only the section's fields."""
    people = {"rep": rep, "teammate": teammate, "manager": manager, "outsider": outsider}
    poster = people[who]
    before = {p.pk: (p.first_name, p.email, p.role, p.username) for p in people.values()}
    response = _signed_in(poster).post(
        reverse("profile:details"),
        {
            "first_name": "Robin",
            "last_name": "Vale",
            "email": f"robin.{who}@example.test",
            # Not fields of the form: ignored.
            "pk": rep.pk,
            "user": rep.pk,
            "username": "taken-over",
            "role": "admin",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == PAGE
    for person in people.values():
        person.refresh_from_db()
        if person == poster:
            assert (person.first_name, person.last_name) == ("Robin", "Vale")
            assert person.email == f"robin.{who}@example.test"
            assert (person.role, person.username) == before[person.pk][2:]
        else:
            assert (person.first_name, person.email, person.role, person.username) == before[
                person.pk
            ]


def test_the_page_needs_sign_in(client):
    for name in ("page", "details", "time_zone", "emails", "password"):
        response = client.get(reverse(f"profile:{name}"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_sections_take_posts_only(client, rep):
    client.force_login(rep)
    for name in ("details", "time_zone", "emails", "password"):
        assert client.get(reverse(f"profile:{name}")).status_code == 405
    assert client.post(PAGE).status_code == 405


@pytest.mark.parametrize(
    "taken", ["robin@example.test", "ROBIN@Example.TEST", " Robin@example.test "]
)
def test_an_email_another_user_has_is_refused_whatever_its_case(client, rep, taken):
    UserFactory(email="robin@example.test")
    client.force_login(rep)
    response = client.post(
        reverse("profile:details"), {"first_name": "New", "last_name": "Name", "email": taken}
    )
    assert response.status_code == 422
    assert services.EMAIL_TAKEN in response.content.decode()
    old = (rep.first_name, rep.email)
    rep.refresh_from_db()
    assert (rep.first_name, rep.email) == old  # nothing half-saved


def test_keeping_ones_own_email_in_another_case_is_allowed(client, rep):
    client.force_login(rep)
    response = client.post(
        reverse("profile:details"),
        {"first_name": "A", "last_name": "B", "email": rep.email.upper()},
    )
    assert response.status_code == 302
    rep.refresh_from_db()
    # The domain is written as Django writes it (lower case); the name part as typed.
    domain = rep.email.partition("@")[2]
    assert domain == domain.lower()


def test_the_email_may_be_left_empty_and_the_emails_section_says_what_that_means(client, rep):
    client.force_login(rep)
    client.post(reverse("profile:details"), {"first_name": "A", "last_name": "B", "email": ""})
    rep.refresh_from_db()
    assert rep.email == ""
    assert "salesflow cannot email you anything" in client.get(PAGE).content.decode()


def test_the_time_zone_is_saved_and_the_next_page_shows_times_in_it(client, rep):
    client.force_login(rep)
    response = client.post(reverse("profile:time_zone"), {"time_zone": "America/Los_Angeles"})
    assert response.status_code == 302
    rep.refresh_from_db()
    assert rep.time_zone == "America/Los_Angeles"
    page = client.get(PAGE).content.decode()
    assert "Times shown in America/Los_Angeles" in page
    assert "Times are now shown in America/Los_Angeles." in page


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "localtime", "../../etc/passwd"])
def test_an_unknown_time_zone_is_refused(client, rep, zone):
    client.force_login(rep)
    before = rep.time_zone
    response = client.post(reverse("profile:time_zone"), {"time_zone": zone})
    assert response.status_code == 422
    assert "is-invalid" in response.content.decode()
    rep.refresh_from_db()
    assert rep.time_zone == before


def test_email_notifications_are_turned_off_and_on_again(client, rep):
    client.force_login(rep)
    response = client.post(reverse("profile:emails"), {"wanted": [Notification.Kind.WEBHOOK]})
    assert response.status_code == 302
    rep.refresh_from_db()
    assert rep.emails_muted == [Notification.Kind.FOLLOW_UP]
    assert not rep.wants_email(Notification.Kind.FOLLOW_UP)
    assert rep.wants_email(Notification.Kind.WEBHOOK)
    html = client.get(PAGE).content.decode()
    assert re.search(r'<input type="checkbox" [^>]*value="webhook"[^>]* checked', html)
    assert not re.search(r'<input type="checkbox" [^>]*value="follow_up"[^>]* checked', html)
    client.post(reverse("profile:emails"), {})  # every box cleared
    rep.refresh_from_db()
    assert sorted(rep.emails_muted) == sorted(Notification.EMAILED)
    client.post(reverse("profile:emails"), {"wanted": list(Notification.EMAILED)})
    rep.refresh_from_db()
    assert rep.emails_muted == []


def test_a_kind_that_is_not_emailed_cannot_be_chosen(client, rep):
    client.force_login(rep)
    response = client.post(reverse("profile:emails"), {"wanted": ["stuck_deal"]})
    assert response.status_code == 422
    rep.refresh_from_db()
    assert rep.emails_muted == []


def test_the_password_changes_this_session_stays_and_the_others_end(rep):
    here, elsewhere = Client(), Client()
    for browser in (here, elsewhere):
        assert browser.post(reverse("login"), {"username": rep.username, "password": PASSWORD})
        assert browser.get(reverse("home")).status_code == 200
    response = here.post(
        reverse("profile:password"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-quieter-evening-walk-17",
            "new_password2": "a-quieter-evening-walk-17",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == PAGE
    rep.refresh_from_db()
    assert rep.check_password("a-quieter-evening-walk-17")
    assert here.get(reverse("home")).status_code == 200
    assert elsewhere.get(reverse("home")).status_code == 302  # signed out


@pytest.mark.parametrize(
    ("old", "new1", "new2", "said"),
    [
        ("wrong", "a-quieter-evening-walk-17", "a-quieter-evening-walk-17", "incorrectly"),
        (PASSWORD, "a-quieter-evening-walk-17", "a-different-walk-18", "match"),
        (PASSWORD, "short", "short", "too short"),
        (PASSWORD, "password123", "password123", "too common"),
    ],
)
def test_a_refused_password_change_changes_nothing(client, rep, old, new1, new2, said):
    client.force_login(rep)
    response = client.post(
        reverse("profile:password"),
        {"old_password": old, "new_password1": new1, "new_password2": new2},
    )
    assert response.status_code == 422
    assert said in response.content.decode()
    rep.refresh_from_db()
    assert rep.check_password(PASSWORD)
    assert client.get(reverse("home")).status_code == 200


def test_the_service_checks_the_password_rules_itself(rep):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.profile_change_password(actor=rep, password="123")
    rep.refresh_from_db()
    assert rep.check_password(PASSWORD)


def test_the_changes_are_in_the_users_audit_history(client, rep):
    client.force_login(rep)
    client.post(reverse("profile:time_zone"), {"time_zone": "Asia/Tokyo"})
    client.post(reverse("profile:emails"), {"wanted": []})
    events = EVENT_MODELS[User].objects.filter(pgh_obj_id=rep.pk, pgh_label="changed")
    # Each event holds the row as it was before its change.
    assert [(e.time_zone, sorted(e.emails_muted)) for e in events.order_by("pgh_id")] == [
        (rep.time_zone, []),
        ("Asia/Tokyo", []),
    ]


def test_saving_what_is_already_stored_writes_nothing(client, rep):
    client.force_login(rep)
    response = client.post(
        reverse("profile:details"),
        {"first_name": rep.first_name, "last_name": rep.last_name, "email": rep.email},
        follow=True,
    )
    assert "Your details were already so." in response.content.decode()
    assert not EVENT_MODELS[User].objects.filter(pgh_obj_id=rep.pk, pgh_label="changed").exists()


@pytest.mark.parametrize("tokens", [0, 5])
def test_the_page_takes_the_same_queries_whatever_the_user_has(
    client, rep, tokens, django_assert_num_queries
):
    """Six: the session, the user, two-factor, the live tokens (a count), the calendar
    feed and the unread notifications; the recovery codes' count too once two-factor is on."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from pipeline.soe import services as soe_services
    from salesflow.core.apitokens import services as token_services

    for number in range(tokens):
        token_services.apitoken_create(actor=rep, name=f"Script {number}", expires_at=None)
    if tokens:
        soe_services.calendar_feed_renew(user=rep)
    client.force_login(rep)
    with django_assert_num_queries(6):
        assert client.get(PAGE).status_code == 200
    TOTPDevice.objects.create(user=rep, name="Phone", confirmed=True)
    codes = StaticDevice.objects.create(user=rep, name="Recovery", confirmed=True)
    for number in range(tokens):
        codes.token_set.create(token=f"code{number}")
    with django_assert_num_queries(7):
        html = client.get(PAGE).content.decode()
    assert f"{tokens} recovery code" in html


def test_a_password_change_keeps_this_sessions_second_step(client, rep):
    """Changing the password renews the session's key but not what it has proved: a session
    past the second step of two-factor sign-in is not sent back to it."""
    from tests.core.authenticator import enrolled, next_code

    device, _ = enrolled(rep)
    client.post(reverse("login"), {"username": rep.username, "password": PASSWORD})
    assert client.get(PAGE).status_code == 302  # the second step first
    client.post(reverse("twofactor:verify"), {"code": next_code(device)})
    assert client.get(PAGE).status_code == 200
    response = client.post(
        reverse("profile:password"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-quieter-evening-walk-17",
            "new_password2": "a-quieter-evening-walk-17",
        },
    )
    assert response.status_code == 302
    assert client.get(PAGE).status_code == 200
