"""Who sees a bulk edit's progress and summary: the person who made it, and sales ops and
admins. Anyone else gets 404, so job numbers reveal nothing."""

from __future__ import annotations

from django.http import Http404

from pipeline.bulkedit.models import BulkEdit
from salesflow.core.fields import whole_number
from salesflow.core.models import User


def get_bulk_edit_for_user(user: User, pk: object) -> BulkEdit:
    jobs = BulkEdit.objects.defer("deal_ids")
    if not user.sees_everything:
        jobs = jobs.filter(actor=user)
    number = whole_number(pk)
    job = jobs.filter(pk=number).first() if number is not None else None
    if job is None:
        raise Http404("No such bulk edit.")
    return job
