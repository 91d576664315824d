"""Search across everything the user may see, kind by kind, and finding an account to log a
conversation on."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.postgres.lookups import TrigramWordSimilar
from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection, transaction
from django.db.models import Case, F, FloatField, Model, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Greatest, Length
from django.utils.safestring import SafeString

from prospects.access import accounts_editable_by
from prospects.models import Account
from prospects.search.fulltext import document, matching, prefix_query, terms
from prospects.search.highlight import excerpt, highlight
from prospects.search.kinds import KINDS, Kind, Shown
from salesflow.core.models import User

# Hits per kind on a page, and per "more…".
PAGE_SIZE = 8
# Names (see _named): a row holding every word scores above TEXT_MATCH, the exact name
# above a name starting with what was typed, above the rest (shorter first: 1/length is at
# most 1); a name only alike scores its trigram word similarity, at most 1. ts_rank is left
# out: on a common word it would parse every matching row's document again.
TEXT_MATCH, EXACT_NAME, NAME_PREFIX = 10.0, 4.0, 2.0
# Long texts are first looked for among this many newest rows (see _newest).
WINDOW = 1_000


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

    @property
    def unmatched(self) -> list[str]:
        """The kinds nothing matched, by their noun ("contacts", "SOE steps")."""
        return [group.kind.noun for group in self.groups if not group.hits]

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


def _score_after(queryset: QuerySet, cursor: tuple[float, int] | None) -> QuerySet:
    if cursor is None:
        return queryset
    score, pk = cursor
    return queryset.filter(Q(score__lt=score) | Q(score=score, pk__lt=pk))


def _score_cursor(cursor: str) -> tuple[float, int] | None:
    value_text, _, pk_text = cursor.rpartition("_")
    try:
        score, pk = float(value_text), int(pk_text)
    except ValueError:
        return None
    return (score, pk) if math.isfinite(score) else None


def _named(kind: Kind, queryset: QuerySet, words: list[str], after: str) -> list[Model]:
    """Names, best first, one page, in two steps that share one score (the cursor's):

    1. Rows whose text holds every word (the full-text index): the exact name first, then
       names starting with what was typed, then shorter names (more of the name is what
       was typed). Cheap however many match: nothing is computed per row but the name's
       length.
    2. After them, names only alike what was typed (a typo: pg_trgm's `%>`, word
       similarity over its threshold, served by the name's trigram index), closest first.
       Few rows come here, so their similarity is worth computing.
    """
    assert kind.name is not None
    name = kind.name
    typed = " ".join(words)
    held = Q(search=prefix_query(words))
    rows = queryset.alias(search=document(kind.fields))
    by_text = (
        rows.filter(held)
        .annotate(
            score=Value(TEXT_MATCH)
            + Case(
                When(**{f"{name}__iexact": typed}, then=Value(EXACT_NAME)),
                When(**{f"{name}__istartswith": typed}, then=Value(NAME_PREFIX)),
                default=Value(0.0),
                output_field=FloatField(),
            )
            + Value(1.0) / Greatest(Cast(Length(name), FloatField()), Value(1.0))
        )
        .order_by("-score", "-pk")
    )
    # The lookup used as an expression, so django.contrib.postgres need not be installed.
    by_likeness = (
        rows.filter(TrigramWordSimilar(F(name), Value(typed)))
        .exclude(held)
        .annotate(score=TrigramWordSimilarity(typed, name))
        .order_by("-score", "-pk")
    )
    cursor = _score_cursor(after) if after else None
    found: list[Model] = []
    if cursor is None or cursor[0] >= TEXT_MATCH:
        found = list(_score_after(by_text, cursor)[: PAGE_SIZE + 1])
        if len(found) > PAGE_SIZE:
            return found
        cursor = None
    return found + list(_score_after(by_likeness, cursor)[: PAGE_SIZE + 1 - len(found)])


def _order(kind: Kind) -> tuple[str, ...]:
    return ("-pk",) if kind.newest == "pk" else (f"-{kind.newest}", "-pk")


def _newest(kind: Kind, queryset: QuerySet, words: list[str], after: str) -> list[Model]:
    """Long texts, newest first, one page, in two steps so that no word is slow however
    common or rare it is (the planner, guessing how common a word is, would otherwise walk
    the whole order index for a rare one, computing millions of documents):

    1. Among the newest WINDOW rows of the table (a bound read off the order index), the
       matches, newest first: a common word fills the page here, the database walking the
       index and stopping; a rarer one is found through the full-text index within the
       bound. These are the newest matches of all, since everything else is older.
    2. Only if that page is short, the older matches, through the full-text index alone
       (the order is made one no index serves, so the planner cannot walk one), which a
       word rare enough to come here has few of.
    """
    found = _after(kind, matching(queryset, "", words, fields=kind.fields), after)
    field_name = kind.newest
    newest_first = _after(kind, queryset.model._default_manager.all(), after).order_by(
        *_order(kind)
    )
    bound = next(iter(newest_first.values_list(field_name, flat=True)[WINDOW : WINDOW + 1]), None)
    if bound is None:  # the table is small: one query finds all
        return list(found.order_by(*_order(kind))[: PAGE_SIZE + 1])
    rows = list(
        found.filter(**{f"{field_name}__gt": bound}).order_by(*_order(kind))[: PAGE_SIZE + 1]
    )
    if len(rows) > PAGE_SIZE:
        return rows
    # F() + 0 / + 0 days: the same order, but not an indexed one.
    unindexed = F(field_name) + (Value(0) if field_name == "pk" else Value(timedelta(0)))
    older = found.filter(**{f"{field_name}__lte": bound}).order_by(unindexed.desc(), F("pk").desc())
    return rows + list(older[: PAGE_SIZE + 1 - len(rows)])


def _cursor(kind: Kind, row: Model) -> str:
    if kind.newest == "pk" and not kind.name:
        return str(row.pk)
    # repr() of the score's float gives back the very same float when parsed.
    value = row.score if kind.name else getattr(row, kind.newest)
    shown = value.isoformat() if isinstance(value, datetime) else repr(value)
    return f"{shown}_{row.pk}"


def _after(kind: Kind, queryset: QuerySet, cursor: str) -> QuerySet:
    """The rows after the cursor in the kind's order (keyset: no OFFSET, no count). A cursor
    that does not parse starts from the top, as if none was given."""
    if not cursor:
        return queryset
    if kind.newest == "pk" and not kind.name:
        # isascii: int() reads other scripts' digits too, and isdigit() takes "²".
        return (
            queryset.filter(pk__lt=int(cursor))
            if cursor.isascii() and cursor.isdigit()
            else queryset
        )
    value_text, _, pk_text = cursor.rpartition("_")
    try:
        pk = int(pk_text)
        value = datetime.fromisoformat(value_text)
    except ValueError:
        return queryset
    field_name = kind.newest
    return queryset.filter(
        Q(**{f"{field_name}__lt": value}) | Q(**{field_name: value, "pk__lt": pk})
    )


def search_kind(*, user: User, kind: Kind, words: list[str], after: str = "") -> Group:
    """One page of one kind's hits for the user: what they may see that matches."""
    queryset = kind.visible(user)
    if kind.name:
        rows = _named(kind, queryset, words, after)
    else:
        rows = _newest(kind, queryset, words, after)
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
    with transaction.atomic(), connection.cursor() as cursor:
        # Each query is built to read few rows: a page through the order index, a bounded
        # window, or a word rare enough to have few matches. The planner cannot know how
        # rare a word is (it guesses one in fifty for any it has no statistics of), and
        # for that many rows plans hash joins that read every account the user may see,
        # and parallel workers whose start costs more than they share. Row by row through
        # the indexes is right for the rows these queries find. For this transaction only.
        cursor.execute(
            "SET LOCAL max_parallel_workers_per_gather = 0;"
            " SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off"
        )
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
