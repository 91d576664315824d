"""Search over everything: full-text indexes on deals, SOE steps and follow-up purposes, and
the deals' names' trigrams (pg_trgm comes with prospects 0013)."""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('pipeline', '0017_audit_history'),
        ('prospects', '0013_search_everything'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='followup',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.search.SearchVector('purpose', config='simple'), name='pipeline_followup_fts'),
        ),
        migrations.AddIndex(
            model_name='opportunity',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.search.SearchVector('name', 'next_step', config='simple'), name='pipeline_deal_fts'),
        ),
        migrations.AddIndex(
            model_name='opportunity',
            index=django.contrib.postgres.indexes.GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name='deal_name_trgm'),
        ),
        migrations.AddIndex(
            model_name='soestep',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.search.SearchVector('text', 'notes', config='simple'), name='pipeline_soestep_fts'),
        ),
    ]
