"""Search ranks names (exact, then prefix, then by rank and trigram similarity), forgives a
typo in a name, marks the words found without letting the user's text become markup, and
pages each kind by a cursor, every hit once."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from prospects import services
from prospects.search import selectors
from prospects.search.highlight import excerpt, highlight
from tests.factories import AccountFactory, ContactFactory
from tests.hostile import fuzz, hostile

pytestmark = pytest.mark.django_db


def names(results, key="accounts"):
    return [row.name for row in results.found(key)]


def test_a_misspelt_name_still_finds_the_account_and_contact(rep):
    AccountFactory(owner=rep, name="Kestrel Components")
    AccountFactory(owner=rep, name="Harbour Dental")
    account = AccountFactory(owner=rep, name="Larkspur Clinic")
    ContactFactory(account=account, name="Bartholomew Okonkwo")
    found = selectors.search(user=rep, text="Kestrel Componnets")
    assert names(found) == ["Kestrel Components"]
    assert names(selectors.search(user=rep, text="kestral")) == ["Kestrel Components"]
    assert names(selectors.search(user=rep, text="bartholomew okonkow"), "contacts") == [
        "Bartholomew Okonkwo"
    ]


def test_the_exact_name_comes_first_then_names_starting_with_it(rep):
    for name in ("Old Kestrel Works", "Kestrel Components", "Kestrel", "Kestrels United"):
        AccountFactory(owner=rep, name=name)
    found = names(selectors.search(user=rep, text="kestrel"))
    # Exact; then starting with it, the shorter first; then holding it elsewhere.
    assert found == ["Kestrel", "Kestrels United", "Kestrel Components", "Old Kestrel Works"]
    # A name holding every word outranks names only alike (here, alike "kestrel").
    found = names(selectors.search(user=rep, text="kestrel works"))
    assert found[0] == "Old Kestrel Works"


def test_the_words_found_are_marked_and_the_users_text_escaped():
    assert (
        highlight("<b>Kestrel</b> & kestrels", ["kest"])
        == "&lt;b&gt;<mark>Kestrel</mark>&lt;/b&gt; &amp; <mark>kestrels</mark>"
    )
    assert highlight("no match here", ["kest"]) == "no match here"
    long = " ".join(["filler"] * 60) + " the kestrel line " + " ".join(["tail"] * 60)
    cut = excerpt(long, ["kestrel"])
    assert "kestrel" in cut
    assert cut.startswith("…")
    assert cut.endswith("…")
    assert len(cut) <= 165


def test_the_page_marks_hits_and_never_renders_a_name_as_markup(client, rep, log):
    account = AccountFactory(owner=rep, name="<img src=x onerror=alert(1)> Kestrel")
    log(account, notes="The kestrel line stops every winter")
    client.force_login(rep)
    html = client.get(reverse("prospects:search"), {"q": "kestrel"}).content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; <mark>Kestrel</mark>" in html
    assert "The <mark>kestrel</mark> line stops every winter" in html


def test_more_walks_every_hit_of_a_kind_once(client, rep, log):
    for n in range(selectors.PAGE_SIZE * 2 + 3):
        # The same name for some, so the cursor's tie-break on id matters.
        AccountFactory(owner=rep, name=f"Brigid Annex {n % 4}")
    account = AccountFactory(owner=rep, name="Somewhere")
    talks = [log(account, notes=f"Brigid call {n}") for n in range(selectors.PAGE_SIZE + 2)]
    client.force_login(rep)
    url = reverse("prospects:search")
    for key, expected in (("accounts", selectors.PAGE_SIZE * 2 + 3), ("conversations", 10)):
        seen: list[int] = []
        after = ""
        while True:
            html = client.get(
                url, {"q": "brigid", "kind": key, "after": after}, HTTP_HX_REQUEST="true"
            ).content.decode()
            assert "<html" not in html  # only the hits and the next "more…"
            group = selectors.search(user=rep, text="brigid", kind=key, after=after).groups[0]
            assert html.count("<li") == len(group.hits) + (group.after is not None)
            seen += [hit.object.pk for hit in group.hits]
            if group.after is None:
                assert "More " not in html
                break
            assert f"kind={key}" in html
            after = group.after
        assert len(seen) == len(set(seen)) == expected
    # Newest conversation first.
    first = client.get(url, {"q": "brigid"}).context["results"]
    assert first.conversations[0] == talks[-1]


def test_the_first_page_offers_more_with_a_real_link(client, rep):
    for n in range(selectors.PAGE_SIZE + 1):
        AccountFactory(owner=rep, name=f"Brigid {n}")
    client.force_login(rep)
    html = client.get(reverse("prospects:search"), {"q": "brigid"}).content.decode()
    more = re.search(r'<a href="([^"]*kind=accounts[^"]*)"\s+hx-get="\1"', html)
    assert more is not None, html
    assert "More accounts…" in html
    # Without htmx the link opens a page of that kind alone.
    page = client.get(more.group(1).replace("&amp;", "&"))
    assert [group.kind.key for group in page.context["results"].groups] == ["accounts"]
    assert len(page.context["results"].accounts) == 1


@fuzz
@given(
    q=hostile,
    kind=hostile,
    after=st.one_of(
        hostile, st.sampled_from(["nan_1", "1e999_2", "inf_3", "2026-13-01_4", "0.5_x", "_"])
    ),
)
def test_search_answers_any_query_kind_and_cursor(client, rep, q, kind, after):
    AccountFactory(owner=rep, name="Brigid")
    client.force_login(rep)
    for key in (kind, "accounts", "conversations"):
        response = client.get(reverse("prospects:search"), {"q": q, "kind": key, "after": after})
        assert response.status_code == 200


def test_a_cursor_that_does_not_parse_starts_from_the_top(rep):
    AccountFactory(owner=rep, name="Brigid")
    for after in ("nan_1", "garbage", "1e999_2", "_", "2026-02-30T25:61_3", "²", "٣"):
        found = selectors.search(user=rep, text="brigid", kind="accounts", after=after)
        assert names(found) == ["Brigid"]
        assert selectors.search(user=rep, text="brigid", kind="why", after=after).groups


def test_why_notes_are_found(rep):
    account = AccountFactory(owner=rep, name="Harbour Dental")
    services.why_record(
        actor=rep,
        account=account,
        text="Their waiting list doubled after the merger",
        said_on=timezone.localdate(),
    )
    found = selectors.search(user=rep, text="waiting merger")
    assert [note.account for note in found.found("why")] == [account]
