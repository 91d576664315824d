"""Who may use and change saved views: the owner does anything with theirs; the members of
the team a view is shared with may open it. Anyone else gets 404 (a view's id reveals
nothing); a teammate asking to change a shared view gets 403."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from salesflow.core.fields import whole_number
from salesflow.core.lists.models import SavedView
from salesflow.core.models import User


def saved_views_visible_to(user: User) -> QuerySet[SavedView]:
    reach = Q(owner=user)
    if user.team_id is not None:
        reach |= Q(team_id=user.team_id)
    return SavedView.objects.filter(reach)


def can_change_saved_view(user: User, view: SavedView) -> bool:
    return view.owner_id == user.pk


def get_saved_view_for_user(user: User, pk: object, *, for_edit: bool = False) -> SavedView:
    number = whole_number(pk)
    view = saved_views_visible_to(user).filter(pk=number).first() if number else None
    if view is None:
        raise Http404("No such view.")
    if for_edit and not can_change_saved_view(user, view):
        raise PermissionDenied("Only the person who saved this view may change it.")
    return view
