"""The deals table (/deals/): every deal the user may see, open and closed, as a list of
salesflow.core.lists — its filters, its columns (each sorting in SQL), and
deal_table_queryset, the deals matching the table's filters (bulk actions' "all that match").
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, NullIf
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from pipeline.deals import selectors as deal_selectors
from pipeline.deals.forms import limit_people
from pipeline.deals.models import CloseReason, Opportunity, Pipeline, Stage
from pipeline.followups.models import FollowUp
from pipeline.soe.models import Sequence, SoeStep
from prospects.models import READINESS_QUESTIONS, Answer, LeadSource, Segment
from salesflow.core.fields import DateInput, IdChoiceField
from salesflow.core.lists.cells import (
    OWNER_NAME,
    FilterForm,
    day,
    iso,
    link,
    style_filters,
    valid_filters,
)
from salesflow.core.lists.selectors import list_state
from salesflow.core.lists.spec import Column, ListSpec, register_list
from salesflow.core.models import Team, User

# --- Filters ---------------------------------------------------------------------------


class Status:
    OPEN, WON, LOST, DISQUALIFIED = "open", "won", "lost", "disqualified"
    CHOICES = [
        ("", "Any"),
        (OPEN, "Open"),
        (WON, "Won"),
        (LOST, "Lost"),
        (DISQUALIFIED, "Disqualified"),
    ]


ANY = [("", "Any")]
READINESS_CHOICES = [
    ("", "Any"),
    ("3", "3 of 3 yes"),
    ("2", "2 of 3"),
    ("1", "1 of 3"),
    ("0", "None yet"),
]
STUCK_CHOICES = [("", "Any"), ("yes", "Stuck"), ("no", "Not stuck")]


class DealTableFilterForm(FilterForm):
    owner = IdChoiceField(queryset=User.objects.none(), required=False)
    team = IdChoiceField(queryset=Team.objects.none(), required=False)
    pipeline = IdChoiceField(queryset=Pipeline.objects.all(), required=False)
    stage = IdChoiceField(queryset=Stage.objects.select_related("pipeline"), required=False)
    status = forms.ChoiceField(choices=Status.CHOICES, required=False)
    segment = IdChoiceField(queryset=Segment.objects.all(), required=False)
    lead_source = IdChoiceField(queryset=LeadSource.objects.all(), required=False)
    close_from = forms.DateField(required=False, widget=DateInput(), label="Expected close from")
    close_to = forms.DateField(required=False, widget=DateInput(), label="Expected close to")
    stuck = forms.ChoiceField(choices=STUCK_CHOICES, required=False)
    reception = forms.ChoiceField(
        choices=ANY + list(Sequence.Reception.choices), required=False, label="SOE reception"
    )
    readiness = forms.ChoiceField(choices=READINESS_CHOICES, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_people(self, user)
        style_filters(self)
        self.fields["stage"].label_from_instance = lambda stage: f"{stage.pipeline}: {stage.name}"


def _open_stages() -> list[Stage]:
    return list(Stage.objects.filter(outcome=Stage.Outcome.OPEN, stuck_after_days__isnull=False))


def deal_table_base(*, user: User, form: forms.Form) -> QuerySet[Opportunity]:
    """The deals the user may see that pass the form's valid filters."""
    data = valid_filters(form)
    pk = lambda name: data[name].pk if data.get(name) else None  # noqa: E731
    deals = deal_selectors.BoardFilters(
        owner=pk("owner"), team=pk("team"), segment=pk("segment"), lead_source=pk("lead_source")
    ).apply(deal_selectors.opportunities_visible_to(user))
    if data.get("pipeline"):
        deals = deals.filter(pipeline=data["pipeline"])
    if data.get("stage"):
        deals = deals.filter(stage=data["stage"])
    status = data.get("status")
    if status == Status.OPEN:
        deals = deals.filter(closed_at__isnull=True)
    elif status == Status.WON:
        deals = deals.filter(closed_at__isnull=False, stage__outcome=Stage.Outcome.WON)
    elif status == Status.LOST:
        deals = deals.filter(closed_at__isnull=False, stage__outcome=Stage.Outcome.LOST).exclude(
            close_reason__kind=CloseReason.Kind.DISQUALIFIED
        )
    elif status == Status.DISQUALIFIED:
        deals = deals.filter(
            closed_at__isnull=False, close_reason__kind=CloseReason.Kind.DISQUALIFIED
        )
    if data.get("close_from"):
        deals = deals.filter(expected_close_date__gte=data["close_from"])
    if data.get("close_to"):
        deals = deals.filter(expected_close_date__lte=data["close_to"])
    if data.get("reception"):
        reception = Q(soe__reception=data["reception"])
        if data["reception"] == Sequence.Reception.NOT_SHARED:
            reception |= Q(soe__isnull=True)  # no SOE yet: not shared either
        deals = deals.filter(reception)
    if data.get("readiness"):
        deals = _with_readiness(deals).filter(readiness=int(data["readiness"]))
    if data.get("stuck"):
        stuck = deal_selectors.stuck_condition(_open_stages(), now=timezone.now())
        deals = deal_selectors.with_activity(deals.filter(closed_at__isnull=True))
        deals = deals.filter(stuck) if data["stuck"] == "yes" else deals.exclude(stuck)
    return deals


def deal_table_queryset(*, user: User, query: QueryDict) -> QuerySet[Opportunity]:
    """The deals the table shows for this address (every page of it, unsorted): what "all
    that match" acts on. Opened bare, the user's default view's."""
    return list_state(DEALS, user=user, query=query).queryset()


# --- What the columns need -------------------------------------------------------------


def _with_activity(deals: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    if "last_activity_at" in deals.query.annotations:
        return deals
    return deal_selectors.with_activity(deals)


def _with_stuck(deals: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    deals = _with_activity(deals)
    if "is_stuck" in deals.query.annotations:
        return deals
    now = timezone.now()
    return deals.annotate(
        is_stuck=deal_selectors.as_flag(deal_selectors.stuck_condition(_open_stages(), now=now)),
        marinating_until=deal_selectors.marinating_until(now=now),
    )


def _with_readiness(deals: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    if "readiness" in deals.query.annotations:
        return deals
    yes = [
        Case(When(**{f"account__{name}": Answer.YES}, then=Value(1)), default=Value(0))
        for name, _ in READINESS_QUESTIONS
    ]
    total = yes[0]
    for term in yes[1:]:
        total = total + term
    return deals.annotate(readiness=ExpressionWrapper(total, output_field=IntegerField()))


def _with_weighted(deals: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    return deals.annotate(
        weighted_value=ExpressionWrapper(
            F("value") * F("stage__probability") / Value(Decimal(100)),
            output_field=DecimalField(max_digits=16, decimal_places=2),
        )
    )


def _with_next_followup(deals: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    waiting = [FollowUp.Status.HELD, FollowUp.Status.SURFACED]
    return deals.annotate(
        next_followup_at=Subquery(
            FollowUp.objects.filter(opportunity=OuterRef("pk"), status__in=waiting)
            .order_by("surface_at")
            .values("surface_at")[:1]
        )
    )


def _steps(**status: object) -> Subquery:
    counted = (
        SoeStep.objects.filter(sequence__opportunity=OuterRef("pk"), **status)
        .exclude(status=SoeStep.Status.SKIPPED)
        .order_by()
        .values("sequence")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _with_soe(deals: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    deals = deals.annotate(soe_done=_steps(status=SoeStep.Status.DONE), soe_steps=_steps())
    return deals.annotate(
        # Skipped steps count neither way; a deal with no SOE steps sorts last.
        soe_share=Cast(F("soe_done"), FloatField()) / NullIf(F("soe_steps"), 0)
    )


# --- Cells -----------------------------------------------------------------------------


def _money(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _days_in_stage(deal: Opportunity) -> int:
    return (timezone.localdate() - timezone.localdate(deal.stage_entered_at)).days


def _outcome(deal: Opportunity) -> str:
    if deal.closed_at is None:
        return "Open"
    if deal.close_reason is not None and deal.close_reason.kind == CloseReason.Kind.DISQUALIFIED:
        return "Disqualified"
    return "Won" if deal.stage.outcome == Stage.Outcome.WON else "Lost"


STUCK_BADGE = mark_safe(' <span class="badge text-bg-warning">Stuck</span>')


def _stage_html(deal: Opportunity) -> str:
    badge = ""
    if getattr(deal, "marinating_until", None):
        badge = format_html(
            ' <span class="badge text-bg-info" title="A follow-up is held back until {}">'
            "Marinating</span>",
            day(deal.marinating_until),
        )
    elif getattr(deal, "is_stuck", False):
        badge = STUCK_BADGE
    return format_html("{}{}", deal.stage.name, badge)


def _soe(deal: Opportunity) -> str:
    return f"{deal.soe_done}/{deal.soe_steps}" if deal.soe_steps else ""


@functools.cache
def _address(name: str) -> str:
    """A page's address with a {} for its id: every row links its deal and its account, and
    reversing each of fifty rows' addresses costs more than drawing them."""
    return reverse(name, args=[0]).replace("/0/", "/{}/")


# --- The list --------------------------------------------------------------------------

COLUMNS = [
    Column(
        "name",
        "Deal",
        value=lambda d: d.name,
        sort="name",
        nullable=False,
        always=True,
        html=lambda d: link(_address("pipeline:opportunity_detail").format(d.pk), d.name),
    ),
    Column(
        "account",
        "Account",
        value=lambda d: d.account.name,
        sort="account__name",
        nullable=False,
        html=lambda d: link(
            _address("prospects:account_detail").format(d.account_id), d.account.name
        ),
    ),
    Column("owner", "Owner", value=lambda d: d.owner.display_name, sort=OWNER_NAME, nullable=False),
    Column(
        "stage",
        "Stage",
        value=lambda d: d.stage.name,
        sort="stage__position",
        nullable=False,
        prepare=_with_stuck,
        html=_stage_html,
    ),
    Column(
        "value",
        "Value",
        value=lambda d: d.value,
        sort="value",
        nullable=False,
        html=lambda d: f"{_money(d.value)} {d.currency}",
        css="text-end text-nowrap",
    ),
    Column(
        "currency",
        "Currency",
        value=lambda d: d.currency,
        sort="currency",
        nullable=False,
        default=False,
    ),
    Column(
        "weighted",
        "Weighted",
        value=lambda d: d.weighted_value,
        sort="weighted_value",
        nullable=False,
        prepare=_with_weighted,
        html=lambda d: f"{_money(d.weighted_value)} {d.currency}",
        css="text-end text-nowrap",
    ),
    Column(
        "expected_close",
        "Expected close",
        value=lambda d: iso(d.expected_close_date),
        sort="expected_close_date",
        html=lambda d: day(d.expected_close_date),
        css="text-nowrap",
    ),
    Column(
        "days_in_stage",
        "Days in stage",
        value=_days_in_stage,
        sort="stage_entered_at",
        invert=True,
        nullable=False,
        prepare=_with_activity,
        css="text-end",
    ),
    Column(
        "last_activity",
        "Last activity",
        value=lambda d: iso(d.last_activity_at),
        sort="last_activity_at",
        nullable=False,
        prepare=_with_activity,
        html=lambda d: day(d.last_activity_at),
        css="text-nowrap",
    ),
    Column(
        "next_followup",
        "Next follow-up",
        value=lambda d: iso(d.next_followup_at),
        sort="next_followup_at",
        prepare=_with_next_followup,
        html=lambda d: day(d.next_followup_at),
        css="text-nowrap",
    ),
    Column(
        "soe",
        "SOE",
        value=_soe,
        sort="soe_share",
        prepare=_with_soe,
    ),
    Column(
        "readiness",
        "Readiness",
        value=lambda d: d.readiness,
        sort="readiness",
        nullable=False,
        prepare=_with_readiness,
        html=lambda d: f"{d.readiness}/3",
    ),
    Column(
        "lead_source",
        "Lead source",
        value=lambda d: d.lead_source.name if d.lead_source else "",
        sort="lead_source__name",
        default=False,
    ),
    Column(
        "segment",
        "Segment",
        value=lambda d: d.account.segment.name if d.account.segment else "",
        sort="account__segment__name",
        default=False,
    ),
    Column(
        "created",
        "Created",
        value=lambda d: iso(d.created_at),
        sort="created_at",
        nullable=False,
        default=False,
        html=lambda d: day(d.created_at),
    ),
    Column(
        "closed",
        "Closed",
        value=lambda d: iso(d.closed_at),
        sort="closed_at",
        default=False,
        html=lambda d: day(d.closed_at),
    ),
    Column(
        "outcome", "Outcome", value=_outcome, sort="stage__outcome", nullable=False, default=False
    ),
]


# What the cells read of a deal and what it is joined to: an account or a user row is wide,
# and a page reads fifty (the CSV every one in view).
ROW_FIELDS = (
    "name",
    "value",
    "currency",
    "expected_close_date",
    "closed_at",
    "created_at",
    "account__name",
    "account__segment__name",
    "owner__username",
    "owner__first_name",
    "owner__last_name",
    "stage__name",
    "stage__outcome",
    "lead_source__name",
    "close_reason__kind",
)


def deal_table_rows(deals: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    return deals.select_related(
        "account", "account__segment", "owner", "stage", "lead_source", "close_reason"
    ).only(*ROW_FIELDS)


def my_open_deals(user: User) -> str:
    """The table opened bare with no default view: a rep's own open deals, soonest close
    first; everyone else the open deals they see."""
    query = QueryDict(mutable=True)
    if user.is_rep:
        query["owner"] = str(user.pk)
    query["status"] = Status.OPEN
    query["sort"] = "expected_close"
    return query.urlencode()


DEALS = register_list(
    ListSpec(
        key="deals",
        title="Deals",
        model=Opportunity,
        url_name="pipeline:deal_table",
        csv_url_name="pipeline:deal_table_csv",
        columns=COLUMNS,
        default_sort="expected_close",
        filter_form=DealTableFilterForm,
        base=deal_table_base,
        rows=deal_table_rows,
        default_query=my_open_deals,
        default_name=lambda user: "My open deals" if user.is_rep else "Open deals",
    )
)
