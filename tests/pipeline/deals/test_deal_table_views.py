"""Saved views and column choices (salesflow.core.lists) on the deals table: kept private or
shared with the team, changed only by their owner, one default per person and list."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from salesflow.core.lists import services
from salesflow.core.lists.models import ListColumns, SavedView

pytestmark = pytest.mark.django_db

TABLE = "/deals/"


def save(client, **fields):
    data = {"name": "Big ones", "query": "status=open&sort=-value", "columns": "name,value"}
    return client.post(reverse("lists:view_create", args=["deals"]), {**data, **fields})


def test_saving_the_current_view_keeps_its_filters_sort_and_columns_and_opens_it(client, rep):
    client.force_login(rep)
    response = save(client, query="status=open&sort=-value&after=abc&view=9&cols=x")
    view = SavedView.objects.get()
    assert (view.owner, view.list_key, view.name) == (rep, "deals", "Big ones")
    # The page's place, the view it came from and the address's columns are not filters.
    assert view.query == "status=open&sort=-value"
    assert view.columns == ["name", "value"]
    assert not view.is_shared
    assert not view.is_default
    assert response.status_code == 302
    opened = client.get(response["Location"])
    state = opened.context["table"].state
    assert state.sort == "-value"
    assert state.view_pk == view.pk
    assert [c.key for c in state.columns] == ["name", "value"]


def test_a_private_view_is_the_owners_alone(client, rep, teammate, manager, outsider):
    client.force_login(rep)
    save(client)
    view = SavedView.objects.get()
    for user in (teammate, manager, outsider):
        client.force_login(user)
        assert client.get(reverse("lists:view_open", args=[view.pk])).status_code == 404
        assert view.name not in client.get(TABLE).content.decode()


def test_a_shared_view_opens_for_the_team_but_only_its_owner_changes_it(
    client, rep, teammate, manager, outsider
):
    client.force_login(rep)
    save(client, share="on")
    view = SavedView.objects.get()
    assert view.team_id == rep.team_id
    for user in (teammate, manager):
        client.force_login(user)
        assert client.get(reverse("lists:view_open", args=[view.pk])).status_code == 302
        assert "Big ones" in client.get(TABLE).content.decode()
        for action, data in (
            ("lists:view_rename", {"name": "Mine now"}),
            ("lists:view_share", {"share": "0"}),
            ("lists:view_default", {"default": "1"}),
            ("lists:view_delete", {}),
        ):
            assert client.post(reverse(action, args=[view.pk]), data).status_code == 403
    client.force_login(outsider)
    assert client.get(reverse("lists:view_open", args=[view.pk])).status_code == 404
    assert client.post(reverse("lists:view_delete", args=[view.pk])).status_code == 404
    view.refresh_from_db()
    assert (view.name, view.is_shared, view.is_default) == ("Big ones", True, False)


def test_the_owner_renames_unshares_makes_default_and_deletes(client, rep):
    client.force_login(rep)
    save(client, share="on")
    view = SavedView.objects.get()
    client.post(reverse("lists:view_rename", args=[view.pk]), {"name": "  Whales  "})
    client.post(reverse("lists:view_share", args=[view.pk]), {"share": "0"})
    client.post(reverse("lists:view_default", args=[view.pk]), {"default": "1"})
    view.refresh_from_db()
    assert (view.name, view.is_shared, view.is_default) == ("Whales", False, True)
    client.post(reverse("lists:view_delete", args=[view.pk]))
    assert not SavedView.objects.exists()


def test_the_default_view_opens_the_bare_table_and_there_is_one_default(client, rep, open_deal):
    open_deal(rep, name="Small", value=1)
    open_deal(rep, name="Large", value=9)
    first = services.saved_view_save(
        actor=rep, list_key="deals", name="A", query="sort=value", columns=[], make_default=True
    )
    second = services.saved_view_save(
        actor=rep, list_key="deals", name="B", query="sort=-value", columns=["name", "stage"]
    )
    services.saved_view_make_default(actor=rep, view=second)
    first.refresh_from_db()
    assert not first.is_default
    client.force_login(rep)
    table = client.get(TABLE).context["table"]
    assert [d.name for d in table.rows] == ["Large", "Small"]
    assert [c.key for c in table.state.columns] == ["name", "stage"]
    assert table.state.view_pk == second.pk


def test_names_are_required_unique_per_person_and_list(rep, teammate):
    services.saved_view_save(actor=rep, list_key="deals", name="Mine", query="", columns=[])
    with pytest.raises(ValidationError):
        services.saved_view_save(actor=rep, list_key="deals", name=" Mine ", query="", columns=[])
    with pytest.raises(ValidationError):
        services.saved_view_save(actor=rep, list_key="deals", name="   ", query="", columns=[])
    with pytest.raises(ValidationError):
        services.saved_view_save(actor=rep, list_key="nope", name="X", query="", columns=[])
    # Someone else may use the same name.
    services.saved_view_save(actor=teammate, list_key="deals", name="Mine", query="", columns=[])


def test_someone_in_no_team_cannot_share(client, rep):
    rep.team = None
    rep.save()
    with pytest.raises(ValidationError):
        services.saved_view_save(
            actor=rep, list_key="deals", name="X", query="", columns=[], share=True
        )
    client.force_login(rep)
    response = save(client, share="on")
    assert response.status_code == 302
    assert not SavedView.objects.exists()


def test_the_column_choice_is_kept_per_person(client, rep, teammate):
    client.force_login(rep)
    url = reverse("lists:columns", args=["deals"])
    response = client.post(url, {"columns": ["value", "owner", "bogus"], "query": "sort=-value"})
    assert response.status_code == 302
    assert "sort=-value" in response["Location"]
    assert ListColumns.objects.get(user=rep).columns == ["name", "value", "owner"]
    keys = [c.key for c in client.get(TABLE).context["table"].state.columns]
    assert keys == ["name", "value", "owner"]
    client.force_login(teammate)
    teammate_keys = [c.key for c in client.get(TABLE).context["table"].state.columns]
    assert teammate_keys != keys
    assert "stage" in teammate_keys
