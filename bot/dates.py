"""Dates and times as members type them, turned into aware UTC datetimes.

The guild's time zone decides what "Thursday 18:00" means, across DST changes. Ambiguous
forms ("03/04/2025": March or April?) are refused with a message that shows the unambiguous
spellings, never guessed.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from bot.errors import InvalidInput

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_ABBREV = {name[:3]: i for i, name in enumerate(WEEKDAYS)}
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTH_LOOKUP = (
    {name: i + 1 for i, name in enumerate(MONTHS)}
    | {name[:3]: i + 1 for i, name in enumerate(MONTHS)}
    | {"sept": 9}
)

# Display formats the guild can choose, in the README's spirit (default DD.MM.YYYY).
DATE_FORMATS: dict[str, str] = {
    "DD.MM.YYYY": "%d.%m.%Y",
    "YYYY-MM-DD": "%Y-%m-%d",
    "DD/MM/YYYY": "%d/%m/%Y",
    "MM/DD/YYYY": "%m/%d/%Y",
    "D MMM YYYY": "%-d %b %Y",
    "MMM D, YYYY": "%b %-d, %Y",
}

HELP_DATES = "Write the date as 2025-02-07 or 07.02.2025 (or 'next thursday')."


@cache
def timezone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise InvalidInput(
            f"Unknown time zone {name!r}: use an IANA name such as Europe/Berlin or "
            "America/New_York (the option suggests names as you type)."
        ) from None


@cache
def all_timezones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def search_timezones(text: str, limit: int = 25) -> list[str]:
    """Time zone names for autocomplete: prefix matches first, then substring matches."""
    needle = text.strip().lower().replace(" ", "_")
    names = all_timezones()
    if not needle:
        common = ["UTC", "Europe/Berlin", "Europe/London", "America/New_York", "Asia/Tokyo"]
        return common[:limit]
    prefix = [n for n in names if n.lower().startswith(needle)]
    inner = [n for n in names if needle in n.lower() and n not in prefix]
    return (prefix + inner)[:limit]


def format_date(value: date, fmt: str) -> str:
    pattern = DATE_FORMATS.get(fmt, DATE_FORMATS["DD.MM.YYYY"])
    if "%-d" in pattern:
        pattern = pattern.replace("%-d", str(value.day))
    return value.strftime(pattern)


def parse_weekday(text: str) -> int:
    key = text.strip().lower()
    if key in WEEKDAYS:
        return WEEKDAYS.index(key)
    if key[:3] in _WEEKDAY_ABBREV and WEEKDAYS[_WEEKDAY_ABBREV[key[:3]]].startswith(key):
        return _WEEKDAY_ABBREV[key[:3]]
    raise InvalidInput(f"Unknown weekday {text!r}: use Monday … Sunday.")


_TIME = re.compile(
    r"^(?P<h>\d{1,2})(?:[:.h](?P<m>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?$", re.IGNORECASE
)


def parse_time(text: str) -> time:
    """'18:00', '18.30', '6pm', '6:30 pm', '9h15' → a wall-clock time."""
    raw = text.strip()
    match = _TIME.match(raw)
    if not match:
        raise InvalidInput(f"I could not read the time {text!r}: write it as 18:00 or 6pm.")
    hour = int(match["h"])
    minute = int(match["m"] or 0)
    ampm = (match["ampm"] or "").lower().replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            raise InvalidInput(f"{text!r} is not a valid time: with am/pm the hour is 1–12.")
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59:
        raise InvalidInput(f"{text!r} is not a valid time of day.")
    return time(hour, minute)


_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_WORDY_DMY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})$")
_WORDY_MDY = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")


def _make_date(year: int, month: int, day: int, original: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidInput(f"{original!r} is not a date that exists. {HELP_DATES}") from None


def _month(name: str, original: str) -> int:
    month = _MONTH_LOOKUP.get(name.lower())
    if month is None:
        raise InvalidInput(f"I could not read the month in {original!r}. {HELP_DATES}")
    return month


def parse_date(text: str, today: date) -> date:
    """Read a calendar date; ``today`` (in the guild's zone) anchors relative words."""
    raw = " ".join(text.strip().split())
    low = raw.lower()
    if not raw:
        raise InvalidInput(f"The date is empty. {HELP_DATES}")
    if len(raw) > 40:
        raise InvalidInput(f"That is too long for a date. {HELP_DATES}")
    if low == "today":
        return today
    if low == "tomorrow":
        return today + timedelta(days=1)
    words = low.split()
    relative = len(words) == 2 and words[0] in ("next", "this")
    if relative or (len(words) == 1 and words[0][:3] in _WEEKDAY_ABBREV):
        weekday = parse_weekday(words[-1])
        ahead = (weekday - today.weekday()) % 7
        if ahead == 0 and words[0] == "next":
            ahead = 7
        return today + timedelta(days=ahead)
    if m := _ISO.match(low):
        return _make_date(int(m[1]), int(m[2]), int(m[3]), raw)
    if m := _DOTTED.match(low):
        return _make_date(int(m[3]), int(m[2]), int(m[1]), raw)
    if m := _SLASHED.match(low):
        first, second, year = int(m[1]), int(m[2]), int(m[3])
        if first <= 12 and second <= 12 and first != second:
            raise InvalidInput(
                f"{raw!r} is ambiguous: {first} {MONTHS[second - 1].title()} or "
                f"{second} {MONTHS[first - 1].title()}? Write {year}-{second:02d}-{first:02d} "
                f"or {first:02d}.{second:02d}.{year} instead."
            )
        if first > 12:
            return _make_date(year, second, first, raw)
        return _make_date(year, first, second, raw)
    if m := _WORDY_DMY.match(low):
        return _make_date(int(m[3]), _month(m[2], raw), int(m[1]), raw)
    if m := _WORDY_MDY.match(low):
        return _make_date(int(m[3]), _month(m[1], raw), int(m[2]), raw)
    raise InvalidInput(f"I could not read the date {text.strip()[:40]!r}. {HELP_DATES}")


def split_date_time(text: str) -> tuple[str, str | None]:
    """'2025-02-07 18:00' → ('2025-02-07', '18:00'); a date alone → (date, None)."""
    raw = " ".join(text.strip().split())
    if "T" in raw and _ISO.match(raw.split("T")[0]):
        date_part, time_part = raw.split("T", 1)
        return date_part, time_part or None
    parts = raw.rsplit(" ", 1)
    if len(parts) == 2 and (_TIME.match(parts[1]) and not parts[1].isdigit()):
        return parts[0], parts[1]
    parts = raw.rsplit(" ", 2)
    if len(parts) == 3 and _TIME.match(f"{parts[1]} {parts[2]}") and not parts[1].isdigit():
        return parts[0], f"{parts[1]} {parts[2]}"
    if len(parts) == 3 and parts[2].lower() in ("am", "pm") and _TIME.match(parts[1] + parts[2]):
        return parts[0], parts[1] + parts[2]
    return raw, None


def local_to_utc(day: date, at: time, zone_name: str) -> datetime:
    """Wall-clock time in the guild's zone → aware UTC; refuses times a DST change skips."""
    zone = timezone(zone_name)
    local = datetime.combine(day, at).replace(tzinfo=zone)
    round_trip = local.astimezone(UTC).astimezone(zone)
    if round_trip.replace(tzinfo=None) != local.replace(tzinfo=None):
        raise InvalidInput(
            f"{at:%H:%M} on {day.isoformat()} does not exist in {zone_name}: the clocks "
            "jump forward that night. Pick another time."
        )
    return local.astimezone(UTC)


def utc_to_local(moment: datetime, zone_name: str) -> datetime:
    return moment.astimezone(timezone(zone_name))


@dataclass(frozen=True, slots=True)
class WeeklySlot:
    weekday: int
    at: time


def next_weekly(after: datetime, slot: WeeklySlot, zone_name: str) -> datetime:
    """The first weekly slot strictly after ``after``, by the zone's wall clock (DST-proof)."""
    local_after = utc_to_local(after, zone_name)
    day = local_after.date()
    for offset in range(0, 15):
        candidate_day = day + timedelta(days=offset)
        if candidate_day.weekday() != slot.weekday:
            continue
        try:
            candidate = local_to_utc(candidate_day, slot.at, zone_name)
        except InvalidInput:
            # The slot falls into a DST gap that week: take the first valid minute after it.
            candidate = (
                (datetime.combine(candidate_day, slot.at) + timedelta(hours=1))
                .replace(tzinfo=timezone(zone_name))
                .astimezone(UTC)
            )
        if candidate > after:
            return candidate
    raise AssertionError("a weekly slot always occurs within two weeks")


def discord_timestamp(moment: datetime, style: str = "F") -> str:
    """``<t:UNIX:F>``: every member sees the time in their own zone."""
    return f"<t:{int(moment.timestamp())}:{style}>"


# --------------------------------------------------------------------------------------
# Periods of days (the Daily Papers feed lists papers by day, ISO week or month)

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
    elif len(raw) > 40:
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
