"""The contacts export: what the user may see, in the import's own columns, safe in a
spreadsheet; the accounts and deals exports are linked from the import page."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.deals.models import Opportunity
from prospects.importing.accounts import COLUMNS
from prospects.models import Account, AccountImport, Contact
from tests.factories import AccountFactory, ContactFactory
from tests.prospects.importing.csvfiles import upload

pytestmark = pytest.mark.django_db


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_contacts_export_follows_visibility(client, rep, teammate, manager, outsider):
    ContactFactory(account=AccountFactory(owner=rep), name="Rep Contact")
    ContactFactory(account=AccountFactory(owner=teammate), name="Mate Contact")
    ContactFactory(account=AccountFactory(owner=outsider), name="Out Contact")
    erased = ContactFactory(account=AccountFactory(owner=rep), name="Gone")
    Contact.objects.filter(pk=erased.pk).update(erased_at="2026-01-01T00:00Z")
    seen = {}
    for user in (rep, teammate, manager, outsider):
        client.force_login(user)
        rows = rows_of(client.get(reverse("prospects:contact_list_export")))
        assert set(rows[0]) <= set(COLUMNS)  # the import maps every column by itself
        seen[user] = {row[1] for row in rows[1:]}
    assert seen[rep] == seen[teammate] == seen[manager] == {"Rep Contact", "Mate Contact"}
    assert seen[outsider] == {"Out Contact"}


def test_exports_require_sign_in(client):
    for name in ("prospects:contact_list_export", "pipeline:deal_export"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert "login" in response["Location"]


def test_the_import_page_links_every_export(client, rep):
    client.force_login(rep)
    page = client.get(reverse("prospects:account_import")).content.decode()
    for name in (
        "prospects:account_export",
        "prospects:contact_list_export",
        "pipeline:deal_export",
    ):
        assert f'href="{reverse(name)}"' in page
    assert 'value="deals"' in page


@pytest.mark.django_db
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.lists(
        st.lists(
            st.one_of(
                st.sampled_from(["", "Acme", "Won", "EUR", "12.5", "-1", "2026-02-30", "1e9"]),
                st.text(max_size=30),
            ),
            min_size=1,
            max_size=9,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_any_deals_file_gets_an_answer_never_a_server_error(client, rep, body):
    AccountFactory(owner=rep, name="Acme")
    client.force_login(rep)
    out = io.StringIO()
    header = "account_name deal_name value currency stage owner expected_close created pipeline"
    csv.writer(out).writerows([header.split(), *body])
    deals = Opportunity.objects.count()
    response = upload(client, out.getvalue(), kind="deals")
    assert response.status_code in {302, 422}
    job = AccountImport.objects.filter(kind="deals").order_by("pk").last()
    if job is not None and job.status != "done":
        assert Opportunity.objects.count() == deals
    Account.objects.filter(name="Acme").delete()


def test_accounts_export_follows_visibility_for_every_role(
    client, rep, teammate, manager, outsider
):
    AccountFactory(owner=rep, name="Rep Account")
    AccountFactory(owner=teammate, name="Mate Account")
    AccountFactory(owner=outsider, name="Out Account")
    seen = {}
    for user in (rep, teammate, manager, outsider):
        client.force_login(user)
        rows = rows_of(client.get(reverse("prospects:account_export")))
        seen[user] = {row[0] for row in rows[1:]}
    assert seen[rep] == seen[teammate] == seen[manager] == {"Rep Account", "Mate Account"}
    assert seen[outsider] == {"Out Account"}
