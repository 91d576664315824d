"""The account list's deal columns (prospects' list "accounts", salesflow.core.lists):
last activity, next follow-up, open pipeline value, won value and open deals, each read in
SQL per shown account, and sortable. Added from pipeline's AppConfig.ready(), since
prospects must not import pipeline.

Amounts are shown per currency, as the board's column totals are ("48,000 EUR · 9,500
GBP"): salesflow keeps no exchange rates, so nothing is converted. Sorting on an amount
sorts on the plain sum of the amounts, as the deals table sorts on a deal's value
whatever its currency.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    F,
    IntegerField,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Greatest
from django.utils.html import format_html_join

from pipeline.deals.models import Opportunity, Stage, StageChange
from pipeline.followups.models import FollowUp
from pipeline.templatetags.pipeline_tags import money
from prospects.models import Account, AccountEvent
from salesflow.core.lists.cells import day, iso
from salesflow.core.lists.spec import Column, get_list

OPEN = Q(closed_at__isnull=True)
WON = Q(closed_at__isnull=False, stage__outcome=Stage.Outcome.WON)
AMOUNT = DecimalField(max_digits=16, decimal_places=2)
CENTS = Decimal("0.01")


def _deals(condition: Q) -> QuerySet[Opportunity]:
    return Opportunity.objects.filter(condition, account=OuterRef("pk")).order_by()


def _total(condition: Q) -> Coalesce:
    summed = _deals(condition).values("account").annotate(total=Sum("value")).values("total")
    return Coalesce(Subquery(summed, output_field=AMOUNT), Value(Decimal(0)), output_field=AMOUNT)


def _per_currency(outcome_sql: str) -> RawSQL:
    """{currency: total} of the account's deals that pass the condition, as the cell shows
    them (a grouped subquery inside an aggregate, which the ORM cannot write)."""
    return RawSQL(
        f"""(SELECT jsonb_object_agg(t.currency, t.total::text) FROM (
                SELECT o.currency, sum(o.value) AS total
                  FROM pipeline_opportunity AS o
                  JOIN pipeline_stage AS s ON s.id = o.stage_id
                 WHERE o.account_id = prospects_account.id AND {outcome_sql}
                 GROUP BY o.currency) AS t)""",
        (),
        output_field=JSONField(),
    )


def _with_open_value(accounts: QuerySet[Account]) -> QuerySet[Account]:
    if "open_value" in accounts.query.annotations:
        return accounts
    return accounts.annotate(
        open_value=_total(OPEN), open_by_currency=_per_currency("o.closed_at IS NULL")
    )


def _with_won_value(accounts: QuerySet[Account]) -> QuerySet[Account]:
    if "won_value" in accounts.query.annotations:
        return accounts
    won = f"o.closed_at IS NOT NULL AND s.outcome = '{Stage.Outcome.WON.value}'"
    return accounts.annotate(won_value=_total(WON), won_by_currency=_per_currency(won))


def _with_open_deals(accounts: QuerySet[Account]) -> QuerySet[Account]:
    if "open_deals" in accounts.query.annotations:
        return accounts
    counted = _deals(OPEN).values("account").annotate(n=Count("*")).values("n")
    return accounts.annotate(
        open_deals=Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))
    )


def _with_next_followup(accounts: QuerySet[Account]) -> QuerySet[Account]:
    if "next_followup_at" in accounts.query.annotations:
        return accounts
    waiting = [FollowUp.Status.HELD, FollowUp.Status.SURFACED]
    soonest = (
        FollowUp.objects.filter(account=OuterRef("pk"), status__in=waiting)
        .order_by("surface_at")
        .values("surface_at")[:1]
    )
    return accounts.annotate(next_followup_at=Subquery(soonest))


def _with_last_activity(accounts: QuerySet[Account]) -> QuerySet[Account]:
    """The newest of the account's timeline (conversations, the why, status changes, its
    creation) and its deals' stage moves. The timeline always holds the creation, and
    PostgreSQL's GREATEST skips a NULL (no deal moved yet), so it is never NULL."""
    if "last_activity_at" in accounts.query.annotations:
        return accounts
    timeline = (
        AccountEvent.objects.filter(account=OuterRef("pk"))
        .order_by("-occurred_at", "-pk")
        .values("occurred_at")[:1]
    )
    moved = (
        StageChange.objects.filter(opportunity__account=OuterRef("pk"))
        .order_by("-at")
        .values("at")[:1]
    )
    return accounts.annotate(
        last_activity_at=Greatest(Subquery(timeline), Subquery(moved), F("created_at"))
    )


def _amount(value: object) -> Decimal:
    """A total read back from the JSON (as text there: a float would round a large one)."""
    return Decimal(str(value)).quantize(CENTS)


def _amounts(by_currency: dict[str, Any] | None) -> str:
    if not by_currency:
        return "—"
    return format_html_join(
        " · ",
        '<span class="text-nowrap">{}</span>',
        ((money(_amount(by_currency[c]), c),) for c in sorted(by_currency)),
    )


def _amounts_text(by_currency: dict[str, Any] | None) -> str:
    """The CSV's cell: "48000.00 EUR; 9500.00 GBP"."""
    return "; ".join(f"{_amount(by_currency[c])} {c}" for c in sorted(by_currency or {}))


COLUMNS = [
    (
        Column(
            "last_activity",
            "Last activity",
            value=lambda a: iso(a.last_activity_at),
            sort="last_activity_at",
            nullable=False,
            prepare=_with_last_activity,
            html=lambda a: day(a.last_activity_at),
            css="text-nowrap",
        ),
        "readiness",
    ),
    (
        Column(
            "next_followup",
            "Next follow-up",
            value=lambda a: iso(a.next_followup_at),
            sort="next_followup_at",
            prepare=_with_next_followup,
            html=lambda a: day(a.next_followup_at),
            css="text-nowrap",
        ),
        "last_activity",
    ),
    (
        Column(
            "open_value",
            "Open pipeline",
            value=lambda a: _amounts_text(a.open_by_currency),
            sort="open_value",
            nullable=False,
            prepare=_with_open_value,
            html=lambda a: _amounts(a.open_by_currency),
            css="text-end",
        ),
        "next_followup",
    ),
    (
        Column(
            "won_value",
            "Won",
            value=lambda a: _amounts_text(a.won_by_currency),
            sort="won_value",
            nullable=False,
            prepare=_with_won_value,
            html=lambda a: _amounts(a.won_by_currency),
            css="text-end",
        ),
        "open_value",
    ),
    (
        Column(
            "open_deals",
            "Open deals",
            value=lambda a: a.open_deals,
            sort="open_deals",
            nullable=False,
            prepare=_with_open_deals,
            css="text-end",
        ),
        "won_value",
    ),
]


def register() -> None:
    """Add the columns to the account list (once: ready() may run again)."""
    accounts = get_list("accounts")
    for column, after in COLUMNS:
        accounts.add_column(column, after=after)
