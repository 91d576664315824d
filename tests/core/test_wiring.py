"""Cross-cutting wiring: every model is in the admin, every scheduled job is a real task."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.contrib import admin

from salesflow.celery import app as celery_app
from salesflow.core.audit.tracking import is_audit_model

OUR_APPS = {"core", "prospects", "pipeline"}


def test_every_salesflow_model_is_registered_in_the_admin():
    # The audit history's event tables are written by triggers and read through the
    # audit selectors (each record's History), never edited as rows of their own.
    models = [
        model
        for model in apps.get_models()
        if model._meta.app_label in OUR_APPS and not is_audit_model(model)
    ]
    assert models
    missing = [model.__name__ for model in models if not admin.site.is_registered(model)]
    assert missing == []


def test_every_beat_entry_names_a_registered_task():
    celery_app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in celery_app.tasks, f"beat entry {name} names an unknown task"


def test_celery_speaks_json_only_and_limits_task_time():
    assert celery_app.conf.accept_content == ["json"]
    assert celery_app.conf.task_serializer == "json"
    assert 0 < celery_app.conf.task_soft_time_limit < celery_app.conf.task_time_limit
    assert celery_app.conf.task_acks_late is False  # switched on per idempotent task only
