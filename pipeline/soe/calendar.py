"""iCalendar (RFC 5545) text for SOE steps: a download per SOE and a private feed per person.

Built with the icalendar package, which owns the value types, the escaping and the line
folding; this module only says which events a calendar holds and what they read."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import icalendar
from django.utils import timezone

from pipeline.soe.models import SoeStep

PRODUCT = "-//salesflow//Sequence of Events//EN"

# NUL never survives _clean, so it can stand in for a backslash on its way through the escaper.
_HELD_BACKSLASH = "\x00"


class _Text(icalendar.vText):
    """icalendar's TEXT, except that a backslash before "N" stays a backslash.

    icalendar reads "\\N" in a Python string as a line break (RFC 5545's second spelling of
    one), so a step called "C:\\Notes" would reach the calendar as "C:" and "otes" on two
    lines. The backslash is held aside while the package escapes the rest, then written as
    the escaped backslash it is."""

    def to_ical(self) -> bytes:
        held = icalendar.vText(str(self).replace("\\N", f"{_HELD_BACKSLASH}N"))
        return held.to_ical().replace(_HELD_BACKSLASH.encode(), b"\\\\")


def _clean(text: str) -> str:
    # Control characters are not allowed in iCalendar text (tab and line breaks aside), and
    # icalendar passes them through.
    return "".join(ch for ch in text if ch in "\t\r\n" or (ord(ch) >= 32 and ord(ch) != 127))


def _text(text: str) -> _Text:
    return _Text(_clean(text))


def calendar(steps: Iterable[SoeStep], *, name: str, now: datetime | None = None) -> str:
    """One all-day event per dated step. Steps must come with sequence__opportunity__account."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODUCT)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", _text(name))
    stamp = (now or timezone.now()).astimezone(UTC)
    for step in steps:
        if step.target_date is None:
            continue
        opportunity = step.sequence.opportunity
        done = step.status == SoeStep.Status.DONE
        summary = f"{'Done: ' if done else ''}{opportunity.account.name}: {step.text}"
        description = f"{step.get_owner_side_display()} · {opportunity.name}"
        if step.notes:
            description += f"\n{step.notes}"
        event = icalendar.Event()
        # The step's id alone: a calendar that imports the file again updates the event.
        event.add("uid", f"soe-step-{step.pk}@salesflow")
        event.add("dtstamp", stamp)
        # Dates, not times: an SOE step is due on a day, whatever the reader's time zone.
        event.add("dtstart", step.target_date)
        event.add("dtend", step.target_date + timedelta(days=1))
        event.add("summary", _text(summary))
        event.add("description", _text(description))
        event.add("status", "CONFIRMED")
        cal.add_component(event)
    return cal.to_ical().decode()
