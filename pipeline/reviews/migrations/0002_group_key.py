"""Each group's title as compared across reviews, to mark groups that recur."""

from django.db import migrations, models


def fill_keys(apps, schema_editor):
    from pipeline.reviews.models import title_key

    Group = apps.get_model("reviews", "Group")
    groups = list(Group.objects.only("pk", "title"))
    for group in groups:
        group.key = title_key(group.title)
    Group.objects.bulk_update(groups, ["key"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0001_reviews"),
    ]

    operations = [
        migrations.AddField(
            model_name="group",
            name="key",
            field=models.CharField(db_index=True, default="", editable=False, max_length=200),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
    ]
