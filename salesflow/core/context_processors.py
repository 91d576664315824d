from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from salesflow.core import selectors
from salesflow.core.audit.views import can_read_audit
from salesflow.core.webhooks.access import can_manage_webhooks


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool


# Where sales ops and admins configure the process, in the admin: each of these both staff
# roles may view (salesflow.core.permissions.SALES_OPS; an admin may do anything).
ADMIN_PAGES = [
    ("Pipelines and stages", "admin:pipeline_pipeline_changelist"),
    ("Close reasons", "admin:pipeline_closereason_changelist"),
    ("Patience rules", "admin:pipeline_patiencerule_changelist"),
    ("Question library", "admin:prospects_facilitativequestion_changelist"),
    ("Kinds of SOE step", "admin:pipeline_stepkind_changelist"),
    ("Edit SOE templates", "admin:pipeline_soetemplate_changelist"),
    ("Segments", "admin:prospects_segment_changelist"),
    ("Lead sources", "admin:prospects_leadsource_changelist"),
    ("Teams", "admin:core_team_changelist"),
    ("People", "admin:core_user_changelist"),
    ("Everything in the admin", "admin:index"),
]


def navigation(request: HttpRequest) -> dict[str, object]:
    """The main navigation for the signed-in user's role: the pages everyone works in on
    the bar, and for sales ops and admins the pages that configure the process in one
    "Configure" menu, so the bar stays one line wide (at 1280 px) for every role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "configure_groups": []}
    path = request.path
    accounts_url = reverse("prospects:account_list")
    deals_url = reverse("pipeline:deal_table")
    items = [
        NavItem("Home", reverse("home"), path == reverse("home")),
        NavItem("Accounts", accounts_url, path.startswith(accounts_url)),
        NavItem("Deals", deals_url, path == deals_url),
        NavItem("Board", reverse("pipeline:board"), path.startswith("/board/")),
        NavItem("Reviews", reverse("reviews:list"), path.startswith(reverse("reviews:list"))),
    ]
    admin_url = reverse("admin:index")
    configure: list[tuple[str, list[NavItem]]] = []
    # Who oversees others' work gets the dashboard of their figures (a rep's is their own:
    # pipeline.dashboard.scope.sees_own_only reads the same predicate).
    if user.oversees_others:
        dashboard_url = reverse("pipeline:dashboard")
        items.append(NavItem("Dashboard", dashboard_url, path.startswith(dashboard_url)))
        # Managers and sales ops compare the SOE templates with how buyers really went.
        templates_url = reverse("pipeline:soe_templates")
        templates = NavItem("SOE templates", templates_url, path.startswith(templates_url))
        if user.is_staff:
            configure.append(("", [templates]))
        else:
            items.append(templates)
    if can_manage_webhooks(user):
        webhooks_url = reverse("webhooks:list")
        webhooks = NavItem("Webhooks", webhooks_url, path.startswith(webhooks_url))
        configure.append(("Connections", [webhooks]))
    if can_read_audit(user):
        audit_url = reverse("audit:log")
        audit = NavItem("Audit history", audit_url, path.startswith(audit_url))
        configure.append(("Oversight", [audit]))
    if user.is_staff:
        admin_pages = [
            NavItem(label, reverse(name), path == reverse(name)) for label, name in ADMIN_PAGES
        ]
        configure.append(("In the admin", admin_pages))
    return {
        "nav_items": items,
        # (heading, links) groups of the "Configure" menu, a divider between groups.
        "configure_groups": configure,
        "configure_active": bool(configure)
        and (
            path.startswith(admin_url)
            or any(item.active for _, group in configure for item in group)
        ),
        # Lazy: pages that never show the navigation (htmx fragments) pay no query for it.
        "unread_notifications": SimpleLazyObject(
            lambda: selectors.unread_notification_count(user=user)
        ),
    }
