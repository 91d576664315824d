"""The merge pages: pick the duplicate, compare, choose, merge; only for accounts the user
may edit, whatever is sent."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prospects.models import Account, Contact
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def test_merge_pages_pick_then_compare_then_merge(client, rep, account, duplicate):
    client.force_login(rep)
    url = reverse("prospects:account_merge", args=[account.pk])
    picker = client.get(url)
    assert duplicate in picker.context["candidates"]  # found by the first word of the name
    compare = client.get(url, {"other": duplicate.pk})
    form = compare.context["form"]
    assert form.differences == ["name", "website"]
    assert compare.context["moving"] == {
        "contacts": 1,
        "conversations": 1,
        "why_notes": 1,
        "opportunities": 0,
    }
    response = client.post(url, {"other": duplicate.pk, "name": "duplicate", "website": "survivor"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "St Brigids Hosp."
    assert account.website == ""


def test_merge_access(client, rep, teammate, outsider, account, duplicate, other_account):
    url = reverse("prospects:account_merge", args=[account.pk])
    client.force_login(teammate)
    assert client.get(url).status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(rep)
    assert client.get(url, {"other": other_account.pk}).status_code == 404
    assert client.post(url, {"other": other_account.pk}).status_code == 404
    assert Account.objects.filter(pk=other_account.pk).exists()


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(other=st.one_of(st.text(max_size=30), st.integers().map(str)), name=st.text(max_size=20))
def test_merge_takes_any_input(client, rep, account, other, name):
    client.force_login(rep)
    url = reverse("prospects:account_merge", args=[account.pk])
    response = client.post(url, {"other": other, "name": name, "website": name})
    assert response.status_code in {200, 302, 403, 404, 422}
    assert Account.objects.filter(pk=account.pk).exists()


def test_merge_page_shows_contact_pairs_with_choices_and_merges_them(
    client, rep, account, contact, twins
):
    dup, helen = twins
    client.force_login(rep)
    url = reverse("prospects:account_merge", args=[account.pk])
    page = client.get(url, {"other": dup.pk})
    html = page.content.decode()
    assert "Contacts that look like the same person" in html
    assert "the same email, helen.shaw@stbrigids.example" in html
    form = page.context["form"]
    assert [pair.drop for pair in form.pairs] == [helen]
    prefix = f"contact-{helen.pk}"
    assert form[prefix].initial == "merge"
    # Where only one of them knows a value, the one that does is chosen unless changed.
    assert form[f"{prefix}-phone"].initial == "duplicate"
    assert form[f"{prefix}-buying_role"].initial == "survivor"
    response = client.post(
        url,
        {
            "other": dup.pk,
            "name": "survivor",
            prefix: "merge",
            f"{prefix}-email": "survivor",
            f"{prefix}-phone": "duplicate",
            f"{prefix}-title": "survivor",
            f"{prefix}-buying_role": "survivor",
        },
    )
    assert response.status_code == 302
    assert list(account.contacts.all()) == [contact]
    contact.refresh_from_db()
    assert (contact.email, contact.phone) == ("helen.shaw@stbrigids.example", "+44 20 7946 0000")


def test_merge_page_can_keep_both_contacts(client, rep, account, contact, twins):
    dup, helen = twins
    client.force_login(rep)
    url = reverse("prospects:account_merge", args=[account.pk])
    response = client.post(
        url, {"other": dup.pk, "name": "survivor", f"contact-{helen.pk}": "keep"}
    )
    assert response.status_code == 302
    assert set(account.contacts.all()) == {contact, helen}


def test_contact_merge_access(client, rep, teammate, outsider, account, contact, twins):
    dup, helen = twins
    url = reverse("prospects:account_merge", args=[account.pk])
    data = {"other": dup.pk, "name": "survivor", f"contact-{helen.pk}": "merge"}
    client.force_login(teammate)  # the team's account, read-only for them
    assert client.get(url, {"other": dup.pk}).status_code == 403
    assert client.post(url, data).status_code == 403
    client.force_login(outsider)
    assert client.get(url, {"other": dup.pk}).status_code == 404
    assert client.post(url, data).status_code == 404
    assert Contact.objects.count() == 2
    assert Account.objects.filter(pk=dup.pk).exists()


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    action=st.one_of(st.sampled_from(["merge", "keep"]), st.text(max_size=20)),
    choice=st.one_of(st.sampled_from(["survivor", "duplicate", ""]), st.text(max_size=20)),
    stray=st.one_of(st.text(max_size=10), st.integers().map(str)),
)
def test_the_contact_choices_take_any_input(client, rep, account, contact, action, choice, stray):
    # A duplicate of its own for each example: a merge that went through deleted the last.
    dup = AccountFactory(owner=rep, name="St Brigids Hosp.", segment=account.segment)
    helen = ContactFactory(account=dup, name="Helen Shaw", phone="+44 20 7946 0000")
    client.force_login(rep)
    before = account.contacts.count()
    prefix = f"contact-{helen.pk}"
    response = client.post(
        reverse("prospects:account_merge", args=[account.pk]),
        {
            "other": dup.pk,
            "name": "survivor",
            prefix: action,
            **{f"{prefix}-{field}": choice for field in ("phone", "title", "buying_role")},
            f"contact-{stray}": "merge",
        },
    )
    assert response.status_code in {200, 302, 422}
    if response.status_code == 302:
        assert not Account.objects.filter(pk=dup.pk).exists()
        assert account.contacts.count() == before + (action == "keep")
        assert Contact.objects.filter(pk=contact.pk).exists()
    else:
        assert Account.objects.filter(pk=dup.pk).exists()
        assert Contact.objects.filter(pk=helen.pk, account=dup).exists()


def test_merge_refusal_reads_as_a_sentence(client, rep, account):
    other = AccountFactory(
        owner=rep, name="Dup", status="disqualified", disqualified_reason="Gone quiet"
    )
    client.force_login(rep)
    url = reverse("prospects:account_merge", args=[account.pk])
    response = client.post(
        url,
        {
            "other": other.pk,
            "name": "survivor",
            "segment": "survivor",
            "status": "duplicate",
            "disqualified_reason": "survivor",
        },
    )
    assert response.status_code == 422
    assert "Say why the account is disqualified." in response.content.decode()
    assert Account.objects.filter(pk=other.pk).exists()
