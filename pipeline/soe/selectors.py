"""Reads for the Sequence of Events: steps and their history, templates, the letter's
contacts, the calendar feed, and the buying patterns of past deals.

An SOE is seen and edited by whoever may see and edit its deal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
)
from django.utils import timezone

from pipeline.deals.access import opportunities_visible_to
from pipeline.deals.models import Opportunity, Stage
from pipeline.soe.models import CalendarFeed, SoeChange, SoeStep, SoeTemplate
from pipeline.soe.models import Sequence as SoeSequence
from prospects.models import (
    Account,
    Contact,
    Conversation,
)
from salesflow.core.models import User

# --- Sequence of Events ---------------------------------------------------------------


def soe_of(*, opportunity: Opportunity) -> SoeSequence | None:
    return SoeSequence.objects.filter(opportunity=opportunity).first()


def soe_steps(*, sequence: SoeSequence) -> list[SoeStep]:
    return list(
        sequence.steps.select_related(
            "kind", "proposed_by", "responsible_contact", "responsible_user", "source_conversation"
        ).order_by("position", "pk")
    )


def soe_history(*, sequence: SoeSequence, limit: int = 20) -> list[SoeChange]:
    return list(sequence.changes.select_related("by").order_by("-at", "-pk")[:limit])


@dataclass(frozen=True)
class SoeSummary:
    done: int
    total: int
    next_step: SoeStep | None
    slipped: list[SoeStep]


def soe_summary(*, steps: list[SoeStep], today: date | None = None) -> SoeSummary:
    """Progress, the next open step and the slipped ones, from steps already loaded."""
    today = today or timezone.localdate()
    counted = [step for step in steps if step.status != SoeStep.Status.SKIPPED]
    open_steps = [step for step in steps if step.status == SoeStep.Status.OPEN]
    return SoeSummary(
        done=sum(step.status == SoeStep.Status.DONE for step in counted),
        total=len(counted),
        next_step=open_steps[0] if open_steps else None,
        slipped=[s for s in open_steps if s.target_date is not None and s.target_date < today],
    )


def soe_templates_for(*, opportunity: Opportunity) -> list[SoeTemplate]:
    """The account's segment templates first, then the ones for any segment."""
    segment_id = opportunity.account.segment_id
    templates = SoeTemplate.objects.filter(Q(segment_id=segment_id) | Q(segment__isnull=True))
    return list(templates.order_by(F("segment_id").asc(nulls_last=True), "name"))


def soe_contacts(*, opportunity: Opportunity) -> QuerySet[Contact]:
    return Contact.objects.filter(account_id=opportunity.account_id).order_by("name", "pk")


# How many of the account's conversations a step can name as its source.
SOE_CONVERSATION_CHOICES = 50


def soe_conversations(
    *, opportunity: Opportunity, keep: int | None = None
) -> QuerySet[Conversation]:
    """The account's latest conversations, for a step's "from the conversation", and the one
    the step already names (`keep`). Not all of them: a big account has thousands, and each
    would be an <option> in the SOE page's form."""
    latest = (
        Conversation.objects.filter(account_id=opportunity.account_id)
        .order_by("-occurred_at", "-pk")
        .values_list("pk", flat=True)[:SOE_CONVERSATION_CHOICES]
    )
    # The step's own as a second query rather than an OR: PostgreSQL answers "among the
    # latest, or this one" by reading every conversation of every account.
    wanted = latest if keep is None else [*latest, keep]
    return Conversation.objects.filter(pk__in=wanted).order_by("-occurred_at", "-pk")


@dataclass(frozen=True)
class StageSuggestion:
    stage: Stage
    because: SoeStep
    completes: Stage


def stage_suggestion(*, opportunity: Opportunity, steps: list[SoeStep]) -> StageSuggestion | None:
    """When a done step is of a kind that usually completes the deal's current stage,
    suggest the stage after it. Only ever a suggestion: a person moves the deal."""
    if opportunity.is_closed:
        return None
    done = {
        step.kind_id: step for step in steps if step.status == SoeStep.Status.DONE and step.kind_id
    }
    if not done:
        return None
    current = opportunity.stage
    found = next(
        (done[kind.pk] for kind in current.completing_kinds.all() if kind.pk in done), None
    )
    if found is None:
        return None
    following = (
        opportunity.pipeline.stages.exclude(outcome=Stage.Outcome.LOST)
        .filter(Q(position__gt=current.position) | Q(position=current.position, pk__gt=current.pk))
        .order_by("position", "pk")
        .first()
    )
    if following is None:
        return None
    return StageSuggestion(stage=following, because=found, completes=current)


def soe_calendar_steps(*, sequence: SoeSequence) -> QuerySet[SoeStep]:
    return (
        sequence.steps.filter(target_date__isnull=False)
        .exclude(status=SoeStep.Status.SKIPPED)
        .select_related("sequence__opportunity__account")
        .order_by("target_date", "pk")
    )


FEED_DAYS_BACK = 60
FEED_MAX_STEPS = 2000


def calendar_feed_of(*, user: User) -> CalendarFeed | None:
    """The user's feed, if it is on (its token is never readable: only when it was made)."""
    return CalendarFeed.objects.filter(user=user).only("pk", "user_id", "created_at").first()


def feed_steps(*, token: str) -> tuple[User | None, QuerySet[SoeStep]]:
    """The feed's owner and their open dated steps: on deals they own or steps they carry,
    never anyone else's. An unknown or revoked token finds nobody."""
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=CalendarFeed.hash_token(token))
        .first()
    )
    if feed is None or not feed.user.is_active:
        return None, SoeStep.objects.none()
    steps = (
        SoeStep.objects.filter(
            Q(sequence__opportunity__owner=feed.user) | Q(responsible_user=feed.user),
            # Carrying a step never reveals a deal the person may no longer see.
            sequence__opportunity__in=opportunities_visible_to(feed.user),
            status=SoeStep.Status.OPEN,
            # Recent and coming steps: a calendar has no use for ones long overdue. Counted
            # from the owner's today: no one is signed in to a feed's request.
            target_date__gte=timezone.localdate(timezone=feed.user.zone)
            - timedelta(days=FEED_DAYS_BACK),
            sequence__opportunity__closed_at__isnull=True,
        )
        .select_related("sequence__opportunity__account")
        .order_by("target_date", "pk")[:FEED_MAX_STEPS]
    )
    return feed.user, steps


def champion_of(*, account: Account) -> Contact | None:
    """Whom the SOE letter is addressed to: the champion, else the first contact."""
    contacts = Contact.objects.filter(account=account)
    return (
        contacts.filter(buying_role=Contact.BuyingRole.CHAMPION).order_by("name", "pk").first()
        or contacts.order_by("name", "pk").first()
    )


@dataclass(frozen=True)
class KindPattern:
    """How one kind of step really goes for one segment's buyers."""

    kind: str
    done: int
    typical_place: float  # average position among the SOE's steps (1 = first)
    average_slip_days: float | None  # done date minus the first promised date
    late_share: float  # share of those steps done after their first promised date


def buying_patterns(*, user: User, segment_id: int | None) -> list[KindPattern]:
    """Per kind of step, over the done steps of the deals the user may see in a segment:
    the order buyers really take them in, and how far they slip. All aggregated in SQL."""
    steps = SoeStep.objects.filter(
        status=SoeStep.Status.DONE,
        kind__isnull=False,
        sequence__opportunity__in=opportunities_visible_to(user),
        sequence__opportunity__account__segment_id=segment_id,
    )
    slip = ExpressionWrapper(F("done_on") - F("first_target_date"), output_field=DurationField())
    rows = (
        steps.values("kind__name")
        .annotate(
            done=Count("pk"),
            place=Avg(F("position") + 1),
            slip=Avg(slip, filter=Q(first_target_date__isnull=False)),
            late=Count("pk", filter=Q(done_on__gt=F("first_target_date"))),
            promised=Count("pk", filter=Q(first_target_date__isnull=False)),
        )
        .order_by("place", "kind__name")
    )
    return [
        KindPattern(
            kind=row["kind__name"],
            done=row["done"],
            typical_place=round(float(row["place"]), 1),
            average_slip_days=round(row["slip"].total_seconds() / 86400, 1)
            if row["slip"] is not None
            else None,
            late_share=row["late"] / row["promised"] if row["promised"] else 0.0,
        )
        for row in rows
    ]
