"""Dates and times as members type them, turned into aware UTC datetimes.

The guild's time zone decides what "Thursday 18:00" means, across DST changes. Ambiguous
forms ("03/04/2025": March or April?) are refused with a message that shows the unambiguous
spellings, never guessed.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import unicodedata
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
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

# What members may type (the slash-command options declare the same lengths).
DATE_LIMIT = 40  # a date: "2025-02-07", "next thursday"
DATE_TIME_LIMIT = 60  # a date with an optional time: "2025-02-07 18:00"
TIME_LIMIT = 20  # a time of day: "18:00", "6:30 pm"
PERIOD_LIMIT = 40  # a span of days: "2025-W06", "last 14 days"
TIMEZONE_LIMIT = 64  # an IANA name: "America/Argentina/ComodRivadavia"


@cache
def timezone(name: str) -> zoneinfo.ZoneInfo:
    if len(name) > TIMEZONE_LIMIT:
        raise InvalidInput(f"A time zone name has at most {TIMEZONE_LIMIT} characters.")
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


def day_first(date_format: str) -> bool | None:
    """Whether the server's date format writes the day before the month (None: it does not
    say, as in YYYY-MM-DD)."""
    return {
        "DD.MM.YYYY": True,
        "DD/MM/YYYY": True,
        "D MMM YYYY": True,
        "MM/DD/YYYY": False,
        "MMM D, YYYY": False,
    }.get(date_format)


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


# ----------------------------------------------------------------------------------------
# Written dates: the shape of a date before its numbers are assigned
#
# A date is reduced to its numbers in written order, a month named in words and whether a
# year is given. Which number is the day, the month or the year is decided by the caller:
# a date typed in a command follows the server's date format; a column of a table is
# settled by all its dates together (read_date_column). Dates that name the month in words
# ("10th Feb, 2017", "February 10, 2020", "08-Oct-2024") are read by dateutil.

_WEEKDAY_WORDS = frozenset(WEEKDAYS) | frozenset(_WEEKDAY_ABBREV) | {"tues", "thur", "thurs"}
_FILLER_WORDS = frozenset({"st", "nd", "rd", "th", "of", "the", "on", "den", "le"})
_WORDS = re.compile(r"\d+|[^\W\d_]+")
_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_CJK_MONTH_DAY = re.compile(r"(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?")
_CJK_YEAR = re.compile(r"(\d{2,4})\s*年")
_CLOCK = re.compile(
    r"\b\d{1,2}[:h]\d{2}(?:\s*[ap]\.?m\b\.?)?|\b\d{1,2}\s*[ap]\.?m\b\.?", re.IGNORECASE
)
_SPACED_RANGE = re.compile(r"\s+(?:-|–|—|~|to|until|till)\s+", re.IGNORECASE)
_NUMERIC_RANGE = re.compile(r"^(\d{1,2})\s*[-–—~]\s*\d{1,2}(?=\s*[/.]\s*\d)")
_DAY_RANGE = re.compile(r"\b(\d{1,2})((?:st|nd|rd|th)?)\s*[-–—~]\s*\d{1,2}(?:st|nd|rd|th)?\b", re.I)
_KEPT = frozenset(" /.,-'")
_SEPARATOR = re.compile(r"\d\s*([/.-])\s*\d")
_SIMPLE_DATE = re.compile(r"^\s*(\d{1,4})([./-])(\d{1,2})\2(\d{2}|\d{4})\s*$")
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|2\d\d\d)(?!\d)")


@dataclass(frozen=True, slots=True)
class WrittenDate:
    """A date as written: ``numbers`` in written order (digit strings), the month when it is
    named in words, whether a year is given, and the first separator between numbers."""

    text: str
    numbers: tuple[str, ...]
    month: int | None = None
    year_given: bool = True
    separator: str = ""

    def orders(self) -> tuple[str, ...]:
        """The readings of a numeric date that give a real date ("DMY", "MDY", "YMD" with a
        year; "DM", "MD" without)."""
        return _orders(self.numbers)

    def build(self, order: str, year: int) -> date:
        """The date under ``order``; ``year`` when the date has none. Raises ValueError."""
        return _build(order, self.numbers, year)


def _build(order: str, numbers: tuple[str, ...], year: int) -> date:
    day = month = 0
    for letter, number in zip(order, numbers, strict=True):
        if letter == "D":
            day = int(number)
        elif letter == "M":
            month = int(number)
        else:
            year = int(number)
            if year < 100:
                year += 2000 if year < 70 else 1900
    return date(year, month, day)


@cache
def _orders(numbers: tuple[str, ...]) -> tuple[str, ...]:
    if len(numbers) == 2:
        candidates: tuple[str, ...] = ("DM", "MD")
    elif len(numbers[0]) == 4:
        candidates = ("YMD",)
    elif len(numbers[2]) == 4:
        candidates = ("DMY", "MDY")
    else:
        candidates = ("DMY", "MDY", "YMD")
    valid = []
    for order in candidates:
        try:
            _build(order, numbers, 2000)
        except ValueError:
            continue
        valid.append(order)
    return tuple(valid)


def _clean_date_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    if "月" in text or "年" in text:
        text = _CJK_MONTH_DAY.sub(
            lambda m: f"{MONTHS[int(m[1]) - 1][:3]} {m[2]} " if 1 <= int(m[1]) <= 12 else m[0],
            text,
        )
        text = _CJK_YEAR.sub(r" \1 ", text)
    if "(" in text or "[" in text:
        text = _BRACKETED.sub(" ", text)
    if ":" in text or "m" in text.lower() or "h" in text:
        text = _CLOCK.sub(" ", text)
    return "".join(ch if ch.isalnum() or ch in _KEPT else " " for ch in text).strip(" ,.-/")


def written_date(text: str) -> WrittenDate | None:
    """The shape of the date ``text`` writes, or None when it is not a date with a day and
    a month (``TBA``, ``2020/``, ``202?-??-??``, ``Week 3``).

    Cleans what surrounds real dates: weekday names, ordinals, a time of day, notes in
    brackets (``5.6（补）``), emoji (``October 31 🎃``), a range (``22-29/03/2018`` and
    ``Oct 3-10, 2024`` mean their first day), and ``2023年3月6日``."""
    if len(text) > 80:
        return None
    if simple := _SIMPLE_DATE.match(text):  # the common forms: 07.02.2025, 2025-02-07
        found = (simple[1], simple[3], simple[4])
        if not (len(found[1]) == 4 or (len(found[0]) == 4 and len(found[2]) == 4)):
            return WrittenDate(text.strip(), found, None, True, simple[2])
    cleaned = _clean_date_text(text)
    parts = _SPACED_RANGE.split(cleaned, maxsplit=1)
    if len(parts) == 2 and any(ch.isdigit() for ch in parts[1]):
        first, second = parts
        if first.isdigit() and len(first) <= 2:  # "3 – 10 Oct 2024": the first day
            second = re.sub(r"\d{1,2}", first, second, count=1)
            first = second
        later = written_date(second)
        if later is not None and later.year_given and not _YEAR.search(first):
            year = _YEAR.search(second)
            if year is not None:
                first = f"{first} {year[0]}"
        cleaned = first
    cleaned = _NUMERIC_RANGE.sub(r"\1", cleaned)
    numbers: list[str] = []
    month: int | None = None
    residue = False
    for word in _WORDS.findall(cleaned):
        if word[0].isdigit():
            numbers.append(word)
            continue
        low = word.lower()
        named = _MONTH_LOOKUP.get(low)
        if named is not None:
            if month is not None:
                return None
            month = named
        elif low not in _WEEKDAY_WORDS and low not in _FILLER_WORDS:
            residue = True
    if month is not None:
        if len(numbers) > 1:
            cleaned = _DAY_RANGE.sub(r"\1\2", cleaned)
            numbers = [n for n in _WORDS.findall(cleaned) if n[0].isdigit()]
        return _named_shape(cleaned, numbers, month, residue)
    if residue or any(len(n) > 4 and len(n) != 8 for n in numbers):
        return None
    if len(numbers) == 1 and len(numbers[0]) == 8 and numbers[0][:2] in ("19", "20"):
        value = numbers[0]
        return WrittenDate(cleaned, (value[:4], value[4:6], value[6:]), separator="")
    if len(numbers) not in (2, 3) or any(len(n) == 3 or len(n) > 4 for n in numbers):
        return None
    if len(numbers) == 2 and any(len(n) == 4 for n in numbers):
        return None  # a month and a year: no day
    if len(numbers) == 3 and len(numbers[1]) == 4:
        return None
    between = _SEPARATOR.search(cleaned)
    separator = between[1] if between else ""
    return WrittenDate(cleaned, tuple(numbers), None, len(numbers) == 3, separator)


def _named_shape(cleaned: str, numbers: list[str], month: int, residue: bool) -> WrittenDate | None:
    days = [n for n in numbers if len(n) <= 2 and 1 <= int(n) <= 31]
    years = [n for n in numbers if len(n) == 4]
    if len(numbers) == 1 and days:
        return None if residue else WrittenDate(cleaned, tuple(numbers), month, False)
    if len(numbers) == 2 and (years or len(days) == 2) and days:
        return WrittenDate(cleaned, tuple(numbers), month, True)
    return None


def _named_date(written: WrittenDate, year: int | None, original: str) -> date:
    """A date that names its month, read by dateutil (``year`` when it has none).

    dateutil is loaded by the first such date (an export or a start never needs it)."""
    from dateutil import parser as dateutil_parser

    default = datetime(year or 2000, 1, 1)
    try:
        parsed: datetime = dateutil_parser.parse(written.text, default=default, fuzzy=True)
    except (ValueError, OverflowError, dateutil_parser.ParserError):
        raise InvalidInput(f"{original!r} is not a date that exists. {HELP_DATES}") from None
    if parsed.month != written.month:
        raise InvalidInput(f"I could not read the date {original[:40]!r}. {HELP_DATES}")
    day: date = parsed.date()
    if year is not None and not written.year_given and day.year != year:
        day = day.replace(year=year)
    return day


# ----------------------------------------------------------------------------------------
# A column of dates: all of a table's dates settle how each of them is read


@dataclass(frozen=True, slots=True)
class YearHint:
    """Where a date without a year can take it from: one year, or the two years of an
    academic year ("2022-2023": autumn dates in the first, the rest in the second)."""

    years: tuple[int, ...]
    source: str  # for the report: "the heading '2022-2023 (spring)'", "the front matter"


def year_hint(text: str, source: str) -> YearHint | None:
    """The year (or academic year) a heading or front-matter value names, if any."""
    found = [int(y) for y in _YEAR.findall(unicodedata.normalize("NFKC", text))]
    if not found:
        return None
    if len(found) >= 2 and found[1] == found[0] + 1:
        return YearHint((found[0], found[1]), source)
    return YearHint((found[0],), source)


@dataclass(slots=True)
class DateColumn:
    """What a table's date cells say: a date per cell (None where there is none), why a
    non-empty cell is not a date, and how the column was read (for the report)."""

    days: list[date | None]
    problems: dict[int, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


_DAY_FIRST = ("DMY", "DM")
_MONTH_FIRST = ("MDY", "MD")


def read_date_column(
    cells: Sequence[str],
    *,
    date_format: str = "DD.MM.YYYY",
    hints: Sequence[YearHint] = (),
    today: date | None = None,
) -> DateColumn:
    """Read every date of one table column together.

    Day or month first is settled by a date whose first number is above 12 (or whose second
    is), else by the server's date format; the column says which was chosen. A two-digit
    year is first or last as the numbers, the year hints and the spacing of the dates agree.
    A date without a year takes it from the dated rows around it, else from ``hints``
    (the nearest first), else the first is the one nearest ``today``; following dates keep
    the order of the file
    (December then January is a new year)."""
    shapes: list[WrittenDate | None] = []
    column = DateColumn([None] * len(cells))
    for index, cell in enumerate(cells):
        shape = written_date(cell) if cell.strip() else None
        shapes.append(shape)
        if shape is None and cell.strip():
            column.problems[index] = f"{_show(cell)} is not a date"
    numeric = [(i, s, s.orders()) for i, s in enumerate(shapes) if s and s.month is None]
    for index, shape, orders in numeric:
        if not orders:
            column.problems[index] = f"{_show(shape.text)} is not a date that exists"
    prefer_day = _settle_day_first(numeric, cells, date_format, column.notes)
    year_first = _settle_year_first(numeric, prefer_day, hints, column.notes)
    for index, shape in enumerate(shapes):
        if shape is None or index in column.problems:
            continue
        try:
            column.days[index] = _read_one(shape, prefer_day, year_first)
        except InvalidInput:
            column.problems[index] = f"{_show(cells[index])} is not a date that exists"
    _fill_years(shapes, column, hints, today or date.today())
    return column


def _show(text: str) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= 40 else flat[:39] + "…")


def _settle_day_first(
    numeric: list[tuple[int, WrittenDate, tuple[str, ...]]],
    cells: Sequence[str],
    date_format: str,
    notes: list[str],
) -> bool:
    day_only: list[int] = []
    month_only: list[int] = []
    ambiguous: list[int] = []
    for index, shape, orders in numeric:
        day = any(o in _DAY_FIRST for o in orders)
        month = any(o in _MONTH_FIRST for o in orders)
        if day and not month:
            day_only.append(index)
        elif month and not day:
            month_only.append(index)
        elif day and month and len({shape.build(o, 2000) for o in orders if o != "YMD"}) > 1:
            ambiguous.append(index)
    if not ambiguous:
        return not month_only or len(day_only) >= len(month_only)
    if day_only or month_only:
        prefer_day = len(day_only) >= len(month_only)
        witness = (day_only if prefer_day else month_only)[0]
        separator = {"DD.MM.YYYY": ".", "DD/MM/YYYY": "/", "MM/DD/YYYY": "/"}.get(date_format)
        if day_first(date_format) == prefer_day and all(
            shape.separator == separator for _, shape, _ in numeric
        ):
            return prefer_day  # written in the server's own date format: nothing to say
        notes.append(
            f"dates read {'day' if prefer_day else 'month'} first: "
            f"{_show(cells[witness])} can only be read that way"
        )
        return prefer_day
    preference = day_first(date_format)
    prefer_day = True if preference is None else preference
    notes.append(
        f"dates such as {_show(cells[ambiguous[0]])} could be day or month first: read "
        f"{'day' if prefer_day else 'month'} first, as the server's date format "
        f"({date_format}) {'writes' if preference is not None else 'leaves open'}"
    )
    return prefer_day


def _settle_year_first(
    numeric: list[tuple[int, WrittenDate, tuple[str, ...]]],
    prefer_day: bool,
    hints: Sequence[YearHint],
    notes: list[str],
) -> bool:
    """For two-digit years (22-01-19): is the year the first number or the last?"""
    undecided = [(s, o) for _, s, o in numeric if "YMD" in o and len(o) > 1]
    if not undecided:
        return False
    last = "DMY" if prefer_day else "MDY"
    readings: dict[bool, list[date]] = {True: [], False: []}
    for shape, orders in undecided:
        readings[True].append(shape.build("YMD", 2000))
        if last in orders:
            readings[False].append(shape.build(last, 2000))
    if len(readings[False]) < len(undecided):
        choice = True
        reason = "only that reading gives real dates"
    else:
        wanted = {y for hint in hints for y in hint.years}
        score = {
            flag: sum(1 for d in days if d.year in wanted or d.year - 1 in wanted)
            for flag, days in readings.items()
        }
        if wanted and score[True] != score[False]:
            choice = score[True] > score[False]
            reason = f"the years match {hints[0].source}"
        else:
            spread = {flag: _spread(days) for flag, days in readings.items()}
            choice = spread[True] < spread[False]
            reason = "the dates then follow each other closely"
    notes.append(
        f"two-digit years read as the {'first' if choice else 'last'} number of each date: {reason}"
    )
    return choice


def _spread(days: list[date]) -> int:
    return sum(abs((b - a).days) for a, b in itertools.pairwise(days))


def _read_one(shape: WrittenDate, prefer_day: bool, year_first: bool) -> date:
    if shape.month is not None:
        return _named_date(shape, None if shape.year_given else 2000, shape.text)
    orders = shape.orders()
    if len(orders) > 1:
        if "YMD" in orders:
            keep = ("YMD",) if year_first else tuple(o for o in orders if o != "YMD")
            orders = keep or orders
        wanted = _DAY_FIRST if prefer_day else _MONTH_FIRST
        orders = tuple(o for o in orders if o in wanted or o == "YMD") or orders
    try:
        return shape.build(orders[0], 2000)
    except (ValueError, IndexError):
        raise InvalidInput("not a date") from None


def _fill_years(
    shapes: Sequence[WrittenDate | None], column: DateColumn, hints: Sequence[YearHint], today: date
) -> None:
    """Give dates without a year the year of their neighbours, a hint or ``today``."""
    days = column.days
    yearless = [i for i, s in enumerate(shapes) if s is not None and not s.year_given and days[i]]
    if not yearless:
        return
    dated = [i for i, s in enumerate(shapes) if s is not None and s.year_given and days[i]]
    previous: date | None = None
    source = ""
    for index in range(len(days)):
        day = days[index]
        if day is None:
            continue
        shape = shapes[index]
        if shape is not None and shape.year_given:
            previous = day
            continue
        anchor: date
        if previous is None:
            after = [d for i in dated if i > index and (d := days[i]) is not None]
            if after:
                anchor = after[0]
                source = source or "the dated rows around them"
            elif hints:
                hint = hints[0]
                year = hint.years[0] if len(hint.years) == 1 or day.month >= 8 else hint.years[1]
                anchor = date(year, day.month, 1)
                source = source or hint.source
            else:
                anchor = today
                year = _nearest(day, today).year
                source = source or (
                    f"nowhere in the file: the dates nearest to today are used (from {year})"
                )
        else:
            anchor = previous
            source = source or ("the dated rows around them" if dated else "")
        previous = days[index] = _nearest(day, anchor)
    if source:
        column.notes.append(f"dates without a year take it from {source}")


def _nearest(day: date, anchor: date) -> date:
    """``day`` in the year (of three around ``anchor``) that puts it closest to ``anchor``."""
    best: date | None = None
    for year in (anchor.year - 1, anchor.year, anchor.year + 1):
        try:
            candidate = day.replace(year=year)
        except ValueError:  # 29 February
            continue
        if best is None or abs((candidate - anchor).days) < abs((best - anchor).days):
            best = candidate
    return best or day


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


def _offset_text(offset: timedelta) -> str:
    """UTC+2, UTC-3, UTC+5:30."""
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def _zone_name(moment: datetime) -> str:
    """'CEST', or 'UTC+3' where the zone's name is only its offset ('+03')."""
    name = moment.tzname() or ""
    if not name or name[0] in "+-" or name.startswith("UTC"):
        return _offset_text(moment.utcoffset() or timedelta(0))
    return name


def _zone_paren(moment: datetime) -> str:
    """'CEST (UTC+2)', or 'UTC+3' where the zone's name is only its offset."""
    offset = _offset_text(moment.utcoffset() or timedelta(0))
    name = _zone_name(moment)
    return name if name == offset else f"{name} ({offset})"


def _zone_text(moment: datetime) -> str:
    """'CEST, UTC+2' (or 'UTC+3' alone where the zone's name is only its offset)."""
    offset = _offset_text(moment.utcoffset() or timedelta(0))
    name = _zone_name(moment)
    return name if name == offset else f"{name}, {offset}"


def short_day(day: date) -> str:
    """'25 Oct 2026', whatever the server's date format (a note about the clocks)."""
    return f"{day.day} {MONTHS[day.month - 1][:3].title()} {day.year}"


@dataclass(frozen=True, slots=True)
class ClockChange:
    """A wall-clock time that a change of the clocks makes special on one day.

    ``repeated``: the clocks go back and the time happens twice (``first`` is taken);
    otherwise they jump forward over it and it does not happen (``first`` is the moment a
    weekly slot moves to: the same distance after the jump).
    """

    day: date
    at: time
    zone_name: str
    repeated: bool
    first: datetime  # local, aware: the occurrence used
    second: datetime  # local, aware: the other occurrence (repeated), or before the jump

    def note(self, *, second: bool = False) -> str:
        """What a member is told when they gave this time for this day (``second``: they
        asked for the second occurrence by naming its zone)."""
        when = f"{self.at:%H:%M}"
        if self.repeated and second:
            return (
                f"{when} happens twice on {short_day(self.day)} (the clocks go back); as asked, "
                f"I used the second ({_zone_text(self.second)})."
            )
        if self.repeated:
            return (
                f"{when} happens twice on {short_day(self.day)} (the clocks go back); I used the "
                f"first ({_zone_text(self.first)}), not the second ({_zone_text(self.second)}). "
                f"For the second, write the time as {when} {_zone_name(self.second)}."
            )
        jump = (self.first.utcoffset() or timedelta(0)) - (self.second.utcoffset() or timedelta(0))
        minutes = int(jump.total_seconds()) // 60
        size = "an hour" if minutes == 60 else f"{minutes} minutes"
        if minutes % 60 == 0 and minutes > 60:
            size = f"{minutes // 60} hours"
        zones = f"{_zone_name(self.second)} → {_zone_name(self.first)}"
        return (
            f"{when} does not exist on {short_day(self.day)} in {self.zone_name}: the clocks "
            f"jump forward {size} that night ({zones}). "
            f"Pick another time, e.g. {self.first:%H:%M}."
        )

    def weekly_note(self, what: str) -> str:
        """What a member is told when ``what`` (e.g. 'the weekly announcement') repeats at
        this time every week and this is the next week the clocks change at it."""
        when = f"{self.at:%H:%M} on {WEEKDAYS[self.day.weekday()].title()}s"
        if self.repeated:
            return (
                f"{when} happens twice on {short_day(self.day)} (the clocks go back): "
                f"{what} then goes out at the first ({_zone_text(self.first)})."
            )
        return (
            f"{when} does not exist on {short_day(self.day)} (the clocks jump forward): "
            f"{what} then goes out at {self.first:%H:%M} ({_zone_text(self.first)})."
        )


def clock_change(day: date, at: time, zone_name: str) -> ClockChange | None:
    """Whether the clocks make ``at`` on ``day`` happen twice or not at all in the zone."""
    zone = timezone(zone_name)
    first = datetime.combine(day, at).replace(tzinfo=zone)
    second = first.replace(fold=1)
    if first.utcoffset() == second.utcoffset():
        return None
    round_trip = first.astimezone(UTC).astimezone(zone)
    if round_trip.replace(tzinfo=None) == first.replace(tzinfo=None):
        return ClockChange(day, at, zone_name, True, first, second.astimezone(UTC).astimezone(zone))
    # Skipped: fold=0 reads the time with the offset before the jump, which lands after it.
    return ClockChange(day, at, zone_name, False, round_trip, first)


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


def _matches(hint: str, moment: datetime) -> bool:
    """Whether a zone name or offset a member wrote names ``moment``'s offset."""
    cleaned = hint.replace("−", "-").replace(" ", "").upper()
    if cleaned == (moment.tzname() or "").upper():
        return True
    offset = re.fullmatch(r"(?:UTC|GMT)?(?:([+-])(\d{1,2})(?::?(\d{2}))?)?", cleaned)
    if offset is None:
        return False
    sign, hours, minutes = offset.groups()
    given = timedelta(hours=int(hours or 0), minutes=int(minutes or 0))
    return (moment.utcoffset() or timedelta(0)) == (-given if sign == "-" else given)


def local_to_utc(day: date, at: time, zone_name: str, hint: str | None = None) -> datetime:
    """Wall-clock time in the guild's zone → aware UTC; refuses times a DST change skips.

    A time that happens twice (the clocks go back) is its first occurrence unless ``hint``
    (a zone name or offset, see :func:`split_zone`) names the second; :func:`clock_change`
    says which, for the member's reply. A hint that names neither is refused."""
    change = clock_change(day, at, zone_name)
    if change is not None and not change.repeated:
        raise InvalidInput(change.note())
    local = datetime.combine(day, at).replace(tzinfo=timezone(zone_name))
    if hint is None:
        return local.astimezone(UTC)
    options = [change.first, change.second] if change is not None else [local]
    for option in options:
        if _matches(hint, option):
            return option.astimezone(UTC)
    named = " or ".join(_zone_paren(option) for option in options)
    raise InvalidInput(
        f"{at:%H:%M} on {short_day(day)} in {zone_name} is {named}, not {hint}. "
        "Leave the zone out, or name this one."
    )


def utc_to_local(moment: datetime, zone_name: str) -> datetime:
    return moment.astimezone(timezone(zone_name))


@dataclass(frozen=True, slots=True)
class WeeklySlot:
    weekday: int
    at: time


def _weekly_on(day: date, slot: WeeklySlot, zone_name: str) -> datetime:
    """The slot on ``day`` in UTC; in a week the clocks skip it, as far after the jump."""
    change = clock_change(day, slot.at, zone_name)
    if change is not None and not change.repeated:
        return change.first.astimezone(UTC)
    return local_to_utc(day, slot.at, zone_name)


def next_weekly(after: datetime, slot: WeeklySlot, zone_name: str) -> datetime:
    """The first weekly slot strictly after ``after``, by the zone's wall clock (DST-proof)."""
    local_after = utc_to_local(after, zone_name)
    day = local_after.date()
    for offset in range(0, 15):
        candidate_day = day + timedelta(days=offset)
        if candidate_day.weekday() != slot.weekday:
            continue
        candidate = _weekly_on(candidate_day, slot, zone_name)
        if candidate > after:
            return candidate
    raise AssertionError("a weekly slot always occurs within two weeks")


def weekly_clock_changes(after: datetime, slot: WeeklySlot, zone_name: str) -> list[ClockChange]:
    """The next week within a year in which the clocks make the slot happen twice, and the
    next in which they skip it (soonest first; none in a zone without DST)."""
    day = utc_to_local(after, zone_name).date()
    day += timedelta(days=(slot.weekday - day.weekday()) % 7)
    found: dict[bool, ClockChange] = {}
    for week in range(54):
        change = clock_change(day + timedelta(weeks=week), slot.at, zone_name)
        if change is not None and change.repeated not in found:
            found[change.repeated] = change
    return sorted(found.values(), key=lambda change: change.day)


def weekly_clock_notes(after: datetime, slot: WeeklySlot, zone_name: str, what: str) -> list[str]:
    """What a member setting ``what`` (e.g. 'the weekly digest') to the slot is told about
    the weeks the clocks change at that time."""
    return [change.weekly_note(what) for change in weekly_clock_changes(after, slot, zone_name)]


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
