"""The dashboard's coaching figures: per rep, over the period, conversations logged and
follow-ups surfaced, done, dismissed and surfaced early on purpose; now, stuck deals and
"happy ears" (deals in commit stages the evidence does not carry). And one rep's coaching
view: those figures with the deals and follow-ups behind them."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from pipeline.dashboard.scope import Scope
from pipeline.dashboard.sql import OPEN, OPEN_NOW
from pipeline.deals.models import Opportunity
from pipeline.deals.selectors import current_why_text, found_stuck_condition, with_activity
from pipeline.followups.models import FollowUp
from pipeline.soe.models import Sequence as SoeSequence
from prospects.models import READINESS_QUESTIONS, Answer, Conversation
from salesflow.core.models import User


def happy_ears_condition() -> Q:
    """Deals in commit stages whose evidence does not support the stage: the prospect has not
    said yes to all three reflection questions, or has not received an SOE keenly."""
    answers_missing = Q()
    for name, _ in READINESS_QUESTIONS:
        answers_missing |= ~Q(**{f"account__{name}": Answer.YES})
    return Q(
        stage__outcome=OPEN,
        stage__probability__gte=settings.SALESFLOW_COMMIT_PROBABILITY,
    ) & (answers_missing | Q(soe__isnull=True) | ~Q(soe__reception=SoeSequence.Reception.KEEN))


def happy_ears_flags(deal: Opportunity) -> list[str]:
    """Why a deal was flagged, from fields already loaded with it."""
    flags = [
        f"{question}: {getattr(deal.account, f'get_{name}_display')()}"
        for name, question in READINESS_QUESTIONS
        if getattr(deal.account, name) != Answer.YES
    ]
    soe = getattr(deal, "soe", None)
    if soe is None:
        flags.append("No SOE")
    elif soe.reception != SoeSequence.Reception.KEEN:
        flags.append(f"SOE: {soe.get_reception_display().lower()}")
    return flags


def coaching(scope: Scope, *, rep: User | None = None) -> list[dict[str, object]]:
    """Per rep (or for one), over the period: conversations logged, follow-ups surfaced, done
    and dismissed, patience broken (surfaced early on purpose); now: stuck deals and happy
    ears."""
    people = list(scope.people if rep is None else scope.people.filter(pk=rep.pk))
    ids = [person.pk for person in people]
    # One grouped query per table, each a single pass, merged by person below.
    talks = dict(
        Conversation.objects.filter(
            scope.during("occurred_at"), logged_by__in=ids, **scope.account_lookups
        )
        .order_by()
        .values_list("logged_by")
        .annotate(Count("pk"))
    )
    surfaced, closed = scope.during("surfaced_at"), scope.during("closed_at")
    follow_ups = {
        row.pop("owner"): row
        for row in FollowUp.objects.filter(owner__in=ids, **scope.account_lookups)
        .order_by()
        .values("owner")
        .annotate(
            surfaced=Count("pk", filter=surfaced),
            done=Count("pk", filter=closed & Q(status=FollowUp.Status.DONE)),
            dismissed=Count("pk", filter=closed & Q(status=FollowUp.Status.DISMISSED)),
            patience_broken=Count("pk", filter=surfaced & ~Q(surfaced_early_reason="")),
        )
    }
    deals = {
        row.pop("owner"): row
        for row in scope.deals.filter(OPEN_NOW, owner__in=ids)
        .order_by()
        .values("owner")
        .annotate(
            # As the daily stuck check recorded it (less the deals marinating since, as
            # Today shows it): working the rule out live for every open deal costs more
            # than the rest of the dashboard together.
            stuck=Count("pk", filter=found_stuck_condition(now=timezone.now())),
            happy_ears=Count("pk", filter=happy_ears_condition()),
        )
    }
    nothing = {"surfaced": 0, "done": 0, "dismissed": 0, "patience_broken": 0}
    return [
        {
            "rep_id": person.pk,
            "rep": person.get_full_name() or person.username,
            "conversations": talks.get(person.pk, 0),
            **follow_ups.get(person.pk, nothing),
            **deals.get(person.pk, {"stuck": 0, "happy_ears": 0}),
        }
        for person in sorted(people, key=lambda person: person.username)
    ]


@dataclass
class RepCoaching:
    rep: User
    figures: dict[str, object]
    stuck: list[Opportunity]
    broken: list[FollowUp]
    happy_ears: list[tuple[Opportunity, list[str]]]


def rep_coaching(scope: Scope, rep: User, *, limit: int = 50) -> RepCoaching:
    """One rep's coaching view: their figures, and the deals and follow-ups behind them."""
    deals = scope.deals.filter(OPEN_NOW, owner=rep)
    stuck = list(
        with_activity(deals.filter(found_stuck_condition(now=timezone.now())))
        .select_related("account", "stage")
        .annotate(why_text=current_why_text())
        .order_by("stuck_since", "pk")[:limit]
    )
    broken = list(
        FollowUp.objects.filter(scope.during("surfaced_at"), owner=rep, **scope.account_lookups)
        .exclude(surfaced_early_reason="")
        .select_related("account")
        .order_by("-surfaced_at", "-pk")[:limit]
    )
    happy = list(
        deals.filter(happy_ears_condition())
        .select_related("account", "stage", "soe")
        .order_by("-stage__probability", "pk")[:limit]
    )
    figures = next(iter(coaching(scope, rep=rep)), {})
    return RepCoaching(
        rep=rep,
        figures=figures,
        stuck=stuck,
        broken=broken,
        happy_ears=[(deal, happy_ears_flags(deal)) for deal in happy],
    )
