"""The SQL pieces every figure of the dashboard is built from: money, the stage outcomes, the
open-deal filter, two aggregates PostgreSQL has and Django does not, and the small helpers
the figures share (ids for `__in`, filters left empty, a rate from two counts)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Aggregate, DecimalField, FloatField, Func, Q, QuerySet, Value

from pipeline.deals.models import Stage

MONEY = DecimalField(max_digits=18, decimal_places=2)
ZERO = Value(Decimal(0), output_field=MONEY)
OPEN, WON, LOST = Stage.Outcome.OPEN, Stage.Outcome.WON, Stage.Outcome.LOST
# Open deals, to filter on: a deal is closed exactly when it sits in a won or lost stage (the
# move keeps closed_at so). PostgreSQL estimates this column well; the stage's outcome, one
# join away, it underestimates badly (a few hundred where there are tens of thousands) and
# picks nested loops for them.
OPEN_NOW = Q(closed_at__isnull=True)


class Percentile(Aggregate):
    """A continuous percentile (PostgreSQL's percentile_cont): linear interpolation between
    the closest ranks; NULLs are left out, and no rows give NULL."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: object, fraction: float, **extra: Any) -> None:
        # A number we choose, never user input, so it can sit in the SQL text.
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


class DaysBetween(Func):
    """Days, with fractions, from the second timestamp to the first: the seconds of their
    difference (an interval) over a day's 86,400."""

    arity = 2
    template = "CAST(EXTRACT(EPOCH FROM (%(expressions)s)) AS double precision) / 86400"
    arg_joiner = " - "
    output_field = FloatField()


def ids_of(queryset: QuerySet) -> QuerySet:
    """A queryset's ids for `__in`, without the model's ordering (a sort for nothing)."""
    return queryset.order_by().values("pk")


def narrow(queryset: QuerySet, **lookups: object) -> QuerySet:
    """The queryset filtered on the lookups that have a value (a filter left empty is none)."""
    return queryset.filter(**{key: value for key, value in lookups.items() if value})


def rate(part: int | None, whole: int | None) -> float | None:
    """A percentage, or None when there is nothing to divide by."""
    return round(100 * (part or 0) / whole, 1) if whole else None
