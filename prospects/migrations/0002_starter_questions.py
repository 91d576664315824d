"""salesflow's own starter set of facilitative questions; sales ops edits them afterwards."""

from django.db import migrations

STARTER_QUESTIONS = {
    "initial_outreach": [
        "What made you willing to talk today?",
        "How is this handled at the moment, and how do people feel about it?",
        "If nothing changed this year, what would that mean for you?",
    ],
    "qualifying": [
        "What have you already tried, and what happened?",
        "Who else feels this problem, and how do they describe it?",
        "How would you know the problem was solved?",
        "What would have to be true for you to act on this now?",
    ],
    "solution_development": [
        "Which part of what you saw mattered most to you, and why?",
        "Where could you see this not fitting how you work?",
        "How would you explain this to a colleague who wasn't here?",
    ],
    "evaluation_check_in": [
        "How is the evaluation going compared with what you expected?",
        "Has anything changed in why you started looking?",
        "Which step in your plan comes next, and who owns it?",
    ],
    "decision": [
        "What is left between you and a decision?",
        "Who needs to be comfortable before you sign, and are they?",
        "If you decided not to go ahead, what would the reason be?",
    ],
    "other": [
        "What would be most useful to talk about next time?",
    ],
}


def add_questions(apps, schema_editor):
    question = apps.get_model("prospects", "FacilitativeQuestion")
    question.objects.bulk_create(
        question(kind=kind, text=text, position=position)
        for kind, texts in STARTER_QUESTIONS.items()
        for position, text in enumerate(texts)
    )


def remove_questions(apps, schema_editor):
    question = apps.get_model("prospects", "FacilitativeQuestion")
    for kind, texts in STARTER_QUESTIONS.items():
        question.objects.filter(kind=kind, text__in=texts).delete()


class Migration(migrations.Migration):
    dependencies = [("prospects", "0001_initial")]
    operations = [migrations.RunPython(add_questions, remove_questions)]
