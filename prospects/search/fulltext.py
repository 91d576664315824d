"""Find things with PostgreSQL full-text search (the "simple" configuration: no stemming, no
stop words; each word matches as a prefix), and names with trigram similarity, so a typo
still finds them.

Each searched model's document is `document(*SEARCH_FIELDS[…])`, and its GIN index in the
model's Meta is built from the very same call, so the index's expression and the query's
are one and the planner can use the index. Changing the fields changes both: makemigrations
then asks for a new index.
"""

from __future__ import annotations

import re

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import QuerySet

# The text each of prospects' models is searched by (pipeline's models keep theirs beside
# them and pass them in).
SEARCH_FIELDS: dict[str, tuple[str, ...]] = {
    "account": ("name",),
    "contact": ("name", "email", "title"),
    "conversation": ("notes", "emotion_found"),
    "whynote": ("text",),
}
MAX_TERMS = 8


def document(fields: tuple[str, ...]) -> SearchVector:
    """The searched text of a model, as the query and its index both compute it."""
    return SearchVector(*fields, config="simple")


def document_index(fields: tuple[str, ...], *, name: str) -> GinIndex:
    """The full-text index of a model's document (declared in the model's Meta)."""
    return GinIndex(document(fields), name=name)


def trigram_index(field: str, *, name: str) -> GinIndex:
    """A trigram index on a name: serves `%>` (word similarity), which finds misspelt names.
    pg_trgm lower-cases by itself, so the plain column is indexed."""
    return GinIndex(fields=[field], opclasses=["gin_trgm_ops"], name=name)


def terms(text: str) -> list[str]:
    """Words of the query, lower-cased; punctuation and operators are dropped."""
    return [word.lower() for word in re.findall(r"\w+", text)][:MAX_TERMS]


def prefix_query(words: list[str]) -> SearchQuery:
    """Every word, each as a prefix (so "kest" finds "Kestrel"). `terms` leaves only word
    characters, so nothing typed can become a tsquery operator."""
    return SearchQuery(
        " & ".join(f"{word}:*" for word in words), config="simple", search_type="raw"
    )


def matching(
    queryset: QuerySet, model_name: str, words: list[str], *, fields: tuple[str, ...] = ()
) -> QuerySet:
    """Rows whose search text holds every word (as a prefix): prospects' models by name,
    others by their `fields`."""
    vector = document(fields or SEARCH_FIELDS[model_name])
    # alias, not annotate: the vector is for the WHERE only, not a column to fetch.
    return queryset.alias(search=vector).filter(search=prefix_query(words))
