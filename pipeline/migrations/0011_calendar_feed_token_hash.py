"""Keep only a SHA-256 of each calendar feed's token. Existing feeds keep working: their
addresses still carry the token, and the feed is now found by its hash. Going back cannot
recover the tokens from their hashes, so it switches every feed off (their owners make new
addresses)."""

import hashlib

from django.db import migrations, models


def hash_tokens(apps, schema_editor):
    # The same hash as CalendarFeed.hash_token, written out: a migration keeps the rule
    # it was written with.
    CalendarFeed = apps.get_model("pipeline", "CalendarFeed")
    feeds = list(CalendarFeed.objects.only("pk", "token"))
    for feed in feeds:
        feed.token_hash = hashlib.sha256(feed.token.encode("utf-8")).hexdigest()
    CalendarFeed.objects.bulk_update(feeds, ["token_hash"], batch_size=500)


def switch_feeds_off(apps, schema_editor):
    apps.get_model("pipeline", "CalendarFeed").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("pipeline", "0010_open_deal_totals"),
    ]

    operations = [
        migrations.AddField(
            model_name="calendarfeed",
            name="token_hash",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        # Nullable while both columns exist, so that going back can put the token column
        # back on a table with rows before it empties the table.
        migrations.AlterField(
            model_name="calendarfeed",
            name="token",
            field=models.CharField(max_length=64, null=True, unique=True),
        ),
        migrations.RunPython(hash_tokens, switch_feeds_off),
        migrations.AlterField(
            model_name="calendarfeed",
            name="token_hash",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
        migrations.RemoveField(model_name="calendarfeed", name="token"),
    ]
