from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django import template
from django.template.defaultfilters import floatformat
from django.utils import timezone

register = template.Library()


@register.filter
def days_since(moment: datetime | None) -> int | None:
    """Whole days from the moment until now (0 on the day itself)."""
    if moment is None:
        return None
    return max(0, (timezone.now() - moment).days)


@register.filter
def duration_days(start: datetime | None, end: datetime | None) -> int | None:
    """Whole days between two moments; until now when the second is empty."""
    if start is None:
        return None
    return max(0, ((end or timezone.now()) - start).days)


@register.filter
def money(value: Decimal | None, currency: str = "") -> str:
    """1234567.5 → "1,234,568 EUR": deals are read in whole units."""
    if value is None:
        return ""
    amount = floatformat(value, "0g")
    return f"{amount} {currency}".strip()
