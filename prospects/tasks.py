from celery import shared_task

from prospects import services


# Safe to deliver twice: the service claims the import with a guarded queued -> running update.
@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1700)
def run_account_import(import_id: int) -> None:
    services.account_import_run(import_id=import_id)
