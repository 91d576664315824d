"""Random and hostile input on every prospects form: never a 500, never half-saved."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prospects.models import Account, AccountEvent, Contact, Conversation, WhyNote
from tests.hostile import (
    BAD_CHARSETS,
    assert_refused_as_not_utf8,
    bodies_in,
    csrf_client,
    fuzz,
    hostile,
    ids,
    post_in,
)
from tests.prospects.test_export import read_csv

pytestmark = pytest.mark.django_db

OK = {200, 302, 400, 403, 404, 422}


def counts():
    return (
        Account.objects.count(),
        Contact.objects.count(),
        Conversation.objects.count(),
        WhyNote.objects.count(),
        AccountEvent.objects.count(),
    )


@fuzz
@given(
    when=hostile,
    channel=hostile,
    kind=hostile,
    notes=hostile,
    emotion=hostile,
    answer=hostile,
    contact=ids,
    question=ids,
)
def test_conversation_form(
    client,
    rep,
    account,
    other_account,
    when,
    channel,
    kind,
    notes,
    emotion,
    answer,
    contact,
    question,
):
    client.force_login(rep)
    before = counts()
    data = {
        "occurred_at": when,
        "channel": channel,
        "kind": kind,
        "notes": notes,
        "emotion_found": emotion,
        "has_problem": answer,
        "accepts_significance": "yes",
        "ready_to_act": "no",
        "contacts": [contact],
        "questions_asked": [question],
    }
    response = client.post(
        reverse("prospects:conversation_create", args=[account.pk]), data, HTTP_HX_REQUEST="true"
    )
    assert response.status_code in OK
    after = counts()
    if response.status_code == 200:
        # Saved whole: one conversation and its timeline entry, nothing else.
        assert after[2] == before[2] + 1
        assert after[4] == before[4] + 1
    else:
        assert after == before
    assert "<script>alert(1)</script>" not in response.content.decode()


@fuzz
@given(text=hostile, said_on=hostile, said_by=ids)
def test_why_form(client, rep, account, text, said_on, said_by):
    client.force_login(rep)
    before = counts()
    response = client.post(
        reverse("prospects:why_edit", args=[account.pk]),
        {"text": text, "said_on": said_on, "said_by": said_by},
    )
    assert response.status_code in OK
    after = counts()
    assert after == before or (after[3] == before[3] + 1 and response.status_code == 302)
    assert "<script>alert(1)</script>" not in response.content.decode()


@fuzz
@given(
    name=hostile,
    website=hostile,
    owner=ids,
    segment=ids,
    source=ids,
    status=hostile,
    reason=hostile,
)
def test_account_forms(client, rep, account, name, website, owner, segment, source, status, reason):
    client.force_login(rep)
    data = {
        "name": name,
        "website": website,
        "owner": owner,
        "segment": segment,
        "lead_source": source,
        "status": status,
        "disqualified_reason": reason,
    }
    before = counts()
    created = client.post(reverse("prospects:account_create"), data)
    assert created.status_code in OK
    if created.status_code != 302:
        assert counts() == before
    snapshot = Account.objects.values().get(pk=account.pk)
    edited = client.post(reverse("prospects:account_edit", args=[account.pk]), data)
    assert edited.status_code in OK
    if edited.status_code != 302:
        assert Account.objects.values().get(pk=account.pk) == snapshot
    assert "<script>alert(1)</script>" not in edited.content.decode()


@fuzz
@given(name=hostile, title=hostile, email=hostile, phone=hostile, role=hostile)
def test_contact_form(client, rep, account, contact, name, title, email, phone, role):
    client.force_login(rep)
    snapshot = Contact.objects.values().get(pk=contact.pk)
    edited = client.post(
        reverse("prospects:contact_edit", args=[contact.pk]),
        {"name": name, "title": title, "email": email, "phone": phone, "buying_role": role},
    )
    assert edited.status_code in OK
    if edited.status_code != 302:
        assert Contact.objects.values().get(pk=contact.pk) == snapshot
    before = counts()
    response = client.post(
        reverse("prospects:contact_create", args=[account.pk]),
        {"name": name, "title": title, "email": email, "phone": phone, "buying_role": role},
    )
    assert response.status_code in OK
    if response.status_code != 302:
        assert counts() == before


@fuzz
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "q",
                "owner",
                "segment",
                "lead_source",
                "status",
                "has_problem",
                "ready_to_act",
                "page",
                "after",
                "sort",
                "cols",
                "view",
            ]
        ),
        ids,
        max_size=5,
    )
)
def test_account_list_filters(client, rep, params):
    client.force_login(rep)
    assert client.get(reverse("prospects:account_list"), params).status_code == 200
    response = client.get(reverse("prospects:account_list_csv"), params)
    assert response.status_code == 200
    b"".join(response.streaming_content)


@fuzz
@given(pk=st.integers(min_value=-(2**70), max_value=2**70), page=ids)
def test_unknown_ids_are_404(client, rep, pk, page):
    client.force_login(rep)
    if pk > 0 and Account.objects.filter(pk=pk).exists():
        return
    url = f"/accounts/{abs(pk)}/timeline/?page={page}"
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("pk", [2**63 - 1, 2**63, 2**70])
def test_ids_beyond_any_row_are_404(client, rep, account, pk):
    """An id past a bigint's range finds no row on PostgreSQL, like any unknown id."""
    client.force_login(rep)
    for url in (
        reverse("prospects:account_detail", args=[pk]),
        reverse("prospects:contact_edit", args=[pk]),
        reverse("prospects:account_import_detail", args=[pk]),
        reverse("prospects:account_import_mapping", args=[pk]),
        reverse("prospects:account_merge", args=[account.pk]) + f"?other={pk}",
    ):
        assert client.get(url).status_code == 404, url
    with pytest.raises(Account.DoesNotExist):
        Account.objects.get(pk=pk)
    assert not Account.objects.filter(pk=pk).exists()
    assert not Contact.objects.filter(account_id=pk).exists()  # a foreign key, too


# --- Forms sent in a character encoding other than UTF-8 --------------------------------

FORMS = {
    "prospects:account_create": {"name": "Café Ltd", "status": "prospect"},
    "prospects:account_edit": {"name": "Café Ltd", "status": "prospect"},
    "prospects:contact_create": {"name": "Zoë Ng", "buying_role": "champion"},
    "prospects:contact_edit": {"name": "Zoë Ng", "buying_role": "champion"},
    "prospects:why_edit": {"text": "Beds blocked — all weekend", "said_on": "2026-01-05"},
    "prospects:conversation_create": {
        "occurred_at": "2026-01-05T10:00",
        "channel": "call",
        "kind": "discovery",
        "notes": "Ça va",
    },
    "prospects:account_merge": {"other": "1"},
    "prospects:quick_log": {"account": "1"},
    "prospects:account_import": {"file": "name\nCafé"},
}


def form_url(name, account, contact) -> str:
    if name in {"prospects:account_create", "prospects:quick_log", "prospects:account_import"}:
        return reverse(name)
    return reverse(name, args=[contact.pk if name == "prospects:contact_edit" else account.pk])


@pytest.mark.parametrize("charset", BAD_CHARSETS)
def test_every_prospects_form_sent_in_another_charset_is_refused_with_400(
    rep, account, contact, charset
):
    client, token = csrf_client(rep)
    before = counts()
    for name, data in FORMS.items():
        for body, content_type in bodies_in(charset, {**data, "csrfmiddlewaretoken": token}):
            response = post_in(client, form_url(name, account, contact), body, content_type)
            assert_refused_as_not_utf8(response)
    assert counts() == before


@pytest.mark.parametrize("charset", BAD_CHARSETS)
def test_signing_in_with_a_form_in_another_charset_is_refused_with_400(rep, charset):
    from axes.models import AccessAttempt

    client, token = csrf_client()
    data = {"username": rep.username, "password": "wrong", "csrfmiddlewaretoken": token}
    for body, content_type in bodies_in(charset, data):
        assert_refused_as_not_utf8(post_in(client, reverse("login"), body, content_type))
    assert not AccessAttempt.objects.exists()  # nothing was read, so nothing counted


@pytest.mark.parametrize("charset", ["utf-8", "UTF-8", "utf8", "UTF8", "utf_8"])
def test_a_form_that_names_utf8_however_spelt_is_read(rep, account, charset):
    client, token = csrf_client(rep)
    url = reverse("prospects:account_edit", args=[account.pk])
    data = {
        "name": "Café Ltd",
        "status": "prospect",
        "owner": rep.pk,
        "segment": account.segment_id,
        "csrfmiddlewaretoken": token,
    }
    for body, content_type in bodies_in(charset, data):
        response = post_in(client, url, body, content_type)
        assert response.status_code == 302, content_type
        account.refresh_from_db()
        assert account.name == "Café Ltd"


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    q=st.one_of(
        st.text(max_size=300), st.sampled_from(["\x00", "a:*|b", "!!!", "' OR 1=1", "x" * 5000])
    )
)
def test_search_quick_log_and_export_take_any_text(client, rep, account, q):
    client.force_login(rep)
    assert client.get(reverse("prospects:search"), {"q": q}).status_code == 200
    assert client.get(reverse("prospects:quick_log"), {"q": q}).status_code == 200
    response = client.get(reverse("prospects:account_export"), {"q": q, "segment": q})
    assert response.status_code == 200
    read_csv(response)
