"""The dashboard's figures kept once worked out: for a few minutes, for everyone who sees the
same deals with the same filters (Scope.cache_key), worked out again on request at most once
a minute, and the shared views (the whole company, each team) worked out again in the
background before they expire (keep_fresh, the body of pipeline.tasks.keep_dashboards_fresh).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from redis.exceptions import RedisError

from pipeline.dashboard import coaching, figures, forecast
from pipeline.dashboard.scope import Scope
from salesflow.core.models import User

logger = logging.getLogger(__name__)

# Every figure of the page, by the name its CSV download uses (see columns.CSV_COLUMNS).
FIGURES: dict[str, Callable[[Scope], Any]] = {
    "totals": forecast.commit_and_best_case,
    "stages": forecast.pipeline_by_stage,
    "months": forecast.forecast_by_month,
    "quarters": forecast.forecast_by_quarter,
    "funnel": figures.funnel,
    "time-in-stage": figures.time_in_stage,
    "outcomes": figures.outcomes,
    "velocity": figures.velocity_trend,
    "segments": figures.segments,
    "soe": figures.soe_health,
    "soe-receptions": figures.win_rate_by_reception,
    "slipped-steps": figures.slipped_steps,
    "readiness": figures.win_rate_by_readiness,
    "lead-sources": figures.lead_sources,
    "coaching": coaching.coaching,
}
# Asking again sooner than this gives the figures already kept: working them out for a whole
# company takes seconds of the database, and a minute changes little.
REFRESH_AFTER = timedelta(minutes=1)


# Kept pickled: moving this class or changing its fields needs a new version in
# Scope.cache_key, or figures kept before the deploy fail to load.
@dataclass(frozen=True)
class Snapshot:
    """The page's figures as worked out at `taken_at`."""

    taken_at: datetime
    figures: dict[str, Any]

    @property
    def age(self) -> timedelta:
        return timezone.now() - self.taken_at

    @property
    def refreshable(self) -> bool:
        return self.age >= REFRESH_AFTER


def get(scope: Scope, *, refresh: bool = False) -> Snapshot:
    """The figures kept for this scope if they are recent enough, else worked out now and
    kept for SALESFLOW_DASHBOARD_KEEP_MINUTES. `refresh` works them out again unless they
    are less than REFRESH_AFTER old."""
    kept = _kept(scope)
    if kept is not None and not (refresh and kept.refreshable):
        return kept
    return _take(scope)


def _kept(scope: Scope) -> Snapshot | None:
    try:
        kept = cache.get(scope.cache_key)
    except RedisError:
        # The cache only saves time: with Redis down (restarting, say) the page works its
        # figures out from the database instead of failing.
        logger.warning("The dashboard's cache is unreachable; working the figures out")
        return None
    return kept if isinstance(kept, Snapshot) else None


def _take(scope: Scope) -> Snapshot:
    taken = Snapshot(
        taken_at=timezone.now(),
        figures={name: figure(scope) for name, figure in FIGURES.items()},
    )
    try:
        cache.set(scope.cache_key, taken, timeout=settings.SALESFLOW_DASHBOARD_KEEP_MINUTES * 60)
    except RedisError:
        logger.warning("The dashboard's cache is unreachable; the figures are not kept")
    return taken


def shared_scopes() -> list[Scope]:
    """The views most often opened and slowest to work out, without filters: the whole
    company (as anyone who sees every deal sees it) and each team (as its manager does)."""
    viewers = User.objects.seeing_everything().filter(is_active=True)
    managers = User.objects.filter(is_active=True, role=User.Role.MANAGER, team__isnull=False)
    scopes: dict[str, Scope] = {}
    for user in [*viewers.order_by("pk")[:1], *managers.order_by("team_id", "pk")]:
        scope = Scope(user=user)
        scopes.setdefault(scope.cache_key, scope)
    return list(scopes.values())


def keep_fresh(*, older_than: timedelta) -> int:
    """Work the shared views out again when their kept figures are missing or older than
    `older_than`, so that whoever opens them finds them ready. Returns how many."""
    worked_out = 0
    for scope in shared_scopes():
        kept = _kept(scope)
        if kept is not None and kept.age < older_than:
            continue
        _take(scope)
        worked_out += 1
    return worked_out


def forget(scope: Scope) -> None:
    """Drop the figures kept for this scope: the next view works them out."""
    try:
        cache.delete(scope.cache_key)
    except RedisError:
        logger.warning("The dashboard's cache is unreachable; nothing kept to forget")
