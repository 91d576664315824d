"""Creating and changing an account through the API: the service's rules, the pages'
access (a teammate's account read-only, an outsider's not found), nothing half-saved."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from prospects.models import Account, AccountEvent, Contact
from prospects.privacy.services import contact_erase
from tests.factories import SegmentFactory, UserFactory
from tests.hostile import fuzz, hostile
from tests.prospects.api.conftest import PROBLEM, assert_problem

pytestmark = pytest.mark.django_db


def send(client, method: str, path: str, body: object):
    return getattr(client, method)(path, json.dumps(body), content_type="application/json")


def test_a_rep_creates_an_account_of_their_own(client, rep):
    segment = SegmentFactory(name="Hospitals")
    client.force_login(rep)
    response = send(
        client, "post", "/api/v1/accounts/", {"name": "Northwind", "segment": segment.pk}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    account = Account.objects.get(pk=body["id"])
    assert (account.name, account.owner, account.segment) == ("Northwind", rep, segment)
    assert body["owner"]["id"] == rep.pk
    # The service wrote the timeline's first entry, as the form does.
    assert AccountEvent.objects.filter(account=account, kind=AccountEvent.Kind.CREATED).exists()


def test_a_rep_cannot_give_an_account_to_a_teammate(client, rep, teammate):
    client.force_login(rep)
    response = send(client, "post", "/api/v1/accounts/", {"name": "X", "owner": teammate.pk})
    body = assert_problem(response, 400)
    assert "owner" in body["errors"]
    assert not Account.objects.filter(name="X").exists()


def test_a_disqualified_account_needs_a_reason(client, rep, account):
    client.force_login(rep)
    path = f"/api/v1/accounts/{account.pk}/"
    body = assert_problem(send(client, "patch", path, {"status": "disqualified"}), 400)
    assert body["errors"]
    account.refresh_from_db()
    assert account.status == Account.Status.PROSPECT  # nothing half-saved
    response = send(
        client, "patch", path, {"status": "disqualified", "disqualified_reason": "No budget."}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "disqualified"
    account.refresh_from_db()
    assert account.disqualified_reason == "No budget."
    assert AccountEvent.objects.filter(account=account, kind=AccountEvent.Kind.STATUS).exists()


def test_who_may_change_an_account(client, rep, teammate, manager, outsider, sales_ops, account):
    path = f"/api/v1/accounts/{account.pk}/"
    client.force_login(teammate)
    assert_problem(send(client, "patch", path, {"name": "Teammate's"}), 403)
    client.force_login(outsider)
    assert_problem(send(client, "patch", path, {"name": "Outsider's"}), 404)
    for user, name in ((rep, "Owner's"), (manager, "Manager's"), (sales_ops, "Ops'")):
        client.force_login(user)
        response = send(client, "patch", path, {"name": name})
        assert response.status_code == 200, response.content
        account.refresh_from_db()
        assert account.name == name


def test_a_session_must_send_the_csrf_token(rep):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    response = send(client, "post", "/api/v1/accounts/", {"name": "No token"})
    assert_problem(response, 403)
    assert not Account.objects.filter(name="No token").exists()


@pytest.mark.parametrize("method", ["put", "delete"])
def test_put_and_delete_are_not_offered(client, rep, account, method):
    client.force_login(rep)
    assert_problem(send(client, method, f"/api/v1/accounts/{account.pk}/", {}), 405)


def test_a_rep_adds_and_changes_a_contact(client, rep, account):
    client.force_login(rep)
    response = send(
        client,
        "post",
        "/api/v1/contacts/",
        {"account": account.pk, "name": "Dana", "email": "dana@example.test"},
    )
    assert response.status_code == 201, response.content
    contact = Contact.objects.get(pk=response.json()["id"])
    assert (contact.account, contact.name, contact.email) == (account, "Dana", "dana@example.test")
    path = f"/api/v1/contacts/{contact.pk}/"
    response = send(client, "patch", path, {"title": "COO", "buying_role": "champion"})
    assert response.status_code == 200, response.content
    contact.refresh_from_db()
    assert (contact.title, contact.buying_role, contact.name) == ("COO", "champion", "Dana")
    body = assert_problem(send(client, "patch", path, {"email": "not an email"}), 400)
    assert list(body["errors"]) == ["email"]
    body = assert_problem(send(client, "patch", path, {"account": account.pk + 1}), 400)
    assert list(body["errors"]) == ["account"]
    contact.refresh_from_db()
    assert contact.email == "dana@example.test"


def test_who_may_add_or_change_a_contact(client, teammate, outsider, manager, account, contact):
    path = f"/api/v1/contacts/{contact.pk}/"
    new = {"account": account.pk, "name": "Someone"}
    client.force_login(teammate)
    assert_problem(send(client, "patch", path, {"title": "x"}), 403)
    assert_problem(send(client, "post", "/api/v1/contacts/", new), 403)
    client.force_login(outsider)
    assert_problem(send(client, "patch", path, {"title": "x"}), 404)
    body = assert_problem(send(client, "post", "/api/v1/contacts/", new), 400)
    assert list(body["errors"]) == ["account"]
    assert not Contact.objects.filter(name="Someone").exists()
    client.force_login(manager)
    assert send(client, "patch", path, {"title": "Manager's"}).status_code == 200


def test_an_erased_contact_cannot_be_changed(client, rep, sales_ops, contact):
    contact_erase(actor=sales_ops, contact=contact, confirmation=contact.name)
    client.force_login(rep)
    response = send(client, "patch", f"/api/v1/contacts/{contact.pk}/", {"name": "Back"})
    assert_problem(response, 400)
    contact.refresh_from_db()
    assert contact.name == "Erased contact"


@fuzz
@given(
    body=st.dictionaries(
        st.sampled_from(["account", "name", "title", "email", "phone", "buying_role"]),
        st.one_of(hostile, st.integers(), st.none()),
        max_size=5,
    )
)
@pytest.mark.parametrize("method", ["post", "patch"])
def test_hostile_contact_bodies_never_500(client, rep, contact, method, body):
    client.force_login(rep)
    before = list(Contact.objects.order_by("pk").values())
    path = "/api/v1/contacts/" if method == "post" else f"/api/v1/contacts/{contact.pk}/"
    response = send(client, method, path, body)
    assert response.status_code in {200, 201, 400, 403}, response.content[:300]
    if response.status_code >= 400:
        assert response["Content-Type"] == PROBLEM
        assert list(Contact.objects.order_by("pk").values()) == before


fields = st.sampled_from(
    ["name", "website", "owner", "segment", "lead_source", "status", "disqualified_reason"]
)
values = st.one_of(hostile, st.integers(), st.none(), st.booleans(), st.lists(hostile, max_size=2))


@fuzz
@given(body=st.one_of(st.dictionaries(fields, values, max_size=5), hostile, st.lists(hostile)))
@pytest.mark.parametrize("method", ["post", "patch"])
def test_hostile_bodies_never_500_nor_half_save(client, rep, account, method, body):
    client.force_login(rep)
    before = list(Account.objects.order_by("pk").values())
    path = "/api/v1/accounts/" if method == "post" else f"/api/v1/accounts/{account.pk}/"
    response = send(client, method, path, body)
    assert response.status_code in {200, 201, 400}, response.content[:300]
    if response.status_code == 400:
        assert response["Content-Type"] == PROBLEM
        assert response.json()["errors"]
        assert list(Account.objects.order_by("pk").values()) == before


def test_an_inactive_owner_is_refused(client, sales_ops):
    gone = UserFactory(is_active=False)
    client.force_login(sales_ops)
    body = assert_problem(
        send(client, "post", "/api/v1/accounts/", {"name": "Y", "owner": gone.pk}), 400
    )
    assert list(body["errors"]) == ["owner"]
