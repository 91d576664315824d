from celery import shared_task

from prospects.importing import services
from prospects.importing.services import IMPORT_TIME_LIMIT


# The name it had as prospects.tasks.run_account_import: an import queued by the release
# before this module moved is still run by a worker of this one. Registered with the worker
# by ProspectsConfig.ready() (Celery discovers only each app's own tasks module).
# acks_late: if the worker dies, the broker delivers the task again and the service
# reclaims the abandoned import; a duplicate delivery of a live import claims nothing.
@shared_task(
    name="prospects.tasks.run_account_import",
    acks_late=True,
    time_limit=IMPORT_TIME_LIMIT,
    soft_time_limit=IMPORT_TIME_LIMIT - 100,
)
def run_account_import(import_id: int) -> None:
    services.account_import_run(import_id=import_id)
