"""A column of dates (a README table's): all of its dates settle how each of them is read,
day or month first, two-digit years, and the year of dates written without one.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from bot.dates.formatting import day_first
from bot.dates.written import _YEAR, WrittenDate, _named_date, written_date
from bot.errors import InvalidInput


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
