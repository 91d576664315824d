from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _add_sqlite_functions(sender: object, connection: object, **kwargs: object) -> None:
    """SQLite has no percentile_cont; give it one, so the dashboard works on a quick local
    run too (PostgreSQL has its own)."""
    if connection.vendor == "sqlite":  # type: ignore[attr-defined]
        from pipeline.dashboard import SqlitePercentile

        connection.connection.create_aggregate(  # type: ignore[attr-defined]
            "salesflow_percentile", 2, SqlitePercentile
        )


class PipelineConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pipeline"

    def ready(self) -> None:
        connection_created.connect(_add_sqlite_functions, dispatch_uid="salesflow-percentile")
