"""iCalendar (RFC 5545) text for SOE steps: a download per SOE and a private feed per person."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

from pipeline.soe.models import SoeStep

PRODUCT = "-//salesflow//Sequence of Events//EN"


def _escape(text: str) -> str:
    # Control characters are not allowed in iCalendar text (tab and line breaks aside).
    text = "".join(ch for ch in text if ch in "\t\r\n" or (ord(ch) >= 32 and ord(ch) != 127))
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    encoded = line.encode()
    if len(encoded) <= 75:
        return line
    parts, current = [], b""
    for char in line:
        piece = char.encode()
        if len(current) + len(piece) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += piece
    parts.append(current.decode())
    return "\r\n ".join(parts)


def _day(value: date) -> str:
    return value.strftime("%Y%m%d")


def calendar(steps: Iterable[SoeStep], *, name: str, now: datetime | None = None) -> str:
    """One all-day event per dated step. Steps must come with sequence__opportunity__account."""
    stamp = (now or timezone.now()).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT}",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_escape(name)}",
    ]
    for step in steps:
        if step.target_date is None:
            continue
        opportunity = step.sequence.opportunity
        done = step.status == SoeStep.Status.DONE
        summary = f"{'Done: ' if done else ''}{opportunity.account.name}: {step.text}"
        description = f"{step.get_owner_side_display()} · {opportunity.name}"
        if step.notes:
            description += f"\n{step.notes}"
        lines += [
            "BEGIN:VEVENT",
            f"UID:soe-step-{step.pk}@salesflow",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{_day(step.target_date)}",
            f"DTEND;VALUE=DATE:{_day(step.target_date + timedelta(days=1))}",
            f"SUMMARY:{_escape(summary)}",
            f"DESCRIPTION:{_escape(description)}",
            "STATUS:CONFIRMED",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
