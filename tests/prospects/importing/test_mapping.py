"""The mapping screen: the file's headers with a guess each, what the import may do, mappings
saved by name and chosen by themselves for the same headers; only the uploader reaches it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prospects.models import Account, AccountImport, ImportMapping
from tests.prospects.importing.csvfiles import confirm, mapping_data, send_file

pytestmark = pytest.mark.django_db

FILE = "Company,E-mail,Person,Colour\nKestrel Components,lars@k.example,Lars Berg,red\n"


def mapping_url(job: AccountImport) -> str:
    return reverse("prospects:account_import_mapping", args=[job.pk])


def test_the_mapping_screen_lists_the_headers_with_a_guess_each(client, rep):
    client.force_login(rep)
    response = send_file(client, FILE)
    job = AccountImport.objects.get()
    assert response["Location"] == mapping_url(job)
    assert job.status == "mapping"
    assert job.mapping == {
        "company": "account_name",
        "e-mail": "contact_email",
        "person": "contact_name",
        "colour": "",
    }
    page = client.get(mapping_url(job)).content.decode()
    for header in ("company", "e-mail", "person", "colour"):
        assert f"<code>{header}</code>" in page
    assert "First row: Kestrel Components" in page
    assert "Accounts are matched by name" in page
    assert not Account.objects.exists()  # nothing is written before the mapping is confirmed


def test_a_mapping_without_the_required_column_or_with_a_field_twice_is_refused(client, rep):
    client.force_login(rep)
    send_file(client, FILE)
    job = AccountImport.objects.get()
    response = confirm(client, job, columns={"company": ""})
    assert response.status_code == 422
    assert "Pick the column that holds: Account name." in response.content.decode()
    response = confirm(client, job, columns={"person": "account_name"})
    assert "Two columns fill Account name; pick one." in response.content.decode()
    job.refresh_from_db()
    assert job.status == "mapping"
    assert not Account.objects.exists()


def test_a_saved_mapping_is_chosen_by_itself_for_the_same_headers(client, rep, teammate):
    client.force_login(rep)
    send_file(client, FILE)
    first = AccountImport.objects.get()
    response = confirm(
        client, first, columns={"colour": "", "person": ""}, mode="create", save_as="Trade fair"
    )
    assert response.status_code == 302
    saved = ImportMapping.objects.get()
    assert (saved.owner, saved.name, saved.mode) == (rep, "Trade fair", "create")
    send_file(client, FILE)
    second = AccountImport.objects.latest("pk")
    assert second.mapping["person"] == ""  # the saved choice, not the guess
    assert second.mode == "create"
    assert "Trade fair" in client.get(mapping_url(second)).content.decode()
    client.force_login(teammate)  # mappings are each user's own
    send_file(client, FILE)
    assert AccountImport.objects.latest("pk").mapping["person"] == "contact_name"


def test_a_mapping_is_confirmed_once(client, rep):
    client.force_login(rep)
    send_file(client, FILE)
    job = AccountImport.objects.get()
    data = mapping_data(job)
    assert client.post(mapping_url(job), data).status_code == 302
    # A second press finds the import started: it goes to the report, nothing is run again.
    response = client.post(mapping_url(job), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("prospects:account_import_detail", args=[job.pk])
    assert Account.objects.count() == 1


def test_only_the_uploader_maps_and_reads_an_import(client, rep, teammate, manager, outsider):
    client.force_login(rep)
    send_file(client, FILE)
    job = AccountImport.objects.get()
    detail = reverse("prospects:account_import_detail", args=[job.pk])
    assert client.get(mapping_url(job)).status_code == 200
    assert client.get(detail).status_code == 200
    for user in (teammate, manager, outsider):
        client.force_login(user)
        assert client.get(mapping_url(job)).status_code == 404
        assert client.post(mapping_url(job), mapping_data(job)).status_code == 404
        assert client.get(detail).status_code == 404
    job.refresh_from_db()
    assert job.status == "mapping"


def test_an_unknown_kind_is_refused_on_the_form(client, rep):
    client.force_login(rep)
    response = send_file(client, FILE, kind="spaceships")
    assert response.status_code == 422
    assert not AccountImport.objects.exists()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    columns=st.dictionaries(
        st.sampled_from(["col_0", "col_1", "col_2", "col_3", "col_9", "mode", "save_as"]),
        st.one_of(
            st.sampled_from(
                ["", "account_name", "contact_email", "owner", "both", "update", "create"]
            ),
            st.text(max_size=120),
        ),
    )
)
def test_any_mapping_sent_gets_an_answer_never_a_server_error(client, rep, columns):
    client.force_login(rep)
    send_file(client, FILE)
    job = AccountImport.objects.latest("pk")
    response = client.post(mapping_url(job), columns)
    assert response.status_code in {302, 422}
    job.refresh_from_db()
    if response.status_code == 422:
        assert job.status == "mapping"
        assert not Account.objects.filter(name="Kestrel Components").exists()
    else:
        assert job.status in {"done", "invalid"}
        if job.status == "invalid":
            assert not Account.objects.filter(name="Kestrel Components").exists()
    Account.objects.all().delete()


def test_a_saved_mapping_can_be_applied_to_a_file_with_other_headers(client, rep, teammate):
    theirs = ImportMapping.objects.create(
        owner=teammate, kind="accounts", name="Theirs", mapping={"colour": "account_name"}
    )
    mine = ImportMapping.objects.create(
        owner=rep,
        kind="accounts",
        name="Mine",
        headers=["other"],
        mapping={"colour": "account_name", "company": ""},
        mode="update",
    )
    client.force_login(rep)
    send_file(client, FILE)
    job = AccountImport.objects.get()
    page = client.get(mapping_url(job), {"use": mine.pk}).content.decode()
    assert '<option value="account_name" selected>' in page.split("<code>colour</code>")[1]
    assert re.search(r'<input[^>]*value="update"[^>]*checked', page)
    page = client.get(mapping_url(job), {"use": theirs.pk}).content.decode()
    assert "Theirs" not in page  # another user's mapping is neither listed nor applied
    assert '<option value="account_name" selected>' in page.split("<code>company</code>")[1]
    for junk in ("x", "-1", "99999999999999999999999"):
        assert client.get(mapping_url(job), {"use": junk}).status_code == 200
