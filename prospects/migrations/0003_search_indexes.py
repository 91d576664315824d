"""Full-text search indexes, on PostgreSQL only (the embedded SQLite mode searches plainly).

The indexes are built from the same SearchVector expressions the search selector queries
with, so PostgreSQL can use them; they are not declared in Meta because SQLite has no GIN.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

# A frozen copy of prospects.search.fulltext.SEARCH_FIELDS as it was when these indexes
# were made; when the searched fields change, a new migration replaces the indexes.
SEARCH_FIELDS = {
    "account": ("name",),
    "contact": ("name", "email", "title"),
    "conversation": ("notes", "emotion_found"),
}


def _indexes():
    for model_name, fields in SEARCH_FIELDS.items():
        yield model_name, GinIndex(SearchVector(*fields, config="simple"), name=f"prospects_{model_name}_fts")


def add_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in _indexes():
        schema_editor.add_index(apps.get_model("prospects", model_name), index)


def remove_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in _indexes():
        schema_editor.remove_index(apps.get_model("prospects", model_name), index)


class Migration(migrations.Migration):
    dependencies = [("prospects", "0002_starter_questions")]
    operations = [migrations.RunPython(add_indexes, remove_indexes)]
