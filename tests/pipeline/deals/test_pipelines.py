"""Pipelines and stages: the shipped default, and sales ops reshaping it in the admin."""

from __future__ import annotations

import pytest
from django.db import IntegrityError
from django.urls import reverse

from pipeline.deals.models import Pipeline, Stage
from salesflow.core import services as core_services
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops_client(client):
    client.force_login(core_services.user_create(username="ops", password="x", role="sales_ops"))
    return client


def test_the_default_pipeline_ships_in_buyer_order(standard):
    stages = list(standard.stages.order_by("position"))
    assert [s.name for s in stages] == [
        "Lead",
        "Qualified",
        "Solution development",
        "Evaluation",
        "Decision",
        "Won",
        "Lost",
    ]
    assert [s.probability for s in stages] == [10, 25, 50, 70, 85, 100, 0]
    assert [s.outcome for s in stages][-2:] == ["won", "lost"]
    assert all(not s.is_closed for s in stages[:5])
    assert stages[2].question_kind == "solution_development"
    assert stages[3].stuck_after_days == 30


def test_only_one_pipeline_is_the_default(standard):
    with pytest.raises(IntegrityError):
        Pipeline.objects.create(name="Hospitals", is_default=True)


def stage_rows(pipeline, changes=None, extra=()):
    """The admin's inline form data for a pipeline's stages, with changes by stage name."""
    changes = changes or {}
    rows = []
    for stage in pipeline.stages.order_by("position"):
        row = {
            "id": stage.pk,
            "pipeline": pipeline.pk,
            "position": stage.position,
            "name": stage.name,
            "probability": stage.probability,
            "question_kind": stage.question_kind,
            "stuck_after_days": stage.stuck_after_days or "",
            "outcome": stage.outcome,
        }
        row.update(changes.get(stage.name, {}))
        rows.append(row)
    rows.extend(extra)
    data = {
        "name": pipeline.name,
        "segment": "",
        "is_default": "on" if pipeline.is_default else "",
        "short_letter_below": pipeline.short_letter_below,
        "stages-TOTAL_FORMS": len(rows),
        "stages-INITIAL_FORMS": pipeline.stages.count(),
        "stages-MIN_NUM_FORMS": 0,
        "stages-MAX_NUM_FORMS": 1000,
    }
    for n, row in enumerate(rows):
        for key, value in row.items():
            data[f"stages-{n}-{key}"] = value
    return data


def test_sales_ops_renames_reorders_and_adds_stages_keeping_their_identity(ops_client, standard):
    ids = dict(standard.stages.values_list("name", "pk"))
    data = stage_rows(
        standard,
        changes={"Evaluation": {"name": "Pilot", "position": 1}, "Qualified": {"position": 3}},
        extra=[
            {
                "pipeline": standard.pk,
                "position": 9,
                "name": "Security review",
                "probability": 60,
                "question_kind": "",
                "stuck_after_days": 10,
                "outcome": "open",
            }
        ],
    )
    response = ops_client.post(reverse("admin:pipeline_pipeline_change", args=[standard.pk]), data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    assert Stage.objects.get(pk=ids["Evaluation"]).name == "Pilot"  # same stage, new name
    order = list(standard.stages.order_by("position", "pk").values_list("name", flat=True))
    assert order[:2] == ["Lead", "Pilot"]
    assert "Security review" in order


def test_a_pipeline_needs_open_won_and_lost_stages(ops_client, standard):
    data = stage_rows(standard, changes={"Won": {"DELETE": "on"}})
    response = ops_client.post(reverse("admin:pipeline_pipeline_change", args=[standard.pk]), data)
    assert response.status_code == 200
    assert "missing: Closed: won" in response.content.decode()
    assert standard.stages.filter(outcome="won").exists()


def test_probability_above_100_is_refused(ops_client, standard):
    data = stage_rows(standard, changes={"Lead": {"probability": 150}})
    response = ops_client.post(reverse("admin:pipeline_pipeline_change", args=[standard.pk]), data)
    assert response.status_code == 200
    assert standard.stages.get(name="Lead").probability == 10


def test_reps_cannot_configure_pipelines(client, standard):
    client.force_login(UserFactory(role="rep"))
    response = client.get(reverse("admin:pipeline_pipeline_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
