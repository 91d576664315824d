from django.apps import AppConfig


class CoreConfig(AppConfig):
    """People, teams and the plumbing every salesflow app stands on."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "salesflow.core"
    label = "core"
    verbose_name = "People and system"

    def ready(self) -> None:
        # The token's scheme: drf-spectacular learns it only from an imported extension.
        from salesflow.core.apitokens import schema  # noqa: F401
        from salesflow.core.audit import context as audit_context

        # Connects the receiver that marks, at sign-in, a session that owes the second step.
        from salesflow.core.twofactor import session  # noqa: F401

        # Background jobs' writes are recorded in the audit history as done by the job.
        audit_context.connect_celery()
