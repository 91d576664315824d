from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from pipeline.deals import selectors as deal_selectors
from pipeline.followups import selectors as followup_selectors
from pipeline.reviews import selectors as review_selectors
from salesflow.core import health, selectors, services
from salesflow.core.models import User

HOME_TEMPLATES = {
    User.Role.REP: "core/home_rep.html",
    User.Role.MANAGER: "core/home_manager.html",
    User.Role.SALES_OPS: "core/home_sales_ops.html",
    User.Role.ADMIN: "core/home_admin.html",
}


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    team = selectors.team_of(user=user)
    context: dict[str, object] = {
        "team": team,
        "members": selectors.team_members(team=team).exclude(pk=user.pk),
        "review_actions": review_selectors.open_actions_for(user=user),
        "today": timezone.localdate(),
    }
    if user.role == User.Role.REP:
        context["stuck_deals"] = deal_selectors.stuck_for_owner(user=user)
        context["due_followups"] = followup_selectors.followups_due(user=user)
        context["held_followups"] = followup_selectors.followups_held(user=user)
    if user.role == User.Role.MANAGER:
        context["to_approve"] = followup_selectors.followups_to_approve(user=user)
        context["broken"] = followup_selectors.patience_broken(user=user)
    if user.sees_everything:
        context["teams"] = selectors.teams_overview()
    if user.role == User.Role.ADMIN or user.is_superuser:
        context["worker"] = selectors.worker_status()
    template = HOME_TEMPLATES.get(user.role, HOME_TEMPLATES[User.Role.REP])
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    """What salesflow told the user; opening the page does not mark anything read."""
    if request.method == "POST":
        services.notifications_mark_read(user=request.user)
        return redirect("notifications")
    page = Paginator(selectors.notifications_for(user=request.user), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "core/notifications.html", {"page": page})


@login_not_required
@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages (like the admin's) that name no icon."""
    return redirect(static("favicon.svg"), permanent=True)


@login_not_required
@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Database and broker reachability for load balancers; 503 when either is down."""
    database = health.check_database()
    broker = health.check_broker(
        settings.CELERY_BROKER_URL, settings.CELERY_BROKER_TRANSPORT_OPTIONS
    )
    ok = database.ok and broker.ok
    body: dict[str, object] = {
        "status": "ok" if ok else "unavailable",
        "database": database.as_json(),
        "broker": broker.as_json(),
    }
    if database.ok:
        # Informational: a late heartbeat means background jobs are behind, not that
        # this web process should be taken out of rotation.
        body["worker"] = selectors.worker_status().as_json()
    return JsonResponse(body, status=200 if ok else 503)
