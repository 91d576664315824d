"""Values as COPY's CSV format reads them: quoted text, empty for NULL, and times."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta

from django.conf import settings


def q(text: str) -> str:
    """A CSV text value, always quoted: in COPY's CSV format an unquoted empty field is
    NULL, and these columns are NOT NULL with "" for blank."""
    return '"' + text.replace('"', '""') + '"'


def id_or_null(value: int | None) -> str:
    """An id column that may be NULL: empty, unquoted."""
    return "" if value is None else str(value)


class Clock:
    """Times as whole epoch seconds (UTC) while generating, written as timestamptz text;
    dates in the site's time zone, as timezone.localdate() would give them."""

    def __init__(self, now: datetime) -> None:
        self.now = int(now.timestamp())
        self.zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        self._days: dict[int, str] = {}
        self._local: dict[int, date] = {}
        self.today = self.local_date(self.now)
        # Tens of millions of times are written: a day's text and a time of day's text,
        # looked up and joined, cost a fraction of formatting each one.
        self._seconds = [
            f" {h:02d}:{m:02d}:{s:02d}+00" for h in range(24) for m in range(60) for s in range(60)
        ]

    def ts(self, seconds: int) -> str:
        day, rest = divmod(seconds, 86_400)
        text = self._days.get(day)
        if text is None:
            text = self._days[day] = (date(1970, 1, 1) + timedelta(days=day)).isoformat()
        return text + self._seconds[rest]

    def local_date(self, seconds: int) -> date:
        # By the hour: the zone's offset never changes inside an hour.
        hour = seconds // 3600
        day = self._local.get(hour)
        if day is None:
            day = self._local[hour] = datetime.fromtimestamp(hour * 3600, self.zone).date()
        return day

    def morning(self, day: date) -> int:
        """Ten in the morning of a local day: when a dated step is marked."""
        moment = datetime.combine(day, datetime.min.time(), self.zone) + timedelta(hours=10)
        return int(moment.timestamp())

    def iso(self, seconds: int) -> str:
        """As datetime.isoformat() writes it (what patience keeps in a hold's "until")."""
        return self.ts(seconds).replace(" ", "T")[:-3] + "+00:00"
