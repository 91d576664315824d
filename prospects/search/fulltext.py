"""Find accounts, contacts and conversation notes with PostgreSQL full-text search (the
"simple" configuration: no stemming, no stop words; each word matches as a prefix)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import QuerySet

# The text each model is searched by. Migration 0003 indexes exactly these expressions.
SEARCH_FIELDS: dict[str, tuple[str, ...]] = {
    "account": ("name",),
    "contact": ("name", "email", "title"),
    "conversation": ("notes", "emotion_found"),
}
MAX_TERMS = 8


def terms(text: str) -> list[str]:
    """Words of the query, lower-cased; punctuation and operators are dropped."""
    return [word.lower() for word in re.findall(r"\w+", text)][:MAX_TERMS]


def matching(queryset: QuerySet, model_name: str, words: list[str]) -> QuerySet:
    """Rows whose search text holds every word (as a prefix, so "kest" finds "Kestrel")."""
    fields = SEARCH_FIELDS[model_name]
    query = SearchQuery(
        " & ".join(f"{word}:*" for word in words), config="simple", search_type="raw"
    )
    return queryset.annotate(search=SearchVector(*fields, config="simple")).filter(search=query)


@dataclass
class SearchResults:
    query: str
    accounts: list = field(default_factory=list)
    contacts: list = field(default_factory=list)
    conversations: list = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.accounts or self.contacts or self.conversations)
