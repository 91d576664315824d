"""The buying committee: the account's people linked to a deal, added and removed by whoever
may edit the deal, shown on the deal page (an erased person as their placeholder)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from pipeline.deals import services as deal_services
from pipeline.deals.models import DealContact
from prospects.merge.services import account_merge
from prospects.models import Contact
from prospects.privacy.services import contact_erase, contact_export
from salesflow.core.audit.tracking import EVENT_MODELS
from tests.factories import AccountFactory, ContactFactory, UserFactory
from tests.hostile import OK, fuzz, hostile, ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def helen(account):
    return ContactFactory(
        account=account, name="Helen Shaw", title="Director of Nursing", buying_role="champion"
    )


@pytest.fixture
def stranger():
    return ContactFactory(account=AccountFactory(), name="Someone Elsewhere")


def add_url(deal):
    return reverse("pipeline:committee_add", args=[deal.pk])


def remove_url(deal, seat):
    return reverse("pipeline:committee_remove", args=[deal.pk, seat.pk])


def seats(deal):
    return list(DealContact.objects.filter(opportunity=deal).values_list("contact_id", "role"))


# --- The service -------------------------------------------------------------------------


def test_the_owner_puts_one_of_the_account_s_contacts_on_the_committee(rep, deal, helen):
    seat = deal_services.deal_contact_add(actor=rep, opportunity=deal, contact=helen)
    assert seats(deal) == [(helen.pk, "")]
    assert seat.added_by == rep
    # No role of their own on this deal: the contact's buying role speaks.
    assert seat.buying_role == "Champion"
    seat.role = Contact.BuyingRole.BLOCKER
    assert seat.buying_role == "Blocker"


def test_a_contact_of_another_account_is_refused_with_a_reason(rep, deal, stranger):
    with pytest.raises(ValidationError) as refused:
        deal_services.deal_contact_add(actor=rep, opportunity=deal, contact=stranger)
    assert "deal's account's contacts" in str(refused.value)
    assert seats(deal) == []


def test_the_same_person_joins_once(rep, deal, helen):
    deal_services.deal_contact_add(actor=rep, opportunity=deal, contact=helen)
    with pytest.raises(ValidationError, match="already on the buying committee"):
        deal_services.deal_contact_add(actor=rep, opportunity=deal, contact=helen, role="user")
    assert seats(deal) == [(helen.pk, "")]


def test_a_teammate_may_not_change_the_committee(teammate, rep, deal, helen):
    with pytest.raises(ValidationError, match="read-only"):
        deal_services.deal_contact_add(actor=teammate, opportunity=deal, contact=helen)
    seat = deal_services.deal_contact_add(actor=rep, opportunity=deal, contact=helen)
    with pytest.raises(ValidationError, match="read-only"):
        deal_services.deal_contact_remove(actor=teammate, opportunity=deal, seat_id=seat.pk)
    assert seats(deal) == [(helen.pk, "")]


def test_removing_takes_the_seat_not_the_contact(rep, deal, helen):
    seat = deal_services.deal_contact_add(actor=rep, opportunity=deal, contact=helen)
    deal_services.deal_contact_remove(actor=rep, opportunity=deal, seat_id=seat.pk)
    assert seats(deal) == []
    assert Contact.objects.filter(pk=helen.pk).exists()
    with pytest.raises(ValidationError, match="no longer on"):
        deal_services.deal_contact_remove(actor=rep, opportunity=deal, seat_id=seat.pk)


def test_a_seat_of_another_deal_is_not_removed_through_this_one(rep, deal, helen, open_deal):
    other = open_deal(rep, account=deal.account)
    seat = deal_services.deal_contact_add(actor=rep, opportunity=other, contact=helen)
    with pytest.raises(ValidationError):
        deal_services.deal_contact_remove(actor=rep, opportunity=deal, seat_id=seat.pk)
    assert seats(other) == [(helen.pk, "")]


def test_the_committee_is_audited(rep, deal, helen):
    assert DealContact in EVENT_MODELS
    seat = deal_services.deal_contact_add(actor=rep, opportunity=deal, contact=helen)
    deal_services.deal_contact_remove(actor=rep, opportunity=deal, seat_id=seat.pk)
    events = EVENT_MODELS[DealContact].objects.filter(pgh_obj_id=seat.pk)
    assert sorted(events.values_list("pgh_label", flat=True)) == ["created", "deleted"]


# --- Pages and access --------------------------------------------------------------------


def test_owner_adds_and_removes_from_the_deal_page(client, rep, deal, helen):
    client.force_login(rep)
    page = client.get(reverse("pipeline:opportunity_detail", args=[deal.pk]))
    assert b"Buying committee" in page.content
    assert b"Add to the committee" in page.content

    response = client.post(add_url(deal), {"contact": helen.pk, "role": "decision_maker"})
    assert response.status_code == 302
    assert seats(deal) == [(helen.pk, "decision_maker")]
    page = client.get(reverse("pipeline:opportunity_detail", args=[deal.pk]))
    html = page.content.decode()
    assert "Helen Shaw" in html
    assert "Decision maker" in html
    assert reverse("prospects:contact_detail", args=[helen.pk]) in html

    seat = DealContact.objects.get(opportunity=deal)
    assert client.post(remove_url(deal, seat)).status_code == 302
    assert seats(deal) == []


def test_htmx_answers_with_the_panel(client, rep, deal, helen, stranger):
    client.force_login(rep)
    response = client.post(add_url(deal), {"contact": helen.pk}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="committee"')
    assert "Helen Shaw is on the buying committee." in html
    assert "Champion" in html

    refused = client.post(add_url(deal), {"contact": stranger.pk}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 422
    assert "deal&#x27;s account&#x27;s contacts" in refused.content.decode()
    assert seats(deal) == [(helen.pk, "")]

    seat = DealContact.objects.get(opportunity=deal)
    removed = client.post(remove_url(deal, seat), HTTP_HX_REQUEST="true")
    assert removed.status_code == 200
    assert "Taken off the buying committee." in removed.content.decode()
    again = client.post(remove_url(deal, seat), HTTP_HX_REQUEST="true")
    assert again.status_code == 422
    assert "no longer on the buying committee" in again.content.decode()


def test_without_javascript_a_refusal_shows_the_page_with_the_reason(client, rep, deal, stranger):
    client.force_login(rep)
    response = client.post(add_url(deal), {"contact": stranger.pk})
    assert response.status_code == 422
    assert b"Buying committee" in response.content
    assert "deal&#x27;s account&#x27;s contacts" in response.content.decode()


def test_the_list_offers_the_account_s_contacts_not_yet_on_it(client, rep, deal, helen, stranger):
    other = ContactFactory(account=deal.account, name="Ravi Patel")
    deal_services.deal_contact_add(actor=rep, opportunity=deal, contact=other)
    client.force_login(rep)
    page = client.get(reverse("pipeline:opportunity_detail", args=[deal.pk]))
    options = page.context["committee_form"].fields["contact"].choices
    offered = [value for value, _ in options if value]
    assert offered == [helen.pk]


def test_teammate_sees_the_committee_but_may_not_change_it(client, rep, teammate, deal, helen):
    deal_services.deal_contact_add(actor=rep, opportunity=deal, contact=helen)
    seat = DealContact.objects.get(opportunity=deal)
    client.force_login(teammate)
    page = client.get(reverse("pipeline:opportunity_detail", args=[deal.pk]))
    assert b"Helen Shaw" in page.content
    assert b"Add to the committee" not in page.content
    other = ContactFactory(account=deal.account)
    assert client.post(add_url(deal), {"contact": other.pk}).status_code == 403
    assert client.post(remove_url(deal, seat)).status_code == 403
    assert seats(deal) == [(helen.pk, "")]


def test_the_manager_changes_the_team_s_deal_committee(client, manager, deal, helen):
    client.force_login(manager)
    assert client.post(add_url(deal), {"contact": helen.pk}).status_code == 302
    seat = DealContact.objects.get(opportunity=deal)
    assert client.post(remove_url(deal, seat)).status_code == 302
    assert seats(deal) == []


def test_an_outsider_gets_404_everywhere(client, rep, outsider, deal, helen):
    deal_services.deal_contact_add(actor=rep, opportunity=deal, contact=helen)
    seat = DealContact.objects.get(opportunity=deal)
    client.force_login(outsider)
    assert client.get(reverse("pipeline:opportunity_detail", args=[deal.pk])).status_code == 404
    assert client.post(add_url(deal), {"contact": helen.pk}).status_code == 404
    assert client.post(remove_url(deal, seat)).status_code == 404
    assert seats(deal) == [(helen.pk, "")]


def test_signed_out_visitors_are_sent_to_sign_in(client, rep, deal, helen):
    response = client.post(add_url(deal), {"contact": helen.pk})
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    assert seats(deal) == []


def test_the_committee_does_not_take_the_get_method(client, rep, deal):
    client.force_login(rep)
    assert client.get(add_url(deal)).status_code == 405


# --- Privacy and merges ------------------------------------------------------------------


def test_an_erased_contact_stays_on_the_committee_as_the_placeholder(client, rep, deal, helen):
    sales_ops = UserFactory(role="sales_ops")
    deal_services.deal_contact_add(actor=rep, opportunity=deal, contact=helen)
    export = contact_export(actor=sales_ops, contact=helen)
    assert any(row["deal_id"] == deal.pk for row in export["buying_committees"])
    assert deal.pk in [row["id"] for row in export["deals"]]
    contact_erase(actor=sales_ops, contact=helen, confirmation=helen.name)

    client.force_login(rep)
    page = client.get(reverse("pipeline:opportunity_detail", args=[deal.pk]))
    html = page.content.decode()
    assert "Helen Shaw" not in html
    assert "Director of Nursing" not in html
    assert "Erased contact" in html
    # Nobody adds an anonymous person to a deal.
    assert helen.pk not in [v for v, _ in page.context["committee_form"].fields["contact"].choices]


def test_a_merge_moves_the_duplicate_s_committee_with_its_deals(rep, deal, helen, open_deal):
    twin = AccountFactory(owner=rep, name="St Brigid's")
    twin_helen = ContactFactory(account=twin, name="Helen Shaw", email="")
    twin_deal = open_deal(rep, account=twin)
    deal_services.deal_contact_add(actor=rep, opportunity=twin_deal, contact=twin_helen)
    deal_services.deal_contact_add(actor=rep, opportunity=deal, contact=helen)

    account_merge(
        actor=rep,
        survivor=deal.account,
        duplicate=twin,
        values={},
        contacts={twin_helen.pk: {"name": "Helen Shaw"}},
    )
    assert seats(deal) == [(helen.pk, "")]
    assert seats(twin_deal) == [(helen.pk, "")]
    for seat in DealContact.objects.select_related("contact", "opportunity"):
        assert seat.contact.account_id == seat.opportunity.account_id


# --- Hostile input and query counts ------------------------------------------------------


@fuzz
@given(contact=ids, role=hostile, htmx=st.booleans())
def test_add_form(client, rep, deal, helen, contact, role, htmx):
    client.force_login(rep)
    before = seats(deal)
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.post(add_url(deal), {"contact": contact, "role": role}, **extra)
    assert response.status_code in OK
    after = seats(deal)
    if after != before:
        # Whole or nothing: one seat more, for one of the account's contacts.
        assert len(after) == len(before) + 1
        assert {c for c, _ in after} - {c for c, _ in before} == {helen.pk}
    assert "<script>alert(1)</script>" not in response.content.decode()


@fuzz
@given(seat=ids, htmx=st.booleans())
def test_remove_endpoint(client, rep, deal, seat, htmx):
    client.force_login(rep)
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    path = f"/deals/{deal.pk}/people/{seat}/remove/"
    response = client.post(path, **extra)
    assert response.status_code in OK


@pytest.mark.parametrize("size", [1, 12])
def test_the_deal_page_s_queries_do_not_grow_with_the_committee(
    client, rep, deal, size, django_assert_num_queries
):
    people = ContactFactory.create_batch(size + 2, account=deal.account)
    for person in people[:size]:
        deal_services.deal_contact_add(actor=rep, opportunity=deal, contact=person)
    client.force_login(rep)
    url = reverse("pipeline:opportunity_detail", args=[deal.pk])
    client.get(url)  # warm the session and the caches
    with django_assert_num_queries(QUERIES_ON_DEAL_PAGE):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["committee"]) == size


# The deal page for its editor: the eleven it made before the committee, plus one for the
# account's contacts, each with its seat on this deal if it has one, plus one for the deal's
# upcoming appointments (none here).
QUERIES_ON_DEAL_PAGE = 13
