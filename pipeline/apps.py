from django.apps import AppConfig


class PipelineConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pipeline"

    def ready(self) -> None:
        # pipeline builds on prospects: it tells prospects its rule, prospects never asks.
        from pipeline.deals.selectors import won_deal_keeps_a_customer
        from prospects.services import STATUS_RULES

        if won_deal_keeps_a_customer not in STATUS_RULES:
            STATUS_RULES.append(won_deal_keeps_a_customer)
