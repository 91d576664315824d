"""What the migrations wrote, put back for the tests that need it after a flush."""

from __future__ import annotations

from django.apps import apps
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection


def put_back_shipped_rows(shipped: str) -> None:
    """Empty the database and put back what the migrations wrote, with the sequences
    continuing after it."""
    call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
    connection.creation.deserialize_db_from_string(shipped)
    with connection.cursor() as cursor:
        models = apps.get_models(include_auto_created=True)
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
