from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    """Plusses/deltas reviews of the sales process: part of the pipeline, an app of its own
    for its tables."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "pipeline.reviews"
    label = "reviews"
    verbose_name = "Plusses/deltas reviews"

    def ready(self) -> None:
        from django.db.models import Count

        from pipeline.reviews import api, panels, privacy
        from pipeline.reviews.models import Review
        from prospects.privacy.holders import HOLDERS
        from salesflow.core.panels import HOME
        from salesflow.core.webhooks.events import register_representation

        # "review.finished" carries the review as the API lists it: never an item's author.
        register_representation(
            Review,
            api.ReviewListSerializer,
            queryset=lambda: Review.objects.select_related("facilitator").annotate(
                people=Count("participants", distinct=True)
            ),
        )
        HOME.register(panels.home)
        HOLDERS.register("reviews", export=privacy.export, erase=privacy.erase)
