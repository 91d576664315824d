from django.apps import AppConfig


class ProspectsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "prospects"

    def ready(self) -> None:
        # Celery's autodiscovery imports each app's tasks module only; the import's task
        # lives in its package, so the worker learns it here.
        from prospects.importing import tasks  # noqa: F401

        # restore prints how many of these it brought back.
        from salesflow.core import backup

        backup.summarise("prospects.Account", "prospects.Contact", "prospects.Conversation")
