"""What each role may do in the admin, declared in code so it is reviewed and tested.

Sales ops owns the sales process: later features add their configuration models
(stages, patience rules, question library, templates) to SALES_OPS here.
"""

from __future__ import annotations

from django.contrib.auth.backends import BaseBackend

from salesflow.core.models import User

SALES_OPS: frozenset[str] = frozenset(
    {
        "core.view_user",
        "core.view_team",
        "core.add_team",
        "core.change_team",
    }
    | {
        f"prospects.{action}_{model}"
        for model in ("segment", "leadsource", "facilitativequestion")
        for action in ("view", "add", "change", "delete")
    }
    | {
        f"pipeline.{action}_{model}"
        for model in (
            "pipeline",
            "stage",
            "closereason",
            "stepkind",
            "soetemplate",
            "soetemplatestep",
            "patiencerule",
        )
        for action in ("view", "add", "change", "delete")
    }
    | {"pipeline.view_opportunity", "pipeline.change_opportunity", "pipeline.view_stagechange"}
    # Reviews are run on their own pages; the admin only shows them (never an item's author).
    | {f"reviews.view_{model}" for model in ("review", "item", "action", "phasechange")}
)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    User.Role.SALES_OPS: SALES_OPS,
}

# Roles that may open the admin site at all.
STAFF_ROLES = frozenset({User.Role.SALES_OPS, User.Role.ADMIN})


class RolePermissionBackend(BaseBackend):
    """Grants the permissions of the user's role; it authenticates nobody."""

    def get_all_permissions(self, user_obj: User, obj: object = None) -> set[str]:  # type: ignore[override]
        if not user_obj.is_active or user_obj.is_anonymous:
            return set()
        return set(ROLE_PERMISSIONS.get(user_obj.role, frozenset()))

    def has_perm(self, user_obj: User, perm: str, obj: object = None) -> bool:  # type: ignore[override]
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj: User, app_label: str) -> bool:
        return any(perm.startswith(f"{app_label}.") for perm in self.get_all_permissions(user_obj))
