from celery import shared_task

from prospects import services
from prospects.services import IMPORT_TIME_LIMIT


# acks_late: if the worker dies, the broker delivers the task again and the service
# reclaims the abandoned import; a duplicate delivery of a live import claims nothing.
@shared_task(acks_late=True, time_limit=IMPORT_TIME_LIMIT, soft_time_limit=IMPORT_TIME_LIMIT - 100)
def run_account_import(import_id: int) -> None:
    services.account_import_run(import_id=import_id)
