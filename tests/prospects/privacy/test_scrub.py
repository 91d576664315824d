"""Person.scrub, the one rule every holder uses: whatever surrounds a mention, in whatever
case, nothing of the identifiers is left; text that does not name the person is unchanged."""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from prospects.models import Contact
from prospects.privacy.holders import ERASED, Person

names = st.text(
    alphabet=st.characters(categories=["L", "Zs", "P"], exclude_characters="\x00"),
    min_size=3,
    max_size=40,
).filter(lambda name: len(name.strip()) >= 3)


def person(name: str, email: str = "", phone: str = "") -> Person:
    return Person.of(Contact(pk=1, account_id=1, name=name, email=email, phone=phone))


@given(name=names, before=st.text(max_size=50), after=st.text(max_size=50), upper=st.booleans())
def test_no_identifier_survives_a_scrub(name, before, after, upper):
    someone = person(name, email="a.person@example.test", phone="+44 20 7946 0958")
    # An identifier inside "[erased]" itself ("ase") would be found again in what replaced it.
    assume(not any(text.lower() in ERASED for text in someone.identifiers))
    mention = name.strip().upper() if upper else name.strip()
    text = f"{before}{mention} (a.person@EXAMPLE.test, +44 20 7946 0958){after}"

    scrubbed = someone.scrub(text)

    for identifier in someone.identifiers:
        # Compared as ILIKE compares, letter by letter, as the database scan does.
        assert identifier.lower() not in scrubbed.lower()
    assert ERASED in scrubbed


@given(text=st.text(max_size=200))
def test_a_text_that_does_not_name_them_is_unchanged(text):
    someone = person("Helen Margaret Shaw", email="helen.shaw@example.test")
    assume("helen" not in text.casefold())
    assert someone.scrub(text) == text
    assert someone.scrub({"note": text, "rows": [text, 3]}) == {"note": text, "rows": [text, 3]}


def test_first_and_last_name_are_looked_for_too():
    someone = person("Helen Margaret Shaw")
    assert someone.identifiers == ("Helen Margaret Shaw", "Helen Shaw")
    assert someone.scrub("HELEN SHAW called; Helen Margaret Shaw too") == (
        "[erased] called; [erased] too"
    )


def test_short_identifiers_are_not_looked_for():
    assert person("Li", phone="12").identifiers == ()
    assert person("Li").scrub("Li said 12") == "Li said 12"


def test_an_erased_placeholder_names_nobody():
    from django.utils import timezone

    placeholder = Contact(pk=1, account_id=1, name="Erased contact", erased_at=timezone.now())
    assert Person.of(placeholder).identifiers == ()
