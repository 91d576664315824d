from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from salesflow.core import selectors


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool


def navigation(request: HttpRequest) -> dict[str, object]:
    """The main navigation for the signed-in user's role; later features add their entries."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    path = request.path
    accounts_url = reverse("prospects:account_list")
    items = [
        NavItem("Home", reverse("home"), path == reverse("home")),
        NavItem("Accounts", accounts_url, path.startswith(accounts_url)),
        NavItem("Board", reverse("pipeline:board"), path.startswith("/board/")),
        NavItem("Reviews", reverse("reviews:list"), path.startswith(reverse("reviews:list"))),
    ]
    if user.role != user.Role.REP:
        dashboard_url = reverse("pipeline:dashboard")
        items.append(NavItem("Dashboard", dashboard_url, path.startswith(dashboard_url)))
        # Managers and sales ops compare the SOE templates with how buyers really went.
        templates_url = reverse("pipeline:soe_templates")
        items.append(NavItem("SOE templates", templates_url, path.startswith(templates_url)))
    if user.is_staff:
        admin_url = reverse("admin:index")
        items.append(NavItem("Admin", admin_url, path.startswith(admin_url)))
    return {
        "nav_items": items,
        # Lazy: pages that never show the navigation (htmx fragments) pay no query for it.
        "unread_notifications": SimpleLazyObject(
            lambda: selectors.unread_notification_count(user=user)
        ),
    }
