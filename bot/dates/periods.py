"""Periods of days (the Daily Papers feed lists papers by day, ISO week or month): what a
member types for one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from bot.dates.common import _MONTH_LOOKUP, PERIOD_LIMIT
from bot.dates.typed import _make_date, parse_date
from bot.errors import InvalidInput

PERIOD_HELP = (
    "Give a day (2024-03-14, 14.03.2024, yesterday), a week (2024-W11, this week, last week), "
    "a month (2024-03, March 2024, last month) or 'last N days'."
)
MAX_PERIOD_DAYS = 31
_ISO_WEEK = re.compile(r"^(\d{4})-?w(\d{1,2})$")
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_WORDY_MONTH = re.compile(r"^([a-z]+)\.?,?\s+(\d{4})$")
_LAST_DAYS = re.compile(r"^(?:last|past)\s+(\d{1,2})\s+days?$")


@dataclass(frozen=True, slots=True)
class Period:
    """A span of whole days, inclusive: one ``day``, an ISO ``week``, a ``month``, or the
    ``days`` up to and including ``end``."""

    kind: str  # "day", "week", "month" or "days"
    start: date
    end: date

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    @property
    def label(self) -> str:
        if self.kind == "day":
            return self.start.isoformat()
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "month":
            return f"{self.start:%B %Y}"
        return f"{self.start.isoformat()} – {self.end.isoformat()}"


def iso_week(year: int, week: int, original: str) -> Period:
    try:
        start = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise InvalidInput(f"{original!r} is not a week that exists. {PERIOD_HELP}") from None
    return Period("week", start, start + timedelta(days=6))


def month_period(year: int, month: int, original: str) -> Period:
    start = _make_date(year, month, 1, original) if 1 <= month <= 12 else None
    if start is None:
        raise InvalidInput(f"{original!r} is not a month. {PERIOD_HELP}")
    following = date(year + (month == 12), month % 12 + 1, 1)
    return Period("month", start, following - timedelta(days=1))


def last_days(count: int, today: date) -> Period:
    return Period("days", today - timedelta(days=count - 1), today)


def parse_period(text: str | None, today: date, *, default_days: int = 7) -> Period:
    """What a member types for a span of days; nothing means the last ``default_days``.

    Periods that start after ``today`` are refused (there is nothing to list yet)."""
    raw = " ".join((text or "").strip().split())
    low = raw.lower()
    if not raw or low in ("week", "past week", "last 7 days", "recent", "latest"):
        period = last_days(default_days, today)
    elif len(raw) > PERIOD_LIMIT:
        raise InvalidInput(f"That is too long for a period. {PERIOD_HELP}")
    elif m := _LAST_DAYS.match(low):
        count = int(m[1])
        if not 1 <= count <= MAX_PERIOD_DAYS:
            raise InvalidInput(f"Give between 1 and {MAX_PERIOD_DAYS} days.")
        period = last_days(count, today)
    elif low in ("this week", "last week"):
        monday = today - timedelta(days=today.weekday())
        if low == "last week":
            monday -= timedelta(days=7)
        period = Period("week", monday, monday + timedelta(days=6))
    elif low in ("month", "this month", "last month"):
        first = today.replace(day=1)
        if low == "last month":
            first = (first - timedelta(days=1)).replace(day=1)
        period = month_period(first.year, first.month, raw)
    elif low == "yesterday":
        period = Period("day", today - timedelta(days=1), today - timedelta(days=1))
    elif m := _ISO_WEEK.match(low):
        period = iso_week(int(m[1]), int(m[2]), raw)
    elif m := _ISO_MONTH.match(low):
        period = month_period(int(m[1]), int(m[2]), raw)
    elif (m := _WORDY_MONTH.match(low)) and m[1] in _MONTH_LOOKUP:
        period = month_period(int(m[2]), _MONTH_LOOKUP[m[1]], raw)
    else:
        try:
            day = parse_date(raw, today)
        except InvalidInput:
            raise InvalidInput(f"I could not read the period {raw[:40]!r}. {PERIOD_HELP}") from None
        period = Period("day", day, day)
    if period.start > today:
        raise InvalidInput(f"{period.label} has not begun yet: the feed has nothing from it.")
    return period
