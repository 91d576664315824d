"""Search across everything the user may see, kind by kind, and finding an account to log a
conversation on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.postgres.lookups import TrigramWordSimilar
from django.contrib.postgres.search import SearchRank, TrigramWordSimilarity
from django.db.models import Case, F, FloatField, Model, Q, QuerySet, Value, When
from django.utils.safestring import SafeString

from prospects.access import accounts_editable_by
from prospects.models import Account
from prospects.search.fulltext import document, matching, prefix_query, terms
from prospects.search.highlight import excerpt, highlight
from prospects.search.kinds import KINDS, Kind, Shown
from salesflow.core.models import User

# Hits per kind on a page, and per "more…".
PAGE_SIZE = 8
# A name typed in full outranks one starting with it, which outranks any other match
# (full-text rank and trigram similarity each stay below 1).
EXACT_NAME, NAME_PREFIX = 4.0, 2.0


@dataclass(frozen=True)
class Hit:
    object: Model
    shown: Shown
    title: SafeString  # escaped, the words searched for marked
    text: SafeString


@dataclass
class Group:
    kind: Kind
    hits: list[Hit]
    after: str | None  # the cursor of "more…"; None when this was the last page


@dataclass
class SearchResults:
    query: str
    words: list[str] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    kind: Kind | None = None  # the one kind asked for (?kind=…), or None for every kind

    @property
    def empty(self) -> bool:
        return not any(group.hits for group in self.groups)

    def found(self, key: str) -> list[Model]:
        """The objects found of one kind."""
        return [hit.object for group in self.groups if group.kind.key == key for hit in group.hits]

    @property
    def accounts(self) -> list[Model]:
        return self.found("accounts")

    @property
    def contacts(self) -> list[Model]:
        return self.found("contacts")

    @property
    def conversations(self) -> list[Model]:
        return self.found("conversations")


def _ranked(kind: Kind, queryset: QuerySet, words: list[str]) -> QuerySet:
    """Names: matching every word's prefix, or close enough to what was typed (a typo), best
    first. `%>` (word similarity over pg_trgm's threshold; the lookup used as an expression,
    so django.contrib.postgres need not be installed for it) is served by the name's trigram
    index, the full-text match by the document's, the two OR-ed as a bitmap."""
    assert kind.name is not None
    typed = " ".join(words)
    query = prefix_query(words)
    return (
        queryset.annotate(search=document(kind.fields))
        .filter(Q(search=query) | TrigramWordSimilar(F(kind.name), Value(typed)))
        .annotate(
            score=Case(
                When(**{f"{kind.name}__iexact": typed}, then=Value(EXACT_NAME)),
                When(**{f"{kind.name}__istartswith": typed}, then=Value(NAME_PREFIX)),
                default=Value(0.0),
                output_field=FloatField(),
            )
            + SearchRank(F("search"), query)
            + TrigramWordSimilarity(typed, kind.name)
        )
        .order_by("-score", "-pk")
    )


def _newest(kind: Kind, queryset: QuerySet, words: list[str]) -> QuerySet:
    return matching(queryset, "", words, fields=kind.fields).order_by(f"-{kind.newest}", "-pk")


def _cursor(kind: Kind, row: Model) -> str:
    value = row.score if kind.name else getattr(row, kind.newest)  # type: ignore[attr-defined]
    shown = value.isoformat() if isinstance(value, datetime) else repr(value)
    return f"{shown}_{row.pk}"


def _after(kind: Kind, queryset: QuerySet, cursor: str) -> QuerySet:
    """The rows after the cursor in the kind's order (keyset: no OFFSET, no count). A cursor
    that does not parse starts from the top, as if none was given."""
    value_text, _, pk_text = cursor.rpartition("_")
    try:
        pk = int(pk_text)
        value: object = float(value_text) if kind.name else datetime.fromisoformat(value_text)
    except ValueError:
        return queryset
    if kind.name:
        if value != value or value in (float("inf"), float("-inf")):  # NaN, infinities
            return queryset
        return queryset.filter(Q(score__lt=value) | Q(score=value, pk__lt=pk))
    field_name = kind.newest
    return queryset.filter(
        Q(**{f"{field_name}__lt": value}) | Q(**{field_name: value, "pk__lt": pk})
    )


def search_kind(*, user: User, kind: Kind, words: list[str], after: str = "") -> Group:
    """One page of one kind's hits for the user: what they may see that matches."""
    queryset = kind.visible(user)
    queryset = _ranked(kind, queryset, words) if kind.name else _newest(kind, queryset, words)
    if after:
        queryset = _after(kind, queryset, after)
    rows = list(queryset[: PAGE_SIZE + 1])
    page = rows[:PAGE_SIZE]
    hits = []
    for row in page:
        shown = kind.show(row)
        hits.append(
            Hit(
                object=row,
                shown=shown,
                title=highlight(shown.title, words),
                text=highlight(excerpt(shown.text, words), words),
            )
        )
    more = _cursor(kind, page[-1]) if len(rows) > PAGE_SIZE else None
    return Group(kind=kind, hits=hits, after=more)


def search(*, user: User, text: str, kind: str = "", after: str = "") -> SearchResults:
    """What the user may see that matches every word typed, grouped by kind: each kind's
    first page, or, with `kind`, that kind's page after the cursor `after`."""
    words = terms(text)
    chosen = KINDS.get(kind)
    results = SearchResults(query=text, words=words, kind=chosen)
    if not words:
        return results
    kinds = (chosen,) if chosen else KINDS.registered
    results.groups = [
        search_kind(user=user, kind=each, words=words, after=after if chosen else "")
        for each in kinds
    ]
    return results


def quick_log_accounts(*, user: User, text: str, limit: int = 10) -> list[Account]:
    """Accounts the user may log a conversation on: matching the text, or their own recent ones."""
    editable = accounts_editable_by(user)
    words = terms(text)
    if words:
        editable = matching(editable, "account", words).order_by("name", "pk")
    else:
        editable = editable.order_by("-updated_at", "-pk")
    return list(editable.select_related("segment")[:limit])
