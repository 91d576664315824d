"""Writes of saved views and column choices. Each validates before saving; only the owner
changes a view (the views ask access.get_saved_view_for_user(for_edit=True) first)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import QueryDict

from salesflow.core.lists.models import QUERY_LENGTH, ListColumns, SavedView
from salesflow.core.lists.spec import LISTS, NOT_FILTERS, ListSpec
from salesflow.core.models import User

NAME_LENGTH = SavedView._meta.get_field("name").max_length


def _spec(list_key: str) -> ListSpec:
    try:
        return LISTS[list_key]
    except KeyError:
        raise ValidationError("There is no such list.") from None


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "Give the view a name."})
    if len(name) > NAME_LENGTH:
        raise ValidationError({"name": f"Keep the name to {NAME_LENGTH} characters."})
    return name


def view_query(query: str) -> str:
    """The filters and sort of an address's query, without its page, columns or view."""
    kept = QueryDict(query, mutable=True)
    for key in NOT_FILTERS - {"sort"}:
        kept.pop(key, None)
    text = kept.urlencode()
    if len(text) > QUERY_LENGTH:
        raise ValidationError("These filters are too long to keep as a view.")
    return text


def _unique_name(owner: User, list_key: str, name: str, *, but: SavedView | None = None) -> None:
    clash = SavedView.objects.filter(owner=owner, list_key=list_key, name=name)
    if but is not None:
        clash = clash.exclude(pk=but.pk)
    if clash.exists():
        raise ValidationError({"name": "You already have a view of that name."})


def _share_team(actor: User, share: bool) -> int | None:
    if not share:
        return None
    if actor.team_id is None:
        raise ValidationError("You are in no team, so there is no one to share a view with.")
    return actor.team_id


@transaction.atomic
def saved_view_save(
    *,
    actor: User,
    list_key: str,
    name: str,
    query: str,
    columns: Iterable[str],
    share: bool = False,
    make_default: bool = False,
) -> SavedView:
    """Keep the list's current filters, sort and columns under a name."""
    spec = _spec(list_key)
    name = _clean_name(name)
    _unique_name(actor, list_key, name)
    view = SavedView(
        owner=actor,
        list_key=list_key,
        name=name,
        query=view_query(query),
        columns=spec.clean_columns(columns),
        team_id=_share_team(actor, share),
    )
    try:
        with transaction.atomic():
            view.save()
    except IntegrityError:  # the same name saved at the same moment from another tab
        raise ValidationError({"name": "You already have a view of that name."}) from None
    if make_default:
        saved_view_make_default(actor=actor, view=view)
    return view


@transaction.atomic
def saved_view_rename(*, actor: User, view: SavedView, name: str) -> SavedView:
    name = _clean_name(name)
    _unique_name(actor, view.list_key, name, but=view)
    view.name = name
    view.save(update_fields=["name", "updated_at"])
    return view


@transaction.atomic
def saved_view_share(*, actor: User, view: SavedView, share: bool) -> SavedView:
    """Share the view with the owner's team, or take it back to private."""
    view.team_id = _share_team(actor, share)
    view.save(update_fields=["team", "updated_at"])
    return view


@transaction.atomic
def saved_view_make_default(*, actor: User, view: SavedView, default: bool = True) -> SavedView:
    """Make the view the one the owner's list opens with (the previous default stops being
    one), or stop it being the default."""
    if default:
        SavedView.objects.filter(owner=actor, list_key=view.list_key, is_default=True).exclude(
            pk=view.pk
        ).update(is_default=False)
    view.is_default = default
    view.save(update_fields=["is_default", "updated_at"])
    return view


@transaction.atomic
def saved_view_delete(*, actor: User, view: SavedView) -> None:
    view.delete()


@transaction.atomic
def list_columns_choose(*, actor: User, list_key: str, columns: Iterable[str]) -> list[str]:
    """Keep the person's columns for the list (unknown keys dropped; none: the defaults)."""
    spec = _spec(list_key)
    chosen = spec.clean_columns(columns)
    ListColumns.objects.update_or_create(
        user=actor, list_key=list_key, defaults={"columns": chosen}
    )
    return chosen
