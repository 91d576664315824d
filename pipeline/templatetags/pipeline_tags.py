from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from django import template
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from pipeline.deals.models import Stage
from pipeline.followups import patience

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
def hold_end(until: datetime | str | None) -> str:
    """When a hold ends, in the viewer's zone: "Wednesday 09:00" this week, with the date
    beyond it (patience.describe_end). Every page that shows a hold's end uses this; `until`
    may be a follow-up's surface_at or one of its holds' "until" as kept in JSON."""
    if not until:
        return ""
    if isinstance(until, str):
        try:
            moment = datetime.fromisoformat(until)
        except ValueError:
            return until
        if timezone.is_naive(moment):
            return until
        until = moment
    try:
        return patience.describe_end(until)
    except OverflowError:  # a moment at the very edge of the calendar, in another zone
        return until.isoformat()


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
    """reverse() for a deal URL, from its shape worked out once: the board has hundreds of
    links, and resolving each through the URLconf would be most of its rendering time."""
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


@register.simple_tag(takes_context=True)
def deal_card(context: template.Context, card: object) -> SafeString:
    """One card of the board (pipeline/opportunity_card.html), built with format_html.

    The board renders a hundred cards and more on every view, so a card is built here: as a
    template its forty-odd variable lookups, each escaped, would be most of the page's time.
    `card` comes from pipeline.deals.selectors._cards: `editable`, `is_stuck`,
    `marinating_until`, `soe_reception` and `stage_entered_at` are worked out there.
    """
    classes = "deal-card card" + (" can-move" if card.editable else "")
    classes += " is-stuck" if card.is_stuck else ""
    days = days_since(card.stage_entered_at)
    parts = [
        format_html(
            '<li class="{}" id="deal-{}" data-stage="{}"><div class="card-body p-2">'
            '<div class="d-flex justify-content-between align-items-start gap-1">'
            '<a class="fw-semibold text-break" href="{}">{}</a>'
            '<span class="owner-initials" title="Owner: {}">'
            '<span class="visually-hidden">Owner: </span>{}</span></div>',
            classes,
            card.pk,
            card.stage_id,
            deal_url("pipeline:opportunity_detail", card.pk),
            card.account.name,
            card.owner.display_name,
            card.owner.initials,
        )
    ]
    if card.name != card.account.name:
        parts.append(
            format_html('<div class="small text-body-secondary text-break">{}</div>', card.name)
        )
    parts.append(
        format_html(
            '<div class="d-flex flex-wrap justify-content-between gap-1 small mt-1">'
            '<span class="deal-value">{}</span><span>{} day{} in stage</span></div>',
            money(card.value, card.currency),
            days,
            "" if days == 1 else "s",
        )
    )
    if card.is_stuck:
        parts.append(
            mark_safe('<span class="badge text-bg-danger mt-1">Stuck — revisit the why</span>')
        )
    elif card.marinating_until:
        # Held back on purpose: quiet, and meant to be (Today lists it as held back).
        parts.append(
            format_html(
                '<span class="badge text-bg-light border fw-normal text-start text-wrap mt-1">'
                'Marinating: follow-up held until <span class="text-nowrap">{}</span></span>',
                patience.describe_end(card.marinating_until),
            )
        )
    if card.soe_reception in {"lukewarm", "declined"}:
        parts.append(
            format_html(
                '<span class="badge text-bg-warning mt-1">SOE {}</span>', card.soe_reception
            )
        )
    if card.editable:
        move_url = deal_url("pipeline:opportunity_move", card.pk)
        query = context.get("query")
        token = context.get("csrf_token")
        parts.append(
            format_html(
                '<form class="move-form d-flex gap-1 mt-2" method="post" action="{}" hx-post="{}"'
                ' hx-target="closest .deal-card" hx-swap="delete">{}'
                '<input type="hidden" name="from_stage" value="{}">'
                '<input type="hidden" name="next" value="board">'
                '<label class="visually-hidden" for="move-{}">Move {} to</label>'
                '<select class="form-select form-select-sm" name="stage" id="move-{}">{}</select>'
                '<button class="btn btn-sm btn-outline-secondary" type="submit">Move</button>'
                "</form>",
                move_url,
                f"{move_url}?{query}" if query else move_url,
                format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)
                if token and str(token) != "NOTPROVIDED"
                else "",
                card.stage_id,
                card.pk,
                card.account.name,
                card.pk,
                stage_options(context["stages"], card.stage_id),
            )
        )
    parts.append(mark_safe("</div></li>"))
    return mark_safe("".join(parts))
