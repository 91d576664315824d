"""Who sees and edits what someone owns (accounts, deals), for every app: a rep sees their
team's records and edits their own; a manager edits the team's; sales ops and admins see and
edit all. A user in no team sees only their own.

Each app's access.py builds on these (prospects.access, pipeline.deals.access); the role
predicates they read are on the user (salesflow.core.models.User).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeVar

from django.db.models import Model, QuerySet

from salesflow.core.models import Team, User

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Reach:
    """Whose records a user sees: everyone's, one team's, or only their own. The one answer
    behind the records a user sees (owned_visible_to), the people and teams their filters
    offer, and the key of the dashboard's kept figures (pipeline.dashboard.scope)."""

    whose: Literal["all", "team", "own"]
    pk: int | None = None  # the team's (team) or the user's (own)

    @classmethod
    def own(cls, user: User) -> Reach:
        return cls("own", user.pk)

    @property
    def key(self) -> str:
        """ "all", "team-<pk>" or "own-<pk>": the same for exactly the users who see the same
        records."""
        return self.whose if self.whose == "all" else f"{self.whose}-{self.pk}"

    def owned(self, queryset: QuerySet[M]) -> QuerySet[M]:
        """The records in reach, of a model with an `owner`."""
        if self.whose == "own":
            return queryset.filter(owner_id=self.pk)
        if self.whose == "team":
            return queryset.filter(owner__team_id=self.pk)
        return queryset

    def people(self) -> QuerySet[User]:
        """The people whose records are in reach: the active ones, or the user alone."""
        if self.whose == "own":
            return User.objects.filter(pk=self.pk)
        if self.whose == "team":
            return User.objects.filter(team_id=self.pk, is_active=True)
        return User.objects.filter(is_active=True)

    def teams(self) -> QuerySet[Team]:
        """The teams whose records are in reach: all of them, the user's, or none."""
        if self.whose == "own":
            return Team.objects.none()
        if self.whose == "team":
            return Team.objects.filter(pk=self.pk)
        return Team.objects.all()


def reach_of(user: User) -> Reach:
    if user.sees_everything:
        return Reach("all")
    if user.team_id is None:
        return Reach.own(user)
    return Reach("team", user.team_id)


def owned_visible_to(queryset: QuerySet[M], user: User) -> QuerySet[M]:
    return reach_of(user).owned(queryset)


def owned_editable_by(queryset: QuerySet[M], user: User) -> QuerySet[M]:
    """The same rule as can_edit_owned, as a queryset."""
    visible = owned_visible_to(queryset, user)
    if user.sees_everything or user.is_manager:
        return visible
    return visible.filter(owner=user)


def can_edit_owned(user: User, owner: User) -> bool:
    if user.sees_everything or owner.pk == user.pk:
        return True
    return user.is_manager_of(owner.team_id)
