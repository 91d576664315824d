"""The patience rules salesflow ships with; sales ops edits them in the admin."""

from django.db import migrations

DEFAULT_RULES = [
    # kind, conversation kind, days, extra days, why
    ("after_conversation", "solution_development", 1, 0, "let the solution call sink in"),
    ("after_conversation", "decision", 1, 0, "give them room to decide"),
    ("after_soe_step", "", 3, 0, "let the last step marinate before the next"),
    ("end_of_quarter", "", 10, 2, "end of quarter — be careful"),
    ("dragging_evaluation", "", 7, 0, "a dragging evaluation is not chased"),
]


def add_rules(apps, schema_editor):
    rule_model = apps.get_model("pipeline", "PatienceRule")
    if rule_model.objects.exists():
        return
    rule_model.objects.bulk_create(
        rule_model(kind=kind, conversation_kind=conversation, days=days, extra_days=extra, why=why)
        for kind, conversation, days, extra, why in DEFAULT_RULES
    )


def remove_rules(apps, schema_editor):
    rule_model = apps.get_model("pipeline", "PatienceRule")
    for kind, conversation, days, extra, why in DEFAULT_RULES:
        rule_model.objects.filter(kind=kind, conversation_kind=conversation, why=why).delete()


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0006_follow_ups")]
    operations = [migrations.RunPython(add_rules, remove_rules)]
