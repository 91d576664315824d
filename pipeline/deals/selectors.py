"""Reads for pipelines, deals, the board and stuck deals. Who may open or change a deal is
pipeline.deals.access; these read only what the user may see (opportunities_visible_to).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Greatest, RowNumber, TruncDate
from django.utils import timezone

from pipeline.appointments.models import Appointment
from pipeline.deals.access import can_edit_opportunity, opportunities_visible_to
from pipeline.deals.models import (
    CloseReason,
    DealContact,
    Opportunity,
    Pipeline,
    Stage,
    StageChange,
)
from pipeline.followups.models import FollowUp
from pipeline.soe.models import SoeChange
from prospects.models import (
    READINESS_QUESTIONS,
    Account,
    Answer,
    Contact,
    Conversation,
    WhyNote,
)
from salesflow.core.models import User

# A column's first cards, and how many more each "show more" brings: a screen shows a
# handful, and every card costs a fraction of a millisecond to render on every board view.
CARDS_PER_COLUMN = 25
# Cards in a column: the soonest expected close first (deals without a date last).
CARD_ORDER = [F("expected_close_date").asc(nulls_last=True), F("pk").asc()]


def pipelines() -> QuerySet[Pipeline]:
    return Pipeline.objects.all()


def default_pipeline_for(account: Account) -> Pipeline | None:
    """The account's segment pipeline if sales ops made one, else the default pipeline."""
    candidates = Pipeline.objects.filter(Q(segment_id=account.segment_id) | Q(is_default=True))
    if account.segment_id is None:
        candidates = candidates.filter(is_default=True)
    return candidates.order_by(F("segment_id").asc(nulls_last=True), "name").first()


def open_stages(*, pipeline: Pipeline) -> list[Stage]:
    return list(pipeline.stages.filter(outcome=Stage.Outcome.OPEN).order_by("position", "pk"))


# --- Activity and stuck deals ----------------------------------------------------------


def with_activity(opportunities: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    """Annotate when the deal entered its stage and when anything last happened to it.

    All come from history rows (the latest StageChange, the account's latest
    conversation, the SOE's latest change), read through their newest-first indexes, one
    lookup each per deal.
    """
    entered = (
        StageChange.objects.filter(opportunity=OuterRef("pk"))
        .order_by("-at", "-pk")
        .values("at")[:1]
    )
    conversed = (
        Conversation.objects.filter(account=OuterRef("account_id"))
        .order_by("-occurred_at", "-pk")
        .values("occurred_at")[:1]
    )
    # A change to the SOE counts (a step added, moved, done); a step that merely sits
    # past its date does not.
    soe_changed = (
        SoeChange.objects.filter(sequence__opportunity=OuterRef("pk"))
        .order_by("-at")
        .values("at")[:1]
    )
    return opportunities.annotate(
        stage_entered_at=Coalesce(Subquery(entered), F("created_at")),
        last_conversation_at=Subquery(conversed),
        last_soe_change_at=Subquery(soe_changed),
    ).annotate(
        # PostgreSQL's GREATEST skips NULLs (a deal with no conversation or SOE change yet),
        # and stage_entered_at is never NULL (it falls back to created_at), so neither is this.
        last_activity_at=Greatest(
            F("stage_entered_at"), F("last_conversation_at"), F("last_soe_change_at")
        )
    )


def idle_condition(stages: list[Stage], *, now: datetime) -> Q:
    """Deals idle for longer than their stage allows; needs the with_activity annotations.

    One cutoff per stage, worked out here and picked by the deal's stage, so the test is a
    single comparison that every database runs the same way: one comparison per stage,
    OR-ed, would have PostgreSQL work a deal's last activity out once for each stage.
    Idle is not yet stuck: see stuck_condition.
    """
    cutoffs = [
        When(stage_id=stage.pk, then=Value(now - timedelta(days=stage.stuck_after_days)))
        for stage in stages
        if stage.stuck_after_days and stage.outcome == Stage.Outcome.OPEN
    ]
    if not cutoffs:
        return Q(pk__in=[])
    # A stage with no cutoff gives NULL, and nothing is less than NULL: never stuck.
    return Q(last_activity_at__lt=Case(*cutoffs, default=None, output_field=DateTimeField()))


def stuck_condition(stages: list[Stage], *, now: datetime) -> Q:
    """THE rule for a stuck deal, worked out live: idle for longer than its stage allows,
    not marinating (no follow-up held back on purpose for it) and with no appointment
    planned with the prospect still to come. The board's cards, the
    deal page and the daily check (which records its finding in stuck_since, for Today and
    the coaching figures: see found_stuck_condition) all apply this one. Needs the
    with_activity annotations."""
    return (
        idle_condition(stages, now=now)
        & ~Exists(_marinating(now))
        & ~Exists(_appointment_ahead(now))
    )


def found_stuck_condition(*, now: datetime) -> Q:
    """The daily check's finding as it stands now: what it found stuck (stuck_since), less
    the deals marinating since or with an appointment planned since. Activity clears the
    finding at once (services.opportunities_unstick), and so does holding a follow-up back
    for the deal; a follow-up held some other way (or a deal that turned stuck since the
    morning's check) waits for the next check, while this keeps Today and the coaching
    figures right."""
    return (
        Q(stuck_since__isnull=False) & ~Exists(_marinating(now)) & ~Exists(_appointment_ahead(now))
    )


def as_flag(condition: Q) -> Case:
    return Case(
        When(condition, then=Value(True)), default=Value(False), output_field=BooleanField()
    )


def stuck_opportunities(
    opportunities: QuerySet[Opportunity], *, now: datetime | None = None
) -> QuerySet[Opportunity]:
    now = now or timezone.now()
    stages = list(Stage.objects.filter(outcome=Stage.Outcome.OPEN, stuck_after_days__isnull=False))
    return with_activity(opportunities.filter(closed_at__isnull=True)).filter(
        stuck_condition(stages, now=now)
    )


def _marinating(now: datetime) -> QuerySet[FollowUp]:
    """The follow-ups that make a deal marinating, not stuck: held back on purpose, their
    time not yet come. Asked per deal through the follow-ups' deal index, not as one list
    of every deal with a held follow-up (tens of thousands of rows read to exclude a few)."""
    return FollowUp.objects.filter(
        opportunity=OuterRef("pk"), status=FollowUp.Status.HELD, surface_at__gt=now
    )


def _appointment_ahead(now: datetime) -> QuerySet[Appointment]:
    """A planned appointment on the deal still to come: the prospect has agreed to a time,
    so the deal is moving even if nothing was logged lately. Asked per deal through the
    appointments' partial (deal, start) index."""
    return Appointment.objects.filter(
        opportunity=OuterRef("pk"), status=Appointment.Status.PLANNED, starts_at__gt=now
    )


def marinating_until(*, now: datetime) -> Subquery:
    """When the deal's first held follow-up surfaces (NULL: not marinating), as an
    annotation: what the board's cards and the deal page say instead of "Stuck"."""
    return Subquery(_marinating(now).order_by("surface_at").values("surface_at")[:1])


def current_why_text() -> Subquery:
    """The deal's account's current why, as an annotation."""
    return Subquery(
        WhyNote.objects.filter(account=OuterRef("account_id"))
        .order_by("-created_at", "-pk")
        .values("text")[:1]
    )


def stuck_for_owner(*, user: User, limit: int = 20) -> list[Opportunity]:
    """The user's deals the stuck check found, longest stuck first, each with its last
    activity and its account's current why.

    The check's finding, not the rule worked out live: for a rep with thousands of open
    deals that means every deal's last activity, at every visit. found_stuck_condition
    says how the finding is kept right between checks.
    """
    return list(
        with_activity(
            Opportunity.objects.filter(
                found_stuck_condition(now=timezone.now()), owner=user, closed_at__isnull=True
            )
        )
        .select_related("account", "stage")
        .annotate(why_text=current_why_text())
        .order_by("stuck_since", "pk")[:limit]
    )


# --- The board ------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardFilters:
    owner: int | None = None
    team: int | None = None
    segment: int | None = None
    lead_source: int | None = None

    def apply(self, opportunities: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
        lookups = {
            "owner_id": self.owner,
            "owner__team_id": self.team,
            "account__segment_id": self.segment,
            "lead_source_id": self.lead_source,
        }
        return opportunities.filter(**{key: value for key, value in lookups.items() if value})


@dataclass
class Column:
    stage: Stage
    count: int = 0
    totals: list[tuple[str, Decimal]] = field(default_factory=list)  # (currency, value)
    cards: list[Opportunity] = field(default_factory=list)

    @property
    def has_more(self) -> bool:
        return self.count > len(self.cards)


def board_opportunities(
    *, user: User, pipeline: Pipeline, filters: BoardFilters
) -> QuerySet[Opportunity]:
    visible = opportunities_visible_to(user).filter(pipeline=pipeline, closed_at__isnull=True)
    return filters.apply(visible)


CARD_FIELDS = (
    "name",
    "value",
    "currency",
    "expected_close_date",
    "stage__name",
    "account__name",
    "owner__username",
    "owner__first_name",
    "owner__last_name",
    "owner__team",
)


def _cards(
    opportunities: QuerySet[Opportunity], stages: list[Stage], *, user: User
) -> list[Opportunity]:
    """Full card data for the given deals: days in stage, the stuck flag (or until when the
    deal marinates), and whether the user may move it (from the owner already fetched, so
    no query per card)."""
    now = timezone.now()
    cards = list(
        with_activity(opportunities)
        .select_related("account", "owner", "stage")
        # What a card shows: an account or a user row is wide, and the board reads hundreds.
        .only(*CARD_FIELDS)
        .annotate(
            is_stuck=as_flag(stuck_condition(stages, now=now)),
            marinating_until=marinating_until(now=now),
            soe_reception=F("soe__reception"),
        )
        .order_by(*CARD_ORDER)
    )
    for card in cards:
        card.editable = can_edit_opportunity(user, card)  # type: ignore[attr-defined]
    return cards


def _add_totals(columns: dict[int, Column], deals: QuerySet[Opportunity]) -> None:
    """Each column's deal count and value per currency, grouped in SQL."""
    totals = (
        deals.values("stage_id", "currency")
        .annotate(count=Count("*"), total=Sum("value"))  # COUNT(*): no column outside the index
        .order_by("stage_id", "currency")
    )
    for row in totals:
        column = columns.get(row["stage_id"])
        if column is not None:
            column.count += row["count"]
            column.totals.append((row["currency"], row["total"]))


def _first_ids(deals: QuerySet[Opportunity], stages: list[Stage]) -> QuerySet[Opportunity]:
    """The ids of the first cards of every column, in one query.

    On PostgreSQL, one LIMITed slice per stage joined by UNION ALL: each slice walks the
    (stage, expected close, id) index and stops after 50 rows, however many deals a stage
    holds. Databases that cannot limit parts of a UNION rank every deal with a window.
    """
    if connection.features.supports_slicing_ordering_in_compound and stages:
        slices = [
            deals.filter(stage=stage)
            .order_by(*CARD_ORDER)
            .values_list("pk", flat=True)[:CARDS_PER_COLUMN]
            for stage in stages
        ]
        return slices[0].union(*slices[1:], all=True)
    return (
        deals.annotate(place=Window(RowNumber(), partition_by=[F("stage_id")], order_by=CARD_ORDER))
        .filter(place__lte=CARDS_PER_COLUMN)
        .values_list("pk", flat=True)
    )


def board(*, user: User, pipeline: Pipeline, filters: BoardFilters) -> list[Column]:
    """The open stages with their counts and totals, and each stage's first cards.

    Four queries whatever the size: the stages, the totals (grouped in SQL), the ids of
    the first cards of every column, and those cards.
    """
    stages = open_stages(pipeline=pipeline)
    columns = {stage.pk: Column(stage=stage) for stage in stages}
    deals = board_opportunities(user=user, pipeline=pipeline, filters=filters)
    _add_totals(columns, deals)
    ids = list(_first_ids(deals, stages))
    by_stage: dict[int, list[Opportunity]] = defaultdict(list)
    for card in _cards(Opportunity.objects.filter(pk__in=ids), stages, user=user):
        by_stage[card.stage_id].append(card)
    for stage_id, cards in by_stage.items():
        if stage_id in columns:
            columns[stage_id].cards = cards
    return list(columns.values())


def opportunity_list(*, user: User, filters: BoardFilters) -> QuerySet[Opportunity]:
    """The deals the user may see, open and closed, that pass the board's filters, with
    what a list shows of each joined in (one query for a page)."""
    return filters.apply(opportunities_visible_to(user)).select_related(
        "account", "owner", "stage", "close_reason"
    )


def active_close_reasons() -> QuerySet[CloseReason]:
    """The reasons a deal may be closed for now (sales ops retires old ones)."""
    return CloseReason.objects.filter(active=True)


def column_page(
    *, user: User, stage: Stage, filters: BoardFilters, offset: int
) -> tuple[list[Opportunity], bool]:
    """The next cards of one column after `offset`, and whether more follow."""
    deals = board_opportunities(user=user, pipeline=stage.pipeline, filters=filters).filter(
        stage=stage
    )
    ordered = deals.order_by(*CARD_ORDER)
    ids = list(ordered.values_list("pk", flat=True)[offset : offset + CARDS_PER_COLUMN + 1])
    more = len(ids) > CARDS_PER_COLUMN
    cards = _cards(Opportunity.objects.filter(pk__in=ids[:CARDS_PER_COLUMN]), [stage], user=user)
    return cards, more


def board_card(*, user: User, opportunity: Opportunity) -> Opportunity:
    """One card, as the board shows it, after a move."""
    deals = Opportunity.objects.filter(pk=opportunity.pk)
    return _cards(deals, [opportunity.stage], user=user)[0]


def column_summary(*, user: User, stage: Stage, filters: BoardFilters) -> Column:
    """One column's count and totals, for refreshing its header after a move."""
    column = Column(stage=stage)
    deals = board_opportunities(user=user, pipeline=stage.pipeline, filters=filters)
    _add_totals({stage.pk: column}, deals.filter(stage=stage))
    return column


# --- One deal -------------------------------------------------------------------------


def opportunity_activity(*, opportunity: Opportunity) -> dict[str, object]:
    """When the deal entered its stage, its last activity, whether it is stuck, and until
    when it marinates (a follow-up held back for it)."""
    stages, now = [opportunity.stage], timezone.now()
    return (
        with_activity(Opportunity.objects.filter(pk=opportunity.pk))
        .annotate(
            is_stuck=as_flag(stuck_condition(stages, now=now)),
            marinating_until=marinating_until(now=now),
        )
        .values("stage_entered_at", "last_activity_at", "is_stuck", "marinating_until")
        .get()
    )


def stage_history(*, opportunity: Opportunity) -> QuerySet[StageChange]:
    """Every move, newest first (the deal page shows it a page at a time); each one's
    left_at (kept by pipeline.deals.flow) says how long the deal stayed in the stage it entered."""
    return (
        StageChange.objects.filter(opportunity=opportunity)
        .select_related("from_stage", "to_stage", "by", "reason")
        .order_by("-at", "-pk")
    )


def won_deal_keeps_a_customer(accounts: list[Account], status: str) -> str | None:
    """An account with a won deal is a customer and stays one while it has one: the status
    rule registered with prospects (prospects.services.STATUS_RULES)."""
    if status == Account.Status.CUSTOMER:
        return None
    won = Opportunity.objects.filter(account__in=accounts, stage__outcome=Stage.Outcome.WON)
    if won.exists():
        return "An account with a won deal is a customer: it stays one while it has one."
    return None


def account_opportunities(*, account: Account) -> QuerySet[Opportunity]:
    return (
        Opportunity.objects.filter(account=account)
        .select_related("stage", "owner")
        .order_by(F("closed_at").desc(nulls_first=True), "-created_at", "-pk")
    )


def is_qualified_for_specialist(*, opportunity: Opportunity) -> bool:
    account = opportunity.account
    all_yes = all(getattr(account, field) == Answer.YES for field, _ in READINESS_QUESTIONS)
    return all_yes or opportunity.specialist_override_at is not None


# CSV column -> the lookup the deals export reads it from: the headers the import
# (pipeline.deals.importing) maps by themselves, so the file can be imported again.
EXPORT_FIELDS = {
    "account_name": "account__name",
    "deal_name": "name",
    "value": "value",
    "currency": "currency",
    "stage": "stage__name",
    "pipeline": "pipeline__name",
    "owner": "owner__username",
    "expected_close": "expected_close_date",
    "created": "created_on",
}
EXPORT_COLUMNS = list(EXPORT_FIELDS)


def deal_export_rows(*, user: User) -> Iterator[tuple[object, ...]]:
    """The deals the user may see as plain rows, from a server-side cursor; the created date
    in the server's time zone, as the import reads it."""
    return (
        opportunities_visible_to(user)
        .annotate(created_on=TruncDate("created_at"))
        .order_by("account__name", "account_id", "name", "pk")
        .values_list(*EXPORT_FIELDS.values())
        .iterator(chunk_size=2000)
    )


@dataclass
class Committee:
    """A deal's buying committee, and the account's contacts who could join it."""

    seats: list[DealContact]
    candidates: list[Contact]


def buying_committee(*, opportunity: Opportunity) -> Committee:
    """The deal's people by name (an erased one as its placeholder), and the others of the
    account, read in one query: every contact of the account with this deal's seat, if any.

    Erased placeholders are never offered: nobody adds an anonymous person to a deal.
    """
    contacts = (
        Contact.objects.filter(account_id=opportunity.account_id)
        .annotate(
            seat=FilteredRelation("deal_seats", condition=Q(deal_seats__opportunity=opportunity))
        )
        .annotate(seat_id=F("seat__id"), seat_role=F("seat__role"))
        .order_by("name", "pk")
    )
    seats, candidates = [], []
    for contact in contacts:
        if contact.seat_id is not None:
            seat = DealContact(
                pk=contact.seat_id, opportunity=opportunity, contact=contact, role=contact.seat_role
            )
            seats.append(seat)
        elif contact.erased_at is None:
            candidates.append(contact)
    return Committee(seats, candidates)
