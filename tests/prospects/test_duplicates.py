"""Duplicate warnings on creating an account or a contact: the match is shown before saving,
with "open it" and "create anyway", and only among what the user may see."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from prospects import duplicates
from prospects.models import Account, Contact
from prospects.normalise import normalise_name, website_domain
from tests.factories import AccountFactory, ContactFactory
from tests.hostile import OK, fuzz, hostile

pytestmark = pytest.mark.django_db


def _account_data(rep, **changes):
    return {"name": "Kestrel Components", "owner": rep.pk, "status": "prospect", **changes}


@pytest.mark.parametrize(
    "name",
    [
        "Kestrel Components Ltd",
        "kestrel components",
        "Kestrel Components, Inc.",
        "  KESTREL-components   GmbH ",
        "Kestrel Components Pty. Ltd.",
    ],
)
def test_names_normalise_alike_case_punctuation_and_suffixes_aside(name):
    assert normalise_name(name) == "kestrel components"


def test_a_name_that_is_only_a_suffix_keeps_it():
    assert normalise_name("AG") == "ag"
    assert normalise_name("Costco") == "costco"  # a suffix inside a word is part of the name


@pytest.mark.parametrize(
    "website",
    [
        "https://www.kestrel.example/about",
        "http://kestrel.example",
        "kestrel.example",
        "HTTPS://Kestrel.Example:8443/?q=1",
    ],
)
def test_websites_compare_by_domain(website):
    assert website_domain(website) == "kestrel.example"


def test_the_database_normalises_as_python_does(rep):
    names = ["Kestrel Components, Inc.", "  Ørsted A/S ", "Acme Pty Ltd", "AG", "x--y__z"]
    websites = ["https://www.kestrel.example/about", "HTTP://WWW.A.example:80/x", ""]
    for name, website in zip(names, websites + [""] * len(names), strict=False):
        AccountFactory(owner=rep, name=name, website=website)
    rows = Account.objects.annotate(
        n=duplicates.normalised_name_sql(), d=duplicates.website_domain_sql()
    ).values_list("name", "website", "n", "d")
    for name, website, n, d in rows:
        assert (n, d) == (normalise_name(name), website_domain(website))


def test_similar_accounts_match_on_name_or_domain(rep, teammate):
    by_name = AccountFactory(owner=teammate, name="Kestrel Components Ltd")
    by_domain = AccountFactory(owner=rep, name="KC Group", website="https://kestrel.example/")
    AccountFactory(owner=rep, name="Kestrel Aviation")
    found = duplicates.similar_accounts(
        rep, name="kestrel components", website="https://www.kestrel.example/about"
    )
    assert {a.pk for a in found} == {by_name.pk, by_domain.pk}
    assert duplicates.similar_accounts(rep, name="", website="") == []


def test_the_new_account_form_warns_and_saves_nothing(client, rep):
    existing = AccountFactory(owner=rep, name="Kestrel Components Ltd")
    client.force_login(rep)
    response = client.post(
        reverse("prospects:account_create"), _account_data(rep, name="Kestrel Components, Inc.")
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "may already exist" in body
    assert reverse("prospects:account_detail", args=[existing.pk]) in body  # "open it"
    assert 'name="create_anyway"' in body
    assert Account.objects.count() == 1


def test_create_anyway_saves_the_account(client, rep):
    AccountFactory(owner=rep, name="Kestrel Components Ltd")
    client.force_login(rep)
    response = client.post(
        reverse("prospects:account_create"),
        _account_data(rep, name="Kestrel Components, Inc.", create_anyway="1"),
    )
    assert response.status_code == 302
    assert Account.objects.filter(name="Kestrel Components, Inc.").exists()


def test_the_warning_matches_on_the_website_domain(client, rep):
    existing = AccountFactory(owner=rep, name="KC", website="https://kestrel.example")
    client.force_login(rep)
    response = client.post(
        reverse("prospects:account_create"),
        _account_data(rep, name="Something Else", website="www.kestrel.example/about"),
    )
    assert reverse("prospects:account_detail", args=[existing.pk]) in response.content.decode()
    assert Account.objects.count() == 1


def test_an_account_without_a_match_is_created_at_once(client, rep):
    AccountFactory(owner=rep, name="Kestrel Aviation")
    client.force_login(rep)
    response = client.post(reverse("prospects:account_create"), _account_data(rep))
    assert response.status_code == 302
    assert Account.objects.count() == 2


def test_an_outsiders_matching_account_is_not_revealed(client, rep, outsider):
    AccountFactory(owner=outsider, name="Kestrel Components Ltd", website="https://kestrel.example")
    assert duplicates.similar_accounts(rep, name="Kestrel Components", website="") == []
    client.force_login(rep)
    response = client.post(
        reverse("prospects:account_create"),
        _account_data(rep, website="https://kestrel.example"),
    )
    assert response.status_code == 302  # no warning: the rep cannot see it
    assert Account.objects.count() == 2


def test_editing_an_account_does_not_warn(client, rep):
    AccountFactory(owner=rep, name="Kestrel Components Ltd")
    mine = AccountFactory(owner=rep, name="Other")
    client.force_login(rep)
    response = client.post(reverse("prospects:account_edit", args=[mine.pk]), _account_data(rep))
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.name == "Kestrel Components"


def test_a_new_contact_with_a_known_email_warns(client, rep, account):
    elsewhere = AccountFactory(owner=rep, name="Other Hospital")
    known = ContactFactory(account=elsewhere, name="Helen Shaw", email="Helen.Shaw@Example.org")
    client.force_login(rep)
    url = reverse("prospects:contact_create", args=[account.pk])
    data = {"name": "H. Shaw", "email": "helen.shaw@example.org", "buying_role": "unknown"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert reverse("prospects:contact_detail", args=[known.pk]) in response.content.decode()
    assert Contact.objects.count() == 1
    response = client.post(url, {**data, "create_anyway": "1"})
    assert response.status_code == 302
    assert Contact.objects.filter(account=account, name="H. Shaw").exists()


def test_a_new_contact_with_the_same_name_at_the_account_warns(client, rep, account, contact):
    client.force_login(rep)
    response = client.post(
        reverse("prospects:contact_create", args=[account.pk]),
        {"name": "helen  shaw", "buying_role": "unknown"},
    )
    assert reverse("prospects:contact_detail", args=[contact.pk]) in response.content.decode()
    assert Contact.objects.count() == 1


def test_a_contact_at_an_outsiders_account_is_not_revealed(client, rep, account, outsider):
    theirs = AccountFactory(owner=outsider)
    ContactFactory(account=theirs, email="secret@example.org")
    client.force_login(rep)
    response = client.post(
        reverse("prospects:contact_create", args=[account.pk]),
        {"name": "Someone", "email": "SECRET@example.org", "buying_role": "unknown"},
    )
    assert response.status_code == 302
    assert Contact.objects.count() == 2


def test_editing_a_contact_does_not_warn(client, rep, account, contact):
    ContactFactory(account=account, name="Other", email="taken@example.org")
    client.force_login(rep)
    response = client.post(
        reverse("prospects:contact_edit", args=[contact.pk]),
        {"name": contact.name, "email": "taken@example.org", "buying_role": "unknown"},
    )
    assert response.status_code == 302


def test_name_lookup_is_served_by_the_index(rep):
    AccountFactory.create_batch(3, owner=rep)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        # Unordered: the accounts' default order would let a planner with no statistics
        # yet (a fresh server) walk the name-ordered index instead; the lookup's own use of
        # the expression index is what this pins.
        query = (
            Account.objects.order_by()
            .alias(n=duplicates.normalised_name_sql())
            .filter(n="kestrel components")
        )
        sql, params = query.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "account_normalised_name" in plan


@fuzz
@given(name=hostile, create_anyway=st.sampled_from(["", "1", "no", "<b>"]))
def test_the_account_form_name_never_fails(client, rep, name, create_anyway):
    AccountFactory(owner=rep, name="Kestrel Components Ltd", website="https://kestrel.example")
    client.force_login(rep)
    before = Account.objects.count()
    response = client.post(
        reverse("prospects:account_create"),
        _account_data(rep, name=name, create_anyway=create_anyway),
    )
    assert response.status_code in OK
    if response.status_code != 302:
        assert Account.objects.count() == before
    assert "<script>alert(1)</script>" not in response.content.decode()
