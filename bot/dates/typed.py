"""Dates and times as members type them in commands: a date (relative words, ambiguous
numbers settled by the server's date format or refused), a time of day, a weekday, a zone
after a time, and a date with its time.
"""

from __future__ import annotations

import contextlib
import re
from datetime import date, time, timedelta

from bot.dates.common import (
    _WEEKDAY_ABBREV,
    DATE_LIMIT,
    DATE_TIME_LIMIT,
    HELP_DATES,
    MONTHS,
    TIME_LIMIT,
    WEEKDAYS,
)
from bot.dates.formatting import day_first
from bot.dates.written import WrittenDate, _named_date, written_date
from bot.errors import InvalidInput


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
    if len(raw) > TIME_LIMIT:
        raise InvalidInput("That is too long for a time: write it as 18:00 or 6pm.")
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


def _make_date(year: int, month: int, day: int, original: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidInput(f"{original!r} is not a date that exists. {HELP_DATES}") from None


def _next_occurrence(day: int, month: int, today: date) -> date:
    """A day and month without a year: the next time it comes (today counts)."""
    for year in (today.year, today.year + 1, today.year + 2, today.year + 3, today.year + 4):
        with contextlib.suppress(ValueError):
            candidate = date(year, month, day)
            if candidate >= today:
                return candidate
    raise InvalidInput(f"{day:02d}.{month:02d} is not a date that exists. {HELP_DATES}")


def parse_date(text: str, today: date, date_format: str = "DD.MM.YYYY") -> date:
    """Read a calendar date a member typed; ``today`` (in the guild's zone) anchors relative
    words and dates without a year.

    Numbers separated by dots are day first (07.02.2025); with slashes or dashes the
    server's date format settles 03/04/2025 when it writes slashes (DD/MM/YYYY or
    MM/DD/YYYY), and otherwise such a date is refused as ambiguous, never guessed."""
    raw = " ".join(text.strip().split())
    low = raw.lower()
    if not raw:
        raise InvalidInput(f"The date is empty. {HELP_DATES}")
    if len(raw) > DATE_LIMIT:
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
    written = written_date(raw)
    if written is None:
        raise InvalidInput(f"I could not read the date {raw[:40]!r}. {HELP_DATES}")
    if written.month is not None:
        if written.year_given:
            return _named_date(written, None, raw)
        probe = _named_date(written, 2000, raw)
        return _next_occurrence(probe.day, probe.month, today)
    orders = written.orders()
    if not orders:
        raise InvalidInput(f"{raw!r} is not a date that exists. {HELP_DATES}")
    readings = {o: written.build(o, today.year) for o in orders}
    if len(set(readings.values())) > 1:
        orders = _command_order(written, orders, raw, date_format)
    day = readings[orders[0]]
    if not written.year_given:
        return _next_occurrence(day.day, day.month, today)
    return day


def _command_order(
    written: WrittenDate, orders: tuple[str, ...], raw: str, date_format: str
) -> tuple[str, ...]:
    """The one reading of a date typed in a command whose numbers allow several."""
    if "YMD" in orders:  # two-digit year first or last: dashes read year first, as ISO does
        keep = ("YMD",) if written.separator == "-" else tuple(o for o in orders if o != "YMD")
        orders = keep or orders
        if len(orders) == 1:
            return orders
    prefer_day = True if written.separator == "." else None
    if prefer_day is None and date_format in ("DD/MM/YYYY", "MM/DD/YYYY"):
        prefer_day = day_first(date_format)
    if prefer_day is None:
        first, second = int(written.numbers[0]), int(written.numbers[1])
        year = written.numbers[2] if len(written.numbers) == 3 else "YYYY"
        raise InvalidInput(
            f"{raw!r} is ambiguous: {first} {MONTHS[second - 1].title()} or "
            f"{second} {MONTHS[first - 1].title()}? Write {year}-{second:02d}-{first:02d} "
            f"or {first:02d}.{second:02d}.{year} instead, or set the server's date format "
            "(DD/MM/YYYY or MM/DD/YYYY) with /setup."
        )
    wanted = ("DMY", "DM") if prefer_day else ("MDY", "MD")
    return tuple(o for o in orders if o in wanted) or orders


_ZONE_HINT = re.compile(
    r"^(?P<time>.*?\d(?:\s*[ap]\.?m\.?)?)\s*"
    r"(?P<hint>(?:UTC|GMT)?\s*[+\-−]\s*\d{1,2}(?::?\d{2})?|[a-z]{2,5})$",
    re.IGNORECASE,
)


def split_zone(text: str) -> tuple[str, str | None]:
    """'02:30 CET' → ('02:30', 'CET'), '02:30 UTC+1' → ('02:30', 'UTC+1'): a time followed by
    the zone's name or offset, which picks one of the two 02:30s when the clocks go back.
    Anything else → (text, None)."""
    match = _ZONE_HINT.match(text.strip())
    if match is None:
        return text, None
    at, hint = match["time"].strip(), match["hint"].strip()
    if hint.lower() in ("am", "pm") or not _TIME.match(at):
        return text, None
    return at, hint


def split_date_time(text: str) -> tuple[str, str | None]:
    """'2025-02-07 18:00' → ('2025-02-07', '18:00'); a date alone → (date, None). A zone
    after the time stays with it ('2025-10-26 02:30 CET' → ('2025-10-26', '02:30 CET'))."""
    raw = " ".join(text.strip().split())
    if len(raw) > DATE_TIME_LIMIT:
        raise InvalidInput(f"That is too long for a date and time. {HELP_DATES}")
    head, _, last = raw.rpartition(" ")
    if head and split_zone(f"00:00 {last}")[1] is not None:
        day, at = _split_date_time(head)
        if at is not None:
            return day, f"{at} {last}"
    return _split_date_time(raw)


def _split_date_time(raw: str) -> tuple[str, str | None]:
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
