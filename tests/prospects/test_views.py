"""The account pages: inline logging with htmx, the why, filters, pagination, query counts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from prospects import services
from prospects.models import Conversation, FacilitativeQuestion, WhyNote
from tests.factories import AccountFactory, ContactFactory, SegmentFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def conversation_data(**changes):
    return {
        "occurred_at": "2026-11-02T10:30",
        "channel": "call",
        "kind": "qualifying",
        "notes": "Talked through the winter numbers",
        "emotion_found": "Worried about winter",
        "has_problem": "yes",
        "accepts_significance": "yes",
        "ready_to_act": "unknown",
        **changes,
    }


def test_inline_log_returns_a_fresh_form_and_updates_readiness_and_timeline(
    client, rep, account, contact
):
    client.force_login(rep)
    question = FacilitativeQuestion.objects.filter(kind="qualifying").first()
    url = reverse("prospects:conversation_create", args=[account.pk])
    response = client.post(
        url, conversation_data(contacts=[contact.pk], questions_asked=[question.pk]), **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Conversation logged." in html
    assert re.search(r'id="readiness-panel"[^>]*hx-swap-oob="true"', html) is not None
    assert "Talked through the winter numbers" in html  # the timeline, swapped out of band
    assert f"Asked: {question.text}" in html
    conversation = Conversation.objects.get()
    assert list(conversation.questions_asked.all()) == [question]
    account.refresh_from_db()
    assert (account.has_problem, account.accepts_significance) == ("yes", "yes")


def test_log_without_htmx_redirects_to_the_account(client, rep, account):
    client.force_login(rep)
    response = client.post(
        reverse("prospects:conversation_create", args=[account.pk]), conversation_data()
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("prospects:account_detail", args=[account.pk])


def test_bad_log_keeps_what_was_typed_and_says_why(client, rep, account):
    client.force_login(rep)
    url = reverse("prospects:conversation_create", args=[account.pk])
    response = client.post(
        url, conversation_data(occurred_at="1999-01-01T10:00", channel="pigeon"), **HTMX
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "too long ago" in html
    assert "Select a valid choice" in html
    assert "Talked through the winter numbers" in html
    assert not Conversation.objects.exists()


def test_questions_follow_the_kind(client, rep, account):
    client.force_login(rep)
    url = reverse("prospects:conversation_questions", args=[account.pk])
    html = client.get(url, {"kind": "decision"}, **HTMX).content.decode()
    for question in FacilitativeQuestion.objects.filter(kind="decision"):
        assert question.text in html
    assert FacilitativeQuestion.objects.filter(kind="qualifying").first().text not in html
    assert client.get(url, {"kind": "<script>"}).status_code == 200


def test_why_edit_saves_a_new_version_and_shows_what_it_changed_from(client, rep, account, contact):
    client.force_login(rep)
    url = reverse("prospects:why_edit", args=[account.pk])
    client.post(
        url,
        {"text": "Beds blocked at weekends", "said_on": "2026-11-01", "said_by": contact.pk},
        **HTMX,
    )
    response = client.post(
        url, {"text": "Friday discharges stall", "said_on": "2026-11-20"}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "“Friday discharges stall”" in html
    assert "from “Beds blocked at weekends”" in html
    assert WhyNote.objects.count() == 2
    page = client.get(reverse("prospects:account_detail", args=[account.pk])).content.decode()
    assert page.index("Friday discharges stall") < page.index('id="log-heading"')  # pinned on top


def test_account_without_a_why_prompts_for_it(client, rep, account):
    client.force_login(rep)
    html = client.get(reverse("prospects:account_detail", args=[account.pk])).content.decode()
    assert "No why yet." in html
    assert "Record their why" in html


def test_account_list_filters_and_paginates(client, rep, team):
    # Pages are keyset pages of 50 now (the lists framework), not numbered pages of 25:
    # "load more" carries the last row's place, so the second page starts after School 49.
    schools = SegmentFactory(name="Schools")
    for n in range(60):
        AccountFactory(
            owner=rep,
            name=f"School {n:02}",
            segment=schools,
            ready_to_act="yes" if n < 3 else "unknown",
        )
    AccountFactory(owner=rep, name="Hospital A", segment=SegmentFactory(name="Hospitals"))
    client.force_login(rep)
    url = reverse("prospects:account_list")
    page1 = client.get(url, {"segment": schools.pk})
    table = page1.context["table"]
    assert len(table.rows) == 50
    assert table.has_more
    assert "Hospital A" not in page1.content.decode()
    page2 = client.get(url, {"segment": schools.pk, "after": table.next_token}).context["table"]
    assert [a.name for a in page2.rows] == [f"School {n}" for n in range(50, 60)]
    assert not page2.has_more
    assert (page2.first, page2.last) == (51, 60)
    ready = client.get(url, {"ready_to_act": "yes"}).context["table"].rows
    assert len(ready) == 3
    # A nonsense filter or cursor is dropped with a message, never a server error.
    response = client.get(url, {"segment": "abc", "status": "nope", "after": "999"})
    assert response.status_code == 200
    assert len(response.context["table"].rows) == 50
    assert response.context["table"].has_more


def test_new_account_form_creates_it_for_the_rep(client, rep):
    client.force_login(rep)
    response = client.post(
        reverse("prospects:account_create"),
        {
            "name": "Kestrel Components",
            "website": "kestrel.example",
            "owner": rep.pk,
            "status": "prospect",
        },
    )
    assert response.status_code == 302
    account = rep.owned_accounts.get()
    assert account.website == "https://kestrel.example"


def _fill_account(account, rep, size):
    contact = ContactFactory(account=account)
    question = FacilitativeQuestion.objects.filter(kind="qualifying").first()
    for n in range(size):
        services.conversation_log(
            actor=rep,
            account=account,
            occurred_at=timezone.now() - timedelta(hours=n),
            channel="call",
            kind="qualifying",
            contacts=[contact],
            questions_asked=[question],
            has_problem="yes",
        )
        services.why_record(
            actor=rep,
            account=account,
            text=f"Why {n}",
            said_on=timezone.localdate(),
            said_by=contact,
        )


@pytest.mark.parametrize("size", [1, 30])
def test_account_page_query_count_is_constant(
    client, rep, account, size, django_assert_max_num_queries
):
    _fill_account(account, rep, size)
    client.force_login(rep)
    # The page, its why, contacts, deals, upcoming appointments and timeline, and the unread
    # notification count.
    with django_assert_max_num_queries(17):
        response = client.get(reverse("prospects:account_detail", args=[account.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize("size", [1, 30])
def test_timeline_page_query_count_is_constant(
    client, rep, account, size, django_assert_max_num_queries
):
    _fill_account(account, rep, size)
    client.force_login(rep)
    with django_assert_max_num_queries(8):
        response = client.get(
            reverse("prospects:account_timeline", args=[account.pk]), {"page": 2}, **HTMX
        )
    assert response.status_code == 200


@pytest.mark.parametrize("size", [1, 60])
def test_account_list_query_count_is_constant(client, rep, size, django_assert_max_num_queries):
    for n in range(size):
        AccountFactory(owner=rep, name=f"Account {n}")
    client.force_login(rep)
    url = reverse("prospects:account_list")
    query = {}
    if size > 50:  # the second keyset page
        query["after"] = client.get(url).context["table"].next_token
    # Was 9 with numbered pages. The lists framework reads the default view (twice), the
    # saved views and the chosen columns (+4) and counts nothing (-1); the page is its keys
    # then its rows, the deal columns subqueries of the rows' query.
    with django_assert_max_num_queries(12):
        response = client.get(url, query)
    assert response.status_code == 200


def test_log_form_starts_from_the_last_conversation_kind(client, rep, account, log):
    log(account, kind="decision")
    client.force_login(rep)
    response = client.get(reverse("prospects:account_detail", args=[account.pk]))
    form = response.context["conversation_form"]
    assert form.initial["kind"] == "decision"
    assert form.initial["channel"] == "call"
    assert {q.kind for q in form.kind_questions} == {"decision"}
    assert '<option value="decision" selected>' in response.content.decode()


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
