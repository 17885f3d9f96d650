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
"""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

from bot.dates import YearHint, read_date_column, written_date, year_hint
from bot.markdown.columns import DATE, PAPER, PRESENTER, Columns, map_headers
from bot.markdown.parsed import (
    SKIPPED,
    Issue,
    PaperRef,
    ParsedDocument,
    ParsedItem,
    ParsedRow,
    ParsedTopic,
    RowPaper,
)
from bot.markdown.rows import (
    MAX_LABEL,
    MAX_NAME,
    RowReader,
    cell_segments,
    clean,
    defuse,
    interpret_row,
    is_placeholder,
    join_rows,
    no_meeting,
    one_line,
    paper_ref,
    parse_clock,
    title_ref,
)
from bot.markdown.syntax import (
    html_links,
    is_alignment_row,
    link_segments,
    plain,
    plain_text,
    reader_text,
    split_row,
    strip_segments,
    tokenize,
)
from bot.papers.arxiv_ids import UrlKind, classify_url

__all__ = [
    "MAX_CELL",
    "MAX_COLUMNS",
    "Issue",
    "PaperRef",
    "ParsedDocument",
    "ParsedItem",
    "ParsedRow",
    "ParsedTopic",
    "RowPaper",
    "cell_segments",
    "paper_ref",
    "parse_clock",
    "parse_document",
    "title_ref",
]

MAX_COLUMNS = 64
MAX_CELL = 20_000

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_BREAK = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_TAG = re.compile(
    r"<details\b[^>]*>|</details\s*>|<summary\b[^>]*>(?P<summary>.*?)</summary\s*>", re.I
)
_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+(?:\[(?P<mark>[ xX])\](?:\s+|$))?(?P<rest>.*)$")
_TAGS = re.compile(r"<[^>]+>")
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_REFERENCE = re.compile(r"^\s{0,3}\[(?P<label>[^\]\n]{1,200})\]:\s*<?(?P<url>[^\s>]+)>?(?:\s+.*)?$")
_REF_USE = re.compile(r"\[(?P<text>[^\[\]\n]+)\]\s?\[(?P<label>[^\[\]\n]*)\]")
_EMPTY_LINK = re.compile(r"\[(?P<text>[^\[\]\n]*)\]\(\s*\)")
_BLOCK_START = re.compile(r"^\s{0,3}(?:#{1,6}\s|>|```|~~~|[-*+]\s|\d{1,3}[.)]\s|<)")
_FRONT_KEY = re.compile(r"^\s*(?P<key>[A-Za-z_][\w.-]*)\s*[:=]\s*(?P<value>.*?)\s*$")
_READING_HEADING = re.compile(
    r"\b(?:reading\s*list|papers?\s+(?:to\s+read|list|queue|backlog|pool|candidates|"
    r"suggestions)|to[\s-]read|readings|(?:candidate|future|suggested|proposed|upcoming)\s+"
    r"papers|backlog|wish\s*list|bibliography)\b|论文列表|阅读列表|读书清单|文献リスト",
    re.IGNORECASE,
)
_CLOCK_TIME = r"\d{1,2}(?:[:.h]\d{2})?\s*(?:[ap]\.?m\.?)?"
_TIMEISH = re.compile(rf"^\s*{_CLOCK_TIME}(?:\s*[-–~]\s*{_CLOCK_TIME})?\s*$", re.IGNORECASE)
# A date still to be set: "202?-??-??", "2020/", "2025-03", "TBA".
_NO_DAY = re.compile(
    r"^\W*(?:(?:19|20)[\d?x]{2}|[?x]{2,4})(?:\W*(?:\d{1,2}|[?x]{1,2}))?\W*$|.*\?\?", re.I
)
_YEAR_KEYS = ("year", "date", "semester", "term", "session", "season", "title")


def _is_break(line: str) -> bool:
    return bool(_BREAK.match(line))


def _strip_comments(text: str) -> tuple[str, list[int]]:
    """HTML comments removed (their line breaks kept, so line numbers stay); the lines of
    comments that are never closed."""
    unclosed: list[int] = []

    def blank(match: re.Match[str]) -> str:
        if not match.group(0).endswith("-->"):
            unclosed.append(text.count("\n", 0, match.start()) + 1)
        return "\n" * match.group(0).count("\n")

    if "<!--" not in text:
        return text, unclosed
    return _COMMENT.sub(blank, text), unclosed


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


class _Reader:
    def __init__(self, text: str, date_format: str, today: date | None) -> None:
        text, unclosed = _strip_comments(text)
        self.lines = text.split("\n")
        self.date_format = date_format
        self.today = today
        self.doc = ParsedDocument()
        self.stack: list[ParsedTopic] = []
        self.heading: str | None = None
        self.headings: list[tuple[int, str]] = []  # (level, text) of the current section
        self.loose: ParsedTopic | None = None  # topic of list items under a heading
        self.references: dict[str, str] = {}
        self.front: dict[str, str] = {}
        for line in unclosed:
            self.issue(line, "an HTML comment is never closed: the rest of the file is ignored")

    def issue(self, line: int, message: str, kind: str = "note") -> None:
        self.doc.issues.append(Issue(line, message, kind))

    # ------------------------------------------------------------------ the document

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

    def _collect_references(self, start: int) -> None:
        fence: str | None = None
        for raw in self.lines[start:]:
            if fence is not None:
                fence = None if raw.strip().startswith(fence) else fence
                continue
            if m := _FENCE.match(raw):
                fence = m[1]
                continue
            if (m := _REFERENCE.match(raw)) and "|" not in raw:
                self.references.setdefault(one_line(m["label"]).lower(), m["url"])

    def heading_line(self, level: int, markup: str) -> None:
        text = reader_text(markup)
        if self.doc.title is None and level == 1 and not self.doc.rows and not self.doc.tables:
            self.doc.title = defuse(clean(text))[0][:MAX_NAME] or None
        self.headings = [(lv, t) for lv, t in self.headings if lv < level] + [(level, text)]
        self.heading = text or None
        self.loose = None

    def year_hints(self) -> list[YearHint]:
        """Where a date without a year takes it from: the nearest heading first, then the
        front matter."""
        hints: list[YearHint] = []
        for _, text in reversed(self.headings):
            hint = year_hint(text, f"the heading {text[:60]!r}")
            if hint is not None:
                hints.append(hint)
        for key in _YEAR_KEYS:
            value = self.front.get(key)
            if value and (hint := year_hint(value, f"the front matter ({key}: {value[:40]})")):
                hints.append(hint)
                break
        return hints

    # ------------------------------------------------------------------ tables

    def _prepare(self, cell: str) -> str:
        """A cell with raw HTML links, reference-style links and empty links written as
        plain markdown."""
        if "<a" in cell or "<A" in cell:
            cell = html_links(cell)
        if "]" in cell:
            if "()" in cell or "( )" in cell:
                cell = _EMPTY_LINK.sub(lambda m: m["text"], cell)
            if self.references and "][" in cell.replace("] [", "]["):
                cell = _REF_USE.sub(self._resolve_reference, cell)
        return cell

    def _resolve_reference(self, match: re.Match[str]) -> str:
        label = one_line(match["label"] or match["text"]).lower()
        url = self.references.get(label)
        return f"[{match['text']}]({url})" if url else match.group(0)

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

    # ------------------------------------------------------------------ the reading list

    def tags(self, text: str, line: int) -> None:
        for match in _TAG.finditer(text):
            tag = match.group(0).lower()
            if tag.startswith("<details"):
                topic = ParsedTopic(line, None)
                (self.stack[-1].children if self.stack else self.doc.topics).append(topic)
                self.stack.append(topic)
            elif tag.startswith("</details"):
                if not self.stack:
                    self.issue(line, "</details> without a matching <details>; ignored")
                    continue
                topic = self.stack.pop()
                if topic.name is None:
                    topic.name = "Untitled topic"
                    if not topic.is_empty():
                        self.issue(topic.line, "a <details> block without <summary>")
            else:
                name = one_line(html.unescape(_TAGS.sub("", match["summary"] or "")))
                name = defuse(clean(name))[0][:MAX_NAME]
                if self.stack and self.stack[-1].name is None:
                    self.stack[-1].name = name or "Untitled topic"
                else:
                    self.issue(line, "a <summary> outside a <details> block; ignored")
        self.loose = None

    def item(self, match: re.Match[str], line: int) -> None:
        checkbox = match["mark"] is not None
        if not self.stack and not (self.heading and _READING_HEADING.search(self.heading)):
            return  # a bullet outside the reading list: prose, contributors, a contents list
        rest = self._prepare(match["rest"])
        segments = strip_segments(tokenize(rest))
        if not segments:
            if checkbox or self.stack:
                self.issue(line, "an empty list item; ignored")
            return
        found = [s for s in link_segments(segments) if not s.url.lower().endswith((".svg", ".png"))]
        if not self.stack and not checkbox and not any(_paperish(s) for s in found):
            return  # under a reading-list heading, only papers are items
        row = RowReader(line, self.doc.issues)
        if found:
            first = found[0]
            position = segments.index(first)
            before = one_line(plain(segments[:position]))
            after = one_line(plain(segments[position + 1 :]))
            text = row.text(one_line(first.text), "link text") or None
            ref = paper_ref(first.url, text)
            if ref is None:
                row.note("a link longer than 2,000 characters; item ignored")
                return
            if after:
                row.note(f"text after the link ignored: {after[:60]!r}")
            label = row.text(before[:MAX_LABEL], "label") or None
        else:
            title = row.text(one_line(plain(segments)), "title")
            ref, label = title_ref(title), None
        read = (match["mark"] or " ").lower() == "x"
        self.topic_for_item(line).items.append(ParsedItem(line, read, ref, label))

    def topic_for_item(self, line: int) -> ParsedTopic:
        if self.stack:
            topic = self.stack[-1]
            if topic.name is None:
                topic.name = "Untitled topic"
            return topic
        if self.loose is None:
            name = (self.heading or "Reading list")[:MAX_NAME]
            existing = [t for t in self.doc.topics if t.name == name]
            self.loose = existing[0] if existing else ParsedTopic(line, name)
            if not existing:
                self.doc.topics.append(self.loose)
        return self.loose


def _paperish(seg: Any) -> bool:
    if seg.url.startswith("#"):
        return False
    return classify_url(seg.url) is not UrlKind.OTHER or len(seg.text.split()) >= 3


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


def _pruned(topics: list[ParsedTopic]) -> list[ParsedTopic]:
    """Topics that hold papers (a <details> around a table or prose is not a topic)."""
    kept = []
    for topic in topics:
        topic.children = _pruned(topic.children)
        if not topic.is_empty():
            kept.append(topic)
    return kept


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


def parse_document(
    text: str, *, date_format: str = "DD.MM.YYYY", today: date | None = None
) -> ParsedDocument:
    """Everything the file says, in file order (rows as written; the planner sorts)."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return _Reader(clean(text), date_format, today).read()
