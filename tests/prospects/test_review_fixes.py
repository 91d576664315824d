"""Behaviours that a review of the prospects workspace asked for."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from prospects import services
from prospects.models import Account, AccountEvent, AccountImport, Contact, WhyNote
from salesflow.core.fields import IdChoiceField, IdMultipleChoiceField
from tests.factories import AccountFactory, SegmentFactory

pytestmark = pytest.mark.django_db


def test_export_link_lives_in_the_results_that_filters_replace(client, rep, account):
    client.force_login(rep)
    fragment = client.get(
        reverse("prospects:account_list"), {"status": "customer"}, HTTP_HX_REQUEST="true"
    )
    assert f"{reverse('prospects:account_export')}?status=customer" in fragment.content.decode()


@pytest.mark.parametrize("field_class", [IdChoiceField, IdMultipleChoiceField])
def test_impossible_ids_are_invalid_choices_before_any_query(
    field_class, django_assert_num_queries
):
    field = field_class(queryset=Account.objects.all())
    for value in ("99999999999999999999999", "²", "-1", "1.5"):
        with django_assert_num_queries(0), pytest.raises(forms.ValidationError) as error:
            field.clean([value] if field_class is IdMultipleChoiceField else value)
        assert error.value.code == "invalid_choice"


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


def test_disqualified_reason_has_a_length_limit(client, rep, account):
    client.force_login(rep)
    response = client.post(
        reverse("prospects:account_edit", args=[account.pk]),
        {
            "name": account.name,
            "owner": rep.pk,
            "status": "disqualified",
            "disqualified_reason": "x" * 2001,
        },
    )
    assert response.status_code == 200
    assert "at most 2000 characters" in response.content.decode()


def test_saving_the_same_why_again_adds_no_version(rep, account, contact):
    first = services.why_record(
        actor=rep, account=account, text="Beds", said_on=date(2026, 11, 1), said_by=contact
    )
    again = services.why_record(
        actor=rep, account=account, text=" Beds ", said_on=date(2026, 11, 1), said_by=contact
    )
    assert again == first
    assert WhyNote.objects.count() == 1
    assert AccountEvent.objects.filter(kind="why").count() == 1


def test_merged_account_keeps_a_single_created_entry(rep, account):
    services.account_create(actor=rep, name="Twin", owner=rep)
    AccountEvent.objects.create(
        account=account, kind="created", occurred_at=timezone.now(), actor=rep
    )
    twin = Account.objects.get(name="Twin")
    services.account_merge(actor=rep, survivor=account, duplicate=twin, values={})
    assert AccountEvent.objects.filter(account=account, kind="created").count() == 1


def upload(client, text):
    return client.post(
        reverse("prospects:account_import"), {"file": SimpleUploadedFile("a.csv", text.encode())}
    )


def test_import_refuses_ragged_rows_and_doubled_columns(client, rep):
    client.force_login(rep)
    assert (
        "has 3 cells but the header names 2"
        in upload(client, "account_name,website\nA,b.example,extra\n").content.decode()
    )
    assert (
        "Columns named twice: website"
        in upload(client, "account_name,website,website\nA,,\n").content.decode()
    )
    assert not AccountImport.objects.exists()


def test_an_export_can_be_imported_again(client, rep, account):
    SegmentFactory(name=account.segment.name)
    client.force_login(rep)
    exported = b"".join(client.get(reverse("prospects:account_export")).streaming_content).decode()
    exported = exported.replace(account.name, "Copy of the account")
    response = upload(client, exported)
    assert response.status_code == 302
    assert AccountImport.objects.get().status == "done", AccountImport.objects.get().errors
    copy = Account.objects.get(name="Copy of the account")
    assert (copy.owner, copy.segment) == (rep, account.segment)


def test_an_import_abandoned_by_a_dead_worker_is_reclaimed_on_redelivery(rep):
    job = AccountImport.objects.create(
        uploaded_by=rep,
        file_name="a.csv",
        content="account_name\nA\n",
        total_rows=1,
        status="running",
        started_at=timezone.now() - timedelta(seconds=services.IMPORT_TIME_LIMIT + 1),
    )
    services.account_import_run(import_id=job.pk)
    job.refresh_from_db()
    assert job.status == "done"
    assert Account.objects.filter(name="A").exists()


def test_a_live_import_is_not_claimed_twice(rep):
    job = AccountImport.objects.create(
        uploaded_by=rep,
        file_name="a.csv",
        content="account_name\nA\n",
        total_rows=1,
        status="running",
        started_at=timezone.now(),
    )
    services.account_import_run(import_id=job.pk)
    assert not Account.objects.exists()


def test_import_progress_is_read_from_the_cache_while_running(rep):
    from django.core.cache import cache

    from prospects import importing, selectors

    job = AccountImport.objects.create(
        uploaded_by=rep, file_name="a.csv", content="", total_rows=100, status="running"
    )
    cache.set(importing.progress_key(job.pk), 40)
    assert selectors.import_progress(job=job) == 40
    cache.set(importing.progress_key(job.pk), 500)
    assert selectors.import_progress(job=job) == 100


def test_admin_status_change_goes_through_the_service(admin_client, account):
    url = reverse("admin:prospects_account_change", args=[account.pk])
    data = {
        "name": account.name,
        "website": "",
        "segment": account.segment_id,
        "lead_source": "",
        "owner": account.owner_id,
        "status": "customer",
        "disqualified_reason": "",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert AccountEvent.objects.get(account=account, kind="status").summary == "Prospect → Customer"
    admin_client.post(
        reverse("admin:prospects_account_add"), {**data, "name": "Via admin", "status": "prospect"}
    )
    created = Account.objects.get(name="Via admin")
    assert AccountEvent.objects.filter(account=created, kind="created").exists()
    assert Contact.objects.count() == 0


def test_standalone_log_form_posts_without_htmx(client, rep, account):
    client.force_login(rep)
    html = client.get(reverse("prospects:conversation_create", args=[account.pk])).content.decode()
    assert 'id="conversation-form"' in html
    assert "hx-post" not in html
