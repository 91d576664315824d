"""The contact page's Data protection card, the export download and the erase form: who may
use them (sales ops and admins; 403 for others who see the contact, 404 outside reach), what
the page says once erased, and hostile input on the confirmation (never a 500, nothing
changed unless confirmed)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape
from hypothesis import given
from hypothesis import strategies as st

from prospects.models import Contact, Erasure
from tests.factories import UserFactory
from tests.hostile import (
    BAD_CHARSETS,
    OK,
    assert_refused_as_not_utf8,
    bodies_in,
    csrf_client,
    fuzz,
    hostile,
    ids,
    post_in,
)
from tests.prospects.privacy.conftest import EMAIL, NAME

pytestmark = pytest.mark.django_db

REQUEST_PAGES = ["prospects:contact_export", "prospects:contact_erase"]


def as_user(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", REQUEST_PAGES)
def test_sales_ops_and_admins_handle_requests(client, contact, sales_ops, name):
    admin = UserFactory(role="admin")
    for user in (sales_ops, admin):
        response = as_user(client, user).get(reverse(name, args=[contact.pk]))
        assert response.status_code == 200


@pytest.mark.parametrize("name", REQUEST_PAGES)
def test_the_owner_their_team_and_manager_are_refused_with_403(
    client, contact, rep, teammate, manager, name
):
    for user in (rep, teammate, manager):
        response = as_user(client, user).get(reverse(name, args=[contact.pk]))
        assert response.status_code == 403


@pytest.mark.parametrize("name", [*REQUEST_PAGES, "prospects:contact_detail"])
def test_an_outsider_gets_404(client, contact, outsider, name):
    assert as_user(client, outsider).get(reverse(name, args=[contact.pk])).status_code == 404


def test_a_signed_out_visitor_is_sent_to_sign_in(client, contact):
    for name in REQUEST_PAGES:
        response = client.get(reverse(name, args=[contact.pk]))
        assert response.status_code == 302
        assert "/login/" in response["Location"]


def test_the_refused_owner_changes_nothing_by_posting(client, contact, rep):
    url = reverse("prospects:contact_erase", args=[contact.pk])
    assert as_user(client, rep).post(url, {"confirmation": contact.name}).status_code == 403
    assert Contact.objects.get(pk=contact.pk).name == contact.name
    assert not Erasure.objects.exists()


def test_the_card_is_shown_to_sales_ops_only(client, contact, rep, sales_ops):
    url = reverse("prospects:contact_detail", args=[contact.pk])
    html = as_user(client, sales_ops).get(url).content.decode()
    assert "Data protection" in html
    assert reverse("prospects:contact_export", args=[contact.pk]) in html
    assert reverse("prospects:contact_erase", args=[contact.pk]) in html
    html = as_user(client, rep).get(url).content.decode()
    assert escape(contact.name) in html
    assert "Data protection" not in html
    assert reverse("prospects:contact_erase", args=[contact.pk]) not in html


def test_the_account_page_links_each_contact_to_their_page(client, contact, teammate):
    html = (
        as_user(client, teammate)
        .get(reverse("prospects:account_detail", args=[contact.account_id]))
        .content.decode()
    )
    assert reverse("prospects:contact_detail", args=[contact.pk]) in html


def test_erasing_through_the_form_says_so_and_shows_who_erased(person, sales_ops):
    client, token = csrf_client(sales_ops)
    url = reverse("prospects:contact_erase", args=[person.contact.pk])
    response = client.post(url, {"confirmation": NAME, "csrfmiddlewaretoken": token}, follow=True)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Erased. The contact&#x27;s name, email and phone are gone from" in html
    assert "Erased contact" in html
    assert f"Erased by {escape(sales_ops.display_name)} on" in html
    assert NAME not in html
    assert EMAIL not in html
    # The placeholder's page offers neither an export nor a second erasure.
    assert reverse("prospects:contact_erase", args=[person.contact.pk]) not in html
    # Asked again, the form says it is done and changes nothing.
    again = client.get(url, follow=True)
    assert "already erased" in again.content.decode()
    assert Erasure.objects.count() == 1


def test_a_wrong_confirmation_is_a_form_error_and_changes_nothing(client, person, sales_ops):
    url = reverse("prospects:contact_erase", args=[person.contact.pk])
    response = as_user(client, sales_ops).post(url, {"confirmation": "Helen Shaw"})

    assert response.status_code == 422
    assert (
        "Type the contact&#x27;s full name or email exactly as shown" in response.content.decode()
    )
    assert Contact.objects.get(pk=person.contact.pk).name == NAME
    assert not Erasure.objects.exists()


def test_erasing_needs_a_csrf_token(person, sales_ops):
    client, _ = csrf_client(sales_ops)
    url = reverse("prospects:contact_erase", args=[person.contact.pk])
    assert client.post(url, {"confirmation": NAME}).status_code == 403
    assert Contact.objects.get(pk=person.contact.pk).name == NAME


def test_erasing_is_post_only(client, contact, sales_ops):
    url = reverse("prospects:contact_erase", args=[contact.pk])
    for method in ("put", "delete", "patch"):
        assert getattr(as_user(client, sales_ops), method)(url).status_code == 405
    assert Contact.objects.get(pk=contact.pk).erased_at is None
    assert (
        as_user(client, sales_ops)
        .post(reverse("prospects:contact_export", args=[contact.pk]))
        .status_code
        == 405
    )


@fuzz
@given(typed=st.one_of(hostile, st.sampled_from(["Helen Shaw ", "HELEN SHAW", "helen shaw"])))
def test_the_confirmation_takes_any_text(client, contact, sales_ops, typed):
    """The contact here is "Helen Shaw" (no email): only that, exactly, erases."""
    url = reverse("prospects:contact_erase", args=[contact.pk])
    response = as_user(client, sales_ops).post(url, {"confirmation": typed})

    assert response.status_code in OK
    erased = Contact.objects.get(pk=contact.pk).erased_at is not None
    assert erased is (typed.strip() == contact.name)
    assert response.status_code == (302 if erased else 422)
    if erased:  # put back for the next example
        Contact.objects.filter(pk=contact.pk).update(name=contact.name, erased_at=None)
        Erasure.objects.all().delete()


@fuzz
@given(pk=ids)
def test_any_id_is_a_page_or_404(client, sales_ops, pk):
    for name in [*REQUEST_PAGES, "prospects:contact_detail"]:
        url = reverse(name, args=[1]).replace("/1/", f"/{pk}/", 1)
        response = as_user(client, sales_ops).get(url)
        assert response.status_code in OK


@pytest.mark.parametrize("pk", [2**63 - 1, 2**63, 2**70])
def test_ids_beyond_any_row_are_404(client, sales_ops, pk):
    client.force_login(sales_ops)
    for name in [*REQUEST_PAGES, "prospects:contact_detail"]:
        assert client.get(reverse(name, args=[pk])).status_code == 404


@pytest.mark.parametrize("charset", BAD_CHARSETS)
def test_the_erase_form_sent_in_another_charset_is_refused_with_400(person, sales_ops, charset):
    client, token = csrf_client(sales_ops)
    url = reverse("prospects:contact_erase", args=[person.contact.pk])
    data = {"confirmation": NAME, "csrfmiddlewaretoken": token}
    for body, content_type in bodies_in(charset, data):
        assert_refused_as_not_utf8(post_in(client, url, body, content_type))
    assert Contact.objects.get(pk=person.contact.pk).name == NAME
    assert not Erasure.objects.exists()


def test_the_contact_page_reads_a_fixed_number_of_queries(
    client, contact, sales_ops, log, django_assert_max_num_queries
):
    for n in range(15):
        log(contact.account, contacts=[contact], notes=f"Call {n}")
    url = reverse("prospects:contact_detail", args=[contact.pk])
    as_user(client, sales_ops)
    client.get(url)  # the session and the user, read once
    with django_assert_max_num_queries(6):
        response = client.get(url)
    assert response.content.decode().count("logged by") == 15
