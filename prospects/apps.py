from django.apps import AppConfig


class ProspectsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "prospects"

    def ready(self) -> None:
        # Celery's autodiscovery imports each app's tasks module only; the import's task
        # lives in its package, so the worker learns it here.
        from prospects import lists  # noqa: F401  (registers the contacts and accounts lists)
        from prospects.api.serializers import AccountSerializer, ContactSerializer
        from prospects.importing import tasks  # noqa: F401
        from prospects.models import Account, Contact
        from prospects.privacy import audited, held
        from prospects.privacy.holders import HOLDERS
        from prospects.search import own_kinds
        from salesflow.core import backup
        from salesflow.core.webhooks.events import register_representation

        # prospects' own holder first: the apps built on it add theirs in their ready().
        HOLDERS.register("prospects", export=held.export, erase=held.erase)
        # The audit history last, after every other holder's writes have been recorded.
        HOLDERS.register("audit", export=audited.export, erase=audited.erase, closing=True)
        # Search finds prospects' own kinds; pipeline adds its kinds in its ready().
        own_kinds.register()
        # Webhooks carry what the API shows of an account or a contact.
        register_representation(
            Account,
            AccountSerializer,
            queryset=lambda: Account.objects.select_related("owner", "segment", "lead_source"),
        )
        register_representation(Contact, ContactSerializer)
        # restore prints how many of these it brought back.
        backup.summarise("prospects.Account", "prospects.Contact", "prospects.Conversation")
