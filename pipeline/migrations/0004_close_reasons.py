"""Close reasons salesflow ships with; sales ops edits the list."""

from django.db import migrations

DEFAULT_REASONS = [
    ("won", "Solved the problem they told us about"),
    ("won", "Best fit for how they work"),
    ("won", "Relationship and trust"),
    ("lost", "Chose another supplier"),
    ("lost", "Decided to do nothing"),
    ("lost", "Price"),
    ("lost", "Timing: not now"),
    ("disqualified", "No problem we can solve"),
    ("disqualified", "Not significant enough for them"),
    ("disqualified", "No budget or no authority"),
    ("disqualified", "Duplicate or wrong contact"),
]


def add_reasons(apps, schema_editor):
    reason_model = apps.get_model("pipeline", "CloseReason")
    for position, (kind, name) in enumerate(DEFAULT_REASONS):
        reason_model.objects.get_or_create(kind=kind, name=name, defaults={"position": position})


def remove_reasons(apps, schema_editor):
    reason_model = apps.get_model("pipeline", "CloseReason")
    for kind, name in DEFAULT_REASONS:
        reason_model.objects.filter(kind=kind, name=name).delete()


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0003_opportunities")]
    operations = [migrations.RunPython(add_reasons, remove_reasons)]
