"""Reading a README-style schedule: its tables and its reading list.

Pure and offline: the result says, row by row, what each line means (a session of some kind
with its papers, links and comments; a reading-list topic with items) and, line by line,
what was skipped and why. Nothing here touches the database; ``importer.py`` plans and
applies the changes.

What real schedules contain and this reads: several tables in one file (one per term, in
any order), tables without outer pipes, YAML/TOML front matter, HTML comments (ignored),
CRLF, reference-style links, raw ``<a href>`` links, headers by meaning (``columns.py``),
dates in every common form settled per table (``bot.dates.read_date_column``; a date
without a year takes it from the rows around it, a heading or the front matter), rows
without a date that continue the session above them, rows with only a date and a
presenter, placeholder cells, rows that are not meetings (holidays, breaks: reported),
rows with no date yet (reported, never given one), and tables that are not sessions (a
timetable of times of day: skipped with a line). The reading list is what is one:
``<details>`` topics with ``- [x]``/``- [ ]`` items, or paper items under a heading such as
"Reading list"; never contributors, tables of contents, badges or prose bullets.

Limits are reported, never applied silently: a table wider than ``MAX_COLUMNS`` is read up
to that column, a row with a cell longer than ``MAX_CELL`` characters is skipped.

The reader's state is in ``reader.py``, tables in ``tables.py``, the reading list in
``readinglist.py``, one row in ``rows.py``.
"""

from __future__ import annotations

import re
from datetime import date

from bot.markdown.parsed import (
    Issue,
    PaperRef,
    ParsedDocument,
    ParsedItem,
    ParsedRow,
    ParsedTopic,
    RowPaper,
)
from bot.markdown.reader import _FENCE, _REFERENCE, _is_break
from bot.markdown.readinglist import _ITEM, _TAG, _ListReading, _pruned
from bot.markdown.syntax import split_row
from bot.markdown.tables import _alignment, _TableReading
from bot.markdown.wording import MAX_NAME, clean, defuse

__all__ = [
    "Issue",
    "PaperRef",
    "ParsedDocument",
    "ParsedItem",
    "ParsedRow",
    "ParsedTopic",
    "RowPaper",
    "parse_document",
]

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_FRONT_KEY = re.compile(r"^\s*(?P<key>[A-Za-z_][\w.-]*)\s*[:=]\s*(?P<value>.*?)\s*$")


def _front_matter(lines: list[str]) -> tuple[int, dict[str, str]]:
    """The lines a YAML (``---``) or TOML (``+++``) front matter takes, and its keys."""
    if not lines or lines[0].strip() not in ("---", "+++"):
        return 0, {}
    fence = lines[0].strip()
    values: dict[str, str] = {}
    for index in range(1, min(len(lines), 200)):
        line = lines[index]
        if line.strip() in (fence, "...") and index > 1:
            return index + 1, values
        if "|" in line:
            return 0, {}
        if match := _FRONT_KEY.match(line):
            values[match["key"].lower()] = match["value"].strip().strip("\"'")
        elif line.strip() and not line.startswith((" ", "\t", "-", "#")):
            return 0, {}
    return 0, {}


class _Reader(_TableReading, _ListReading):
    """The document line by line: headings, tables, ``<details>`` and list items."""

    def read(self) -> ParsedDocument:
        lines = self.lines
        index, self.front = _front_matter(lines)
        self._collect_references(index)
        fence: str | None = None
        while index < len(lines):
            raw = lines[index]
            line = index + 1
            stripped = raw.strip()
            index += 1
            if fence is not None:
                if stripped.startswith(fence):
                    fence = None
                continue
            if m := _FENCE.match(raw):
                fence = m[1]
                continue
            if not stripped or _is_break(stripped) or _REFERENCE.match(raw):
                continue
            if m := _HEADING.match(raw):
                self.heading_line(len(m[1]), m[2])
                continue
            if "|" in stripped and index < len(lines):
                header = split_row(raw)
                if len(header) >= 2 and _alignment(lines[index], len(header)):
                    index = self.table(header, line, index + 1)
                    continue
            if stripped.startswith("<") and _TAG.search(stripped):
                self.tags(stripped, line)
                continue
            if m := _ITEM.match(raw):
                self.item(m, line)
                continue
        for topic in self.stack:
            self.issue(
                topic.line,
                f"<details> {topic.name or ''!s} is never closed; closed at the end of the file",
            )
        self.doc.topics = _pruned(self.doc.topics)
        if self.doc.title is None and self.front.get("title"):
            self.doc.title = defuse(clean(self.front["title"]))[0][:MAX_NAME] or None
        return self.doc


def parse_document(
    text: str, *, date_format: str = "DD.MM.YYYY", today: date | None = None
) -> ParsedDocument:
    """Everything the file says, in file order (rows as written; the planner sorts)."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return _Reader(clean(text), date_format, today).read()
