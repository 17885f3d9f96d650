"""Written dates: the shape of a date before its numbers are assigned.

A date is reduced to its numbers in written order, a month named in words and whether a
year is given. Which number is the day, the month or the year is decided by the caller:
a date typed in a command follows the server's date format; a column of a table is
settled by all its dates together (read_date_column). Dates that name the month in words
("10th Feb, 2017", "February 10, 2020", "08-Oct-2024") are read by dateutil.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from bot.dates.common import _MONTH_LOOKUP, _WEEKDAY_ABBREV, HELP_DATES, MONTHS, WEEKDAYS
from bot.errors import InvalidInput

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
