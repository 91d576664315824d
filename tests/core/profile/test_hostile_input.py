"""Random and hostile input on the profile's forms: never a 500, and each section is saved
whole or not at all."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from salesflow.core.models import Notification, User
from tests.factories import PASSWORD, UserFactory
from tests.hostile import OK, fuzz, hostile

pytestmark = pytest.mark.django_db

ZONES = st.sampled_from(["Europe/Paris", "Asia/Kolkata", "UTC", "America/St_Johns"])
KINDS = st.lists(
    st.one_of(st.sampled_from([*Notification.EMAILED, "stuck_deal"]), hostile), max_size=4
)


def _row(user: User) -> tuple:
    user.refresh_from_db()
    return (
        user.first_name,
        user.last_name,
        user.email,
        user.time_zone,
        sorted(user.emails_muted),
        user.password,
        user.username,
        user.role,
    )


@pytest.fixture
def other(db) -> User:
    return UserFactory(email="taken@example.test")


@fuzz
@given(
    first=hostile,
    last=hostile,
    email=st.one_of(hostile, st.emails(), st.sampled_from(["TAKEN@example.test", "a@b.test"])),
)
def test_details_form(client, rep, other, first, last, email):
    client.force_login(rep)
    before, theirs = _row(rep), _row(other)
    response = client.post(
        reverse("profile:details"), {"first_name": first, "last_name": last, "email": email}
    )
    assert response.status_code in OK
    after = _row(rep)
    if response.status_code == 302:
        assert after[:2] == (first.strip(), last.strip())
        assert after[2].lower() == email.strip().lower()
        assert after[2].lower() != other.email.lower()
        assert after[3:] == before[3:]
    else:
        assert after == before
    assert _row(other) == theirs
    assert "<script>alert(1)</script>" not in response.content.decode()


@fuzz
@given(zone=st.one_of(hostile, ZONES))
def test_time_zone_form(client, rep, zone):
    client.force_login(rep)
    before = _row(rep)
    response = client.post(reverse("profile:time_zone"), {"time_zone": zone})
    assert response.status_code in OK
    after = _row(rep)
    if response.status_code == 302:
        assert after[3] == zone
        assert after[:3] + after[4:] == before[:3] + before[4:]
    else:
        assert after == before


@fuzz
@given(wanted=KINDS)
def test_emails_form(client, rep, wanted):
    client.force_login(rep)
    before = _row(rep)
    response = client.post(reverse("profile:emails"), {"wanted": wanted})
    assert response.status_code in OK
    after = _row(rep)
    if response.status_code == 302:
        assert set(wanted) <= set(Notification.EMAILED)
        assert after[4] == sorted(set(Notification.EMAILED) - set(wanted))
        assert after[:4] + after[5:] == before[:4] + before[5:]
    else:
        assert after == before


@fuzz
@given(
    old=st.one_of(hostile, st.just(PASSWORD)),
    new1=st.one_of(hostile, st.just("a-long-enough-phrase-99")),
    new2=st.one_of(hostile, st.just("a-long-enough-phrase-99")),
)
def test_password_form(client, rep, old, new1, new2):
    # Each example starts from the known password: an earlier one may have changed it.
    rep.set_password(PASSWORD)
    rep.save(update_fields=["password"])
    client.force_login(rep)
    before = _row(rep)
    response = client.post(
        reverse("profile:password"),
        {"old_password": old, "new_password1": new1, "new_password2": new2},
    )
    assert response.status_code in OK
    rep.refresh_from_db()
    if response.status_code == 302:
        assert (old, new1) == (PASSWORD, new2)
        assert rep.check_password(new1)
    else:
        assert _row(rep) == before
        assert rep.check_password(PASSWORD)
    assert "<script>alert(1)</script>" not in response.content.decode()
