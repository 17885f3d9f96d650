"""Reading the schedule tables of a README: which column holds what (also when the Date or
Paper column has another name), timetables and tables that are not schedules skipped, and
each row read as a session, a continuation of the one above, or a reported skip.
"""

from __future__ import annotations

import re

from bot.dates import read_date_column, written_date
from bot.markdown.columns import DATE, PAPER, PRESENTER, Columns, map_headers
from bot.markdown.parsed import SKIPPED, ParsedRow
from bot.markdown.reader import _FENCE, _is_break, _ReaderBase
from bot.markdown.rows import interpret_row, join_rows
from bot.markdown.syntax import is_alignment_row, plain_text, reader_text, split_row
from bot.markdown.wording import is_placeholder, no_meeting

MAX_COLUMNS = 64
MAX_CELL = 20_000

_BLOCK_START = re.compile(r"^\s{0,3}(?:#{1,6}\s|>|```|~~~|[-*+]\s|\d{1,3}[.)]\s|<)")
_CLOCK_TIME = r"\d{1,2}(?:[:.h]\d{2})?\s*(?:[ap]\.?m\.?)?"
_TIMEISH = re.compile(rf"^\s*{_CLOCK_TIME}(?:\s*[-–~]\s*{_CLOCK_TIME})?\s*$", re.IGNORECASE)
# A date still to be set: "202?-??-??", "2020/", "2025-03", "TBA".
_NO_DAY = re.compile(
    r"^\W*(?:(?:19|20)[\d?x]{2}|[?x]{2,4})(?:\W*(?:\d{1,2}|[?x]{1,2}))?\W*$|.*\?\?", re.I
)


class _TableReading(_ReaderBase):
    """Schedule tables: one ParsedRow per dated row."""

    def table(self, header: list[str], line: int, start: int) -> int:
        """Reads the table whose header is on ``line``; returns the index after it."""
        body: list[tuple[int, list[str]]] = []
        index = start
        lines = self.lines
        while index < len(lines):
            raw = lines[index]
            stripped = raw.strip()
            if not stripped or _is_break(stripped) or _FENCE.match(raw):
                break
            if "|" not in stripped and _BLOCK_START.match(raw):
                break
            body.append((index + 1, split_row(raw)))
            index += 1
        if len(header) > MAX_COLUMNS:
            self.issue(
                line,
                f"the table has {len(header):,} columns; only the first {MAX_COLUMNS} are "
                "read, the rest of each row is left out",
            )
            header = header[:MAX_COLUMNS]
        columns = map_headers(header)
        if DATE not in columns.roles:
            _infer_date_column(columns, body, header)
        if DATE not in columns.roles or not (
            PAPER in columns.roles or PRESENTER in columns.roles or columns.extras
        ):
            self.issue(line, "a table without a Date column, not a schedule", SKIPPED)
            return index
        if PAPER not in columns.roles and PRESENTER not in columns.roles:
            _infer_paper_column(columns, body)
        self._rows(columns, header, line, body)
        return index

    def _rows(
        self, columns: Columns, header: list[str], line: int, body: list[tuple[int, list[str]]]
    ) -> None:
        date_index = columns.roles[DATE]
        width = len(header)
        dates = [
            reader_text(cells[date_index]) if date_index < len(cells) else "" for _, cells in body
        ]
        if body and not any(written_date(d) for d in dates if d):
            times = [d for d in dates if d]
            if times and all(_TIMEISH.match(d) for d in times):
                self.issue(
                    line,
                    "a table of times of day (a timetable), not of dated sessions",
                    SKIPPED,
                )
                return
        self.doc.tables += 1
        if self.stack:
            self.issue(
                line,
                f"a schedule table inside <details> {self.stack[-1].name or ''}; read as "
                "part of the schedule",
            )
        column = read_date_column(
            dates, date_format=self.date_format, hints=self.year_hints(), today=self.today
        )
        for note in column.notes:
            self.issue(line, note)
        continues = _uses_continuation_rows(dates)
        previous: ParsedRow | None = None
        issues = self.doc.issues
        has_presenter = PRESENTER in columns.roles
        for position, (row_line, cells) in enumerate(body):
            if len(cells) > width:
                surplus = len(cells) - width
                self.issue(row_line, f"{surplus:,} cell(s) beyond the last column were ignored")
                cells = cells[:width]
            if not any(c.strip() for c in cells):
                self.issue(row_line, "an empty row", SKIPPED)
                continue
            longest = max(len(c) for c in cells)
            if longest > MAX_CELL:
                self.issue(
                    row_line,
                    f"a cell of {longest:,} characters, more than the {MAX_CELL:,} a cell may hold",
                    SKIPPED,
                )
                previous = None
                continue
            by_role = {
                role: self._prepare(cells[i]) for role, i in columns.roles.items() if i < len(cells)
            }
            extras = {
                name: self._prepare(cells[i])
                for i, name in columns.extras.items()
                if i < len(cells) and cells[i].strip()
            }
            date_text = dates[position]
            readers = [reader_text(by_role.get(r, "")) for r in (PRESENTER, PAPER)]
            if all(is_placeholder(reader_text(c)) for c in cells):
                self.issue(row_line, "a row of placeholders only", SKIPPED)
                continue
            stop = no_meeting(*readers, date_text)
            if stop is not None:
                what = f" on {date_text}" if date_text else ""
                self.issue(row_line, f"no meeting{what} ({stop!r})", SKIPPED)
                previous = None
                continue
            day = column.days[position]
            if not date_text and previous is not None and continues:
                part = interpret_row(
                    row_line,
                    by_role,
                    extras,
                    issues,
                    day=previous.day,
                    date_text=previous.date_text,
                    has_presenter=has_presenter,
                )
                join_rows(previous, part)
                self.issue(row_line, f"no date: continues the session of line {previous.line}")
                continue
            if day is None:
                problem = column.problems.get(position)
                if problem is None or is_placeholder(date_text) or _NO_DAY.match(date_text):
                    self.issue(
                        row_line,
                        "no date yet (a session still to be scheduled): give it a date to "
                        "import it",
                        SKIPPED,
                    )
                else:
                    self.issue(row_line, problem, SKIPPED)
                previous = None
                continue
            parsed = interpret_row(
                row_line,
                by_role,
                extras,
                issues,
                day=day,
                date_text=date_text,
                has_presenter=has_presenter,
            )
            self.doc.rows.append(parsed)
            previous = parsed


def _alignment(line: str, columns: int) -> bool:
    """The delimiter row under a header (GFM), also with empty cells between dashed ones as
    kramdown accepts them (``| :--- | | :--- ||``)."""
    if is_alignment_row(line, columns):
        return True
    if "-" not in line or "|" not in line:
        return False
    cells = split_row(line)
    if len(cells) != columns:
        return False
    return all(re.fullmatch(r":?-*:?", c.replace(" ", "")) for c in cells) and any(
        "-" in c for c in cells
    )


def _uses_continuation_rows(dates: list[str]) -> bool:
    """Whether rows without a date sit between dated rows: the table lists a session's
    papers on rows of their own (rows without a date only at the end are not yet
    scheduled)."""
    seen_dated = False
    waiting = False
    for text in dates:
        if text and not is_placeholder(text):
            if waiting:
                return True
            seen_dated = True
        elif not text and seen_dated:
            waiting = True
    return False


def _infer_date_column(
    columns: Columns, body: list[tuple[int, list[str]]], header: list[str]
) -> None:
    """A table whose Date column has another name: the column most of whose cells are dates."""
    best: tuple[float, int] | None = None
    for index in range(len(header)):
        if index in columns.roles.values():
            continue
        values = [reader_text(cells[index]) for _, cells in body if index < len(cells)]
        values = [v for v in values if v and not is_placeholder(v)]
        if not values:
            continue
        share = sum(1 for v in values if written_date(v) is not None) / len(values)
        if share >= 0.5 and (best is None or share > best[0]):
            best = (share, index)
    if best is not None:
        columns.roles[DATE] = best[1]
        columns.extras.pop(best[1], None)


def _infer_paper_column(columns: Columns, body: list[tuple[int, list[str]]]) -> None:
    """A table without a Paper column: the kept column with the most links, else the one
    with the most text, holds what the session is about."""
    best: tuple[int, int, int] | None = None
    for index in columns.extras:
        values = [cells[index] for _, cells in body if index < len(cells)]
        links = sum(v.count("](http") + v.count("://") for v in values)
        text = sum(len(plain_text(v)) for v in values)
        if best is None or (links, text) > best[:2]:
            best = (links, text, index)
    if best is not None and (best[0] or best[1]):
        columns.roles[PAPER] = best[2]
        columns.extras.pop(best[2], None)


__all__ = ["MAX_CELL", "MAX_COLUMNS"]
