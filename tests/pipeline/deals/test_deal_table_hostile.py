"""Random and hostile input on the deals table, its CSV, saved views and the column chooser:
never a 500, nothing half-saved, nothing of the input run as markup."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from salesflow.core.lists.keyset import Cursor
from salesflow.core.lists.models import ListColumns, SavedView
from tests.hostile import OK, fuzz, hostile, ids

pytestmark = pytest.mark.django_db

FILTERS = [
    "owner",
    "team",
    "pipeline",
    "stage",
    "status",
    "segment",
    "lead_source",
    "close_from",
    "close_to",
    "stuck",
    "reception",
    "readiness",
]
sorts = st.one_of(hostile, st.sampled_from(["value", "-value", "-soe", "days_in_stage", "-"]))
# Cursors that decode, with values no sort could hold, beside plain garbage.
cursors = st.one_of(
    hostile,
    st.builds(
        lambda sort, value, pk, shown: Cursor(sort, value, pk, shown).encode(),
        sort=st.sampled_from(["expected_close", "-value", "name", "-created", "soe", "readiness"]),
        value=st.one_of(st.none(), hostile),
        pk=st.integers(min_value=1, max_value=2**63 - 1),
        shown=st.integers(min_value=0, max_value=2**63 - 1),
    ),
)


@fuzz
@given(
    values=st.fixed_dictionaries({name: st.one_of(ids, hostile) for name in FILTERS}),
    sort=sorts,
    after=cursors,
    cols=hostile,
    view=ids,
    htmx=st.booleans(),
)
def test_table_and_csv(client, rep, deal, values, sort, after, cols, view, htmx):
    client.force_login(rep)
    query = {**values, "sort": sort, "after": after, "cols": cols, "view": view}
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.get("/deals/", query, **extra)
    assert response.status_code in OK
    assert "<script>alert(1)</script>" not in response.content.decode()
    export = client.get(reverse("pipeline:deal_table_csv"), query)
    assert export.status_code in OK
    b"".join(export.streaming_content)


@fuzz
@given(
    name=hostile,
    query=hostile,
    columns=hostile,
    share=st.sampled_from(["", "on", "x"]),
    default=st.sampled_from(["", "on"]),
    list_key=st.sampled_from(["deals", "nope", "x" * 60]),
)
def test_saving_a_view(client, rep, name, query, columns, share, default, list_key):
    client.force_login(rep)
    before = SavedView.objects.count()
    response = client.post(
        reverse("lists:view_create", args=[list_key]),
        {
            "name": name,
            "query": query,
            "columns": columns,
            "share": share,
            "make_default": default,
        },
    )
    assert response.status_code in OK
    assert SavedView.objects.count() - before in {0, 1}
    SavedView.objects.all().delete()


@fuzz
@given(name=hostile, share=hostile, default=hostile, columns=st.lists(hostile, max_size=5))
def test_changing_a_view_and_the_columns(client, rep, name, share, default, columns):
    client.force_login(rep)
    view = SavedView.objects.create(owner=rep, list_key="deals", name="Mine", query="sort=value")
    for action, data in (
        ("lists:view_rename", {"name": name}),
        ("lists:view_share", {"share": share}),
        ("lists:view_default", {"default": default}),
    ):
        assert client.post(reverse(action, args=[view.pk]), data).status_code in OK
    view.refresh_from_db()
    assert 1 <= len(view.name) <= 80
    response = client.post(
        reverse("lists:columns", args=["deals"]), {"columns": columns, "query": name}
    )
    assert response.status_code in OK
    assert ListColumns.objects.get(user=rep).columns[0] == "name"
    SavedView.objects.all().delete()


@fuzz
@given(pk=ids)
def test_view_ids(client, rep, pk):
    client.force_login(rep)
    assert client.get(f"/lists/views/{pk}/").status_code in {404}
