from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    """Plusses/deltas reviews of the sales process: part of the pipeline, an app of its own
    for its tables."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "pipeline.reviews"
    label = "reviews"
    verbose_name = "Plusses/deltas reviews"

    def ready(self) -> None:
        from pipeline.reviews import panels, privacy
        from prospects.privacy.holders import HOLDERS
        from salesflow.core.panels import HOME

        HOME.register(panels.home)
        HOLDERS.register("reviews", export=privacy.export, erase=privacy.erase)
