"""The pipeline salesflow ships with; sales ops renames, reorders and adds to it freely."""

from django.db import migrations

DEFAULT_STAGES = [
    # name, win probability %, facilitative question kind, stuck after days, outcome
    ("Lead", 10, "initial_outreach", 14, "open"),
    ("Qualified", 25, "qualifying", 14, "open"),
    ("Solution development", 50, "solution_development", 21, "open"),
    ("Evaluation", 70, "evaluation_check_in", 30, "open"),
    ("Decision", 85, "decision", 14, "open"),
    ("Won", 100, "", None, "won"),
    ("Lost", 0, "", None, "lost"),
]


def add_default_pipeline(apps, schema_editor):
    pipeline_model = apps.get_model("pipeline", "Pipeline")
    stage_model = apps.get_model("pipeline", "Stage")
    if pipeline_model.objects.filter(is_default=True).exists():
        return
    pipeline = pipeline_model.objects.create(name="Standard", is_default=True)
    stage_model.objects.bulk_create(
        stage_model(
            pipeline=pipeline,
            name=name,
            position=position,
            probability=probability,
            question_kind=kind,
            stuck_after_days=stuck,
            outcome=outcome,
        )
        for position, (name, probability, kind, stuck, outcome) in enumerate(DEFAULT_STAGES)
    )


def remove_default_pipeline(apps, schema_editor):
    apps.get_model("pipeline", "Pipeline").objects.filter(name="Standard", is_default=True).delete()


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0001_initial")]
    operations = [migrations.RunPython(add_default_pipeline, remove_default_pipeline)]
