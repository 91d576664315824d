"""Search over everything: pg_trgm and trigram indexes on names (a misspelt name still
matches), the why notes' full-text index, conversations in the order search lists them, and the model state of the three full-text
indexes migration 0003 made, now declared in the models' Meta from the same expressions
(prospects.search.fulltext.document), so they are not built a second time."""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("prospects", "0012_duplicate_lookups"),
    ]

    operations = [
        TrigramExtension(),
        # Built by 0003 with these very expressions: the state learns of them, the database
        # keeps them as they are.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="account",
                    index=django.contrib.postgres.indexes.GinIndex(
                        django.contrib.postgres.search.SearchVector("name", config="simple"),
                        name="prospects_account_fts",
                    ),
                ),
                migrations.AddIndex(
                    model_name="contact",
                    index=django.contrib.postgres.indexes.GinIndex(
                        django.contrib.postgres.search.SearchVector(
                            "name", "email", "title", config="simple"
                        ),
                        name="prospects_contact_fts",
                    ),
                ),
                migrations.AddIndex(
                    model_name="conversation",
                    index=django.contrib.postgres.indexes.GinIndex(
                        django.contrib.postgres.search.SearchVector(
                            "notes", "emotion_found", config="simple"
                        ),
                        name="prospects_conversation_fts",
                    ),
                ),
            ]
        ),
        migrations.AddIndex(
            model_name="account",
            index=django.contrib.postgres.indexes.GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="account_name_trgm"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=django.contrib.postgres.indexes.GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="contact_name_trgm"),
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(fields=["occurred_at", "id"], name="conversation_occurred_order"),
        ),
        migrations.AddIndex(
            model_name="whynote",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.search.SearchVector("text", config="simple"),
                name="prospects_whynote_fts",
            ),
        ),
    ]
