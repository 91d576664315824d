from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from django import template
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from pipeline.models import Stage

register = template.Library()
SELECTED = mark_safe(" selected")
_PLACEHOLDER = 987654321


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
def days_until(start: date | None, end: date | None) -> int | None:
    """Days from one date to another (negative when the second comes first)."""
    if start is None or end is None:
        return None
    return (end - start).days


@register.filter
def money(value: Decimal | None, currency: str = "") -> str:
    """1234567 → "1,234,567 EUR"; cents only when there are some: 99.5 → "99.50 EUR"."""
    if value is None:
        return ""
    amount = floatformat(value, "-2g")
    return f"{amount} {currency}".strip()


@register.simple_tag
def stage_options(stages: list[Stage], current: int) -> str:
    """The <option>s of a card's "Move to" select, built in Python: the board renders
    hundreds of cards, and a template loop per card costs more than the rest of the card."""
    return _stage_options(tuple((stage.pk, stage.name) for stage in stages), current)


@lru_cache(maxsize=1024)
def _stage_options(stages: tuple[tuple[int, str], ...], current: int) -> str:
    """Built once per pipeline and current stage, not once per card (a stage's name is part
    of the key, so a renamed stage is built anew)."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((pk, SELECTED if pk == current else "", name) for pk, name in stages),
    )


@lru_cache
def _url_shape(name: str) -> tuple[str, str]:
    before, after = reverse(name, args=[_PLACEHOLDER]).split(str(_PLACEHOLDER))
    return before, after


@register.simple_tag
def deal_url(name: str, pk: int) -> str:
    """reverse() for a deal URL, from its shape worked out once: resolving each of the
    board's hundreds of links through the URLconf dominated its rendering time."""
    before, after = _url_shape(name)
    return f"{before}{int(pk)}{after}"


@register.filter
def percent(value: float | None) -> str:
    """42.5 → "42.5%"; nothing to divide by → "—"."""
    return "—" if value is None else f"{floatformat(value, '-1')}%"


@register.filter
def days(value: float | None) -> str:
    """Days with one decimal, or "—" when there were none."""
    return "—" if value is None else f"{floatformat(value, '-1')} d"
