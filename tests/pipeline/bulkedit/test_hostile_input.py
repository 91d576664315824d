"""Random and hostile input on the bulk form: never a 500, and either a whole job (each
deal with one result, every change recorded) or nothing kept at all."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from pipeline.bulkedit.models import BulkEdit, BulkEditRow
from tests.hostile import OK, fuzz, hostile, ids
from tests.pipeline.hostile import state

pytestmark = pytest.mark.django_db

actions = st.one_of(st.sampled_from(["owner", "move", "close_date", "close_lost"]), hostile)


@fuzz
@given(
    action=actions,
    picked=st.lists(st.one_of(ids, st.just("DEAL")), max_size=5),
    stage=ids,
    owner=ids,
    reason=ids,
    when=hostile,
    note=hostile,
    all_matching=st.sampled_from(["", "1", "on", "x"]),
    query=hostile,
)
def test_bulk_form(
    client, rep, deal, stages, action, picked, stage, owner, reason, when, note, all_matching, query
):
    client.force_login(rep)
    before, jobs = state(), BulkEdit.objects.count()
    picked = [deal.pk if value == "DEAL" else value for value in picked]
    response = client.post(
        reverse("pipeline:deal_bulk"),
        {
            "action": action,
            "ids": picked,
            "stage": stage,
            "owner": owner,
            "reason": reason,
            "expected_close_date": when,
            "note": note,
            "all_matching": all_matching,
            "query": query,
        },
    )
    assert response.status_code in OK
    assert "<script>alert(1)</script>" not in response.content.decode()
    if response.status_code == 302:
        job = BulkEdit.objects.latest("pk")
        assert job.status == "done"
        assert BulkEditRow.objects.filter(job=job).count() == job.total == job.processed
        page = client.get(response["Location"])
        assert page.status_code == 200
    else:
        assert (state(), BulkEdit.objects.count()) == (before, jobs)


@fuzz
@given(show=hostile, after=hostile)
def test_summary_page(client, rep, deal, stages, show, after):
    from pipeline.bulkedit import services

    job = services.bulk_edit_start(
        actor=rep, action="move", params={"stage": stages["Evaluation"].pk}, ids=[deal.pk]
    )
    client.force_login(rep)
    url = reverse("pipeline:deal_bulk_detail", args=[job.pk])
    response = client.get(url, {"show": show, "after": after})
    assert response.status_code == 200
