"""Who sees what through the API: exactly what the pages show them."""

from __future__ import annotations

import pytest

from prospects.privacy.services import contact_erase
from tests.factories import AccountFactory, ContactFactory, UserFactory
from tests.prospects.api.conftest import assert_problem

pytestmark = pytest.mark.django_db

ENDPOINTS = ["/api/v1/accounts/", "/api/v1/contacts/"]


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content[:500]
    return {item["id"] for item in response.json()["results"]}


@pytest.mark.parametrize("path", [*ENDPOINTS, "/api/v1/accounts/1/", "/api/v1/contacts/1/"])
def test_signed_out_gets_401_problem_not_a_redirect(client, path):
    body = assert_problem(client.get(path), 401)
    assert body["type"].endswith("/not-authenticated")


def test_the_team_sees_the_account_and_the_outsider_gets_404(
    client, rep, teammate, manager, sales_ops, outsider, account, contact
):
    for user in (rep, teammate, manager, sales_ops):
        client.force_login(user)
        assert client.get(f"/api/v1/accounts/{account.pk}/").json()["name"] == account.name
        assert client.get(f"/api/v1/contacts/{contact.pk}/").json()["name"] == contact.name
        assert account.pk in ids(client.get("/api/v1/accounts/"))
        assert contact.pk in ids(client.get("/api/v1/contacts/"))

    client.force_login(outsider)
    assert_problem(client.get(f"/api/v1/accounts/{account.pk}/"), 404)
    assert_problem(client.get(f"/api/v1/contacts/{contact.pk}/"), 404)
    assert account.pk not in ids(client.get("/api/v1/accounts/"))
    assert contact.pk not in ids(client.get("/api/v1/contacts/"))


def test_lists_hold_what_the_accounts_page_holds(client, rep, outsider, sales_ops, other_account):
    mine = AccountFactory(owner=rep)
    alone = UserFactory(role="rep", team=None)
    solo = AccountFactory(owner=alone)
    client.force_login(rep)
    page = client.get("/accounts/")
    api = ids(client.get("/api/v1/accounts/"))
    assert api == {mine.pk}
    assert mine.name in page.content.decode()
    client.force_login(alone)
    assert ids(client.get("/api/v1/accounts/")) == {solo.pk}
    client.force_login(sales_ops)
    assert ids(client.get("/api/v1/accounts/")) == {mine.pk, solo.pk, other_account.pk}


def test_an_erased_contact_is_the_placeholder(client, rep, sales_ops, contact):
    contact_erase(actor=sales_ops, contact=contact, confirmation=contact.name)
    client.force_login(rep)
    body = client.get(f"/api/v1/contacts/{contact.pk}/").json()
    assert body["name"] == "Erased contact"
    assert body["erased"] is True
    assert body["email"] == body["phone"] == body["title"] == ""
    assert ids(client.get("/api/v1/contacts/")) == {contact.pk}
    assert ContactFactory(account=contact.account).pk in ids(client.get("/api/v1/contacts/"))


def test_a_session_owing_its_second_step_is_refused(client, rep, account, settings):
    client.force_login(rep)
    session = client.session
    session["twofactor_pending"] = True
    session.save()
    assert_problem(client.get("/api/v1/accounts/"), 401)
    assert_problem(client.get(f"/api/v1/accounts/{account.pk}/"), 401)


def test_sales_ops_must_enrol_when_two_factor_is_required(client, sales_ops, settings):
    settings.SALESFLOW_REQUIRE_2FA = True
    client.force_login(sales_ops)
    assert_problem(client.get("/api/v1/accounts/"), 403)
