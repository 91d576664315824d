from django.apps import AppConfig


class PipelineConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pipeline"

    def ready(self) -> None:
        # pipeline builds on prospects: it tells prospects its rule and listens to what
        # prospects announces; prospects never asks.
        from pipeline import listeners, panels, privacy
        from pipeline import search as pipeline_search
        from pipeline.api import deals as deals_api
        from pipeline.api import followups as followups_api
        from pipeline.api import soe as soe_api
        from pipeline.bulkedit import tasks as bulkedit_tasks  # noqa: F401 - registers its tasks
        from pipeline.deals import (
            account_columns,
            table,  # noqa: F401  (registers the deals list)
        )
        from pipeline.deals import importing as deals_importing
        from pipeline.deals.models import Opportunity
        from pipeline.deals.selectors import won_deal_keeps_a_customer
        from pipeline.followups.models import FollowUp
        from pipeline.followups.selectors import with_due as followups_with_due
        from pipeline.soe.models import SoeStep
        from prospects import signals
        from prospects.panels import ACCOUNT
        from prospects.privacy.holders import HOLDERS
        from prospects.services import STATUS_RULES
        from salesflow.core import backup
        from salesflow.core.panels import HOME, PROFILE
        from salesflow.core.webhooks.events import register_representation

        # Deals are one of the importer's kinds: its upload, mapping screen and worker.
        deals_importing.register()
        # The account list's deal columns (prospects registered the list in its ready()).
        account_columns.register()
        if won_deal_keeps_a_customer not in STATUS_RULES:
            STATUS_RULES.append(won_deal_keeps_a_customer)
        # In this order, as before they were listeners: un-stick the deals, then propose.
        signals.conversation_logged.connect(
            listeners.unstick_deals_after_conversation,
            dispatch_uid="pipeline.unstick_deals_after_conversation",
        )
        signals.conversation_logged.connect(
            listeners.propose_followup_after_conversation,
            dispatch_uid="pipeline.propose_followup_after_conversation",
        )
        signals.account_merged.connect(
            listeners.unstick_deals_after_merge, dispatch_uid="pipeline.unstick_deals_after_merge"
        )
        # Webhooks carry what the API shows of a deal, a step and a follow-up.
        register_representation(
            Opportunity,
            deals_api.DealSerializer,
            queryset=lambda: Opportunity.objects.select_related(
                "account", "owner", "stage", "close_reason"
            ),
        )
        register_representation(
            SoeStep,
            soe_api.StepSerializer,
            queryset=lambda: SoeStep.objects.select_related(
                "sequence", "kind", "proposed_by", "responsible_contact", "responsible_user"
            ),
        )
        register_representation(
            FollowUp,
            followups_api.FollowUpSerializer,
            queryset=lambda: followups_with_due(FollowUp.objects.all()).select_related(
                "account", "opportunity", "owner", "reviewed_by"
            ),
        )
        # Search finds deals, SOE steps and follow-ups beside prospects' kinds.
        pipeline_search.register()
        HOME.register(panels.home)
        ACCOUNT.register(panels.account)
        PROFILE.register(panels.profile)
        HOLDERS.register("pipeline", export=privacy.export, erase=privacy.erase)
        # restore prints how many of these it brought back.
        backup.summarise("pipeline.Opportunity", "pipeline.StageChange", "pipeline.FollowUp")
