"""Reading a README-style schedule: the table(s) and the ``<details>`` reading list.

Pure and offline: the result says, row by row, what each line means (a session of some kind
with its papers, links and comments; a reading-list topic with items) and, line by line,
what could not be understood. Nothing here touches the database; ``markdown.py`` plans and
applies the changes.

Reads the group's README as it really is: rows with missing trailing cells or only a date,
raw URLs instead of links, several links per cell, links outside arXiv, "Continue" rows,
bold block names with part numbers, topic rows whose papers sit in the Authors column, text
in the Code column of a row without a paper, the nested reading list (also with a missing
``</details>``), and whatever bytes the file holds. Also reads other groups' tables by their
header names (``Week | Date | Time | Place | Paper``, ``Date | Presenter | Paper | Why should
we care | Conference | Repo``); unknown columns are kept as notes.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import date, time
from urllib.parse import urlsplit

from bot.dates import MONTHS
from bot.errors import InvalidInput
from bot.markdown.render import canonical_comment
from bot.markdown.syntax import (
    BOLD,
    LINK,
    TEXT,
    URL,
    Seg,
    escape,
    is_alignment_row,
    link_segments,
    plain,
    plain_text,
    render,
    split_row,
    strip_segments,
    text_outside_links,
    tokenize,
)
from bot.papers.arxiv_ids import UrlKind, classify_url, parse_arxiv_ref
from bot.papers.links import extract_links
from storage.models import PaperRole, SessionKind
from storage.repositories.papers import arxiv_key, url_key

MAX_URL = 2000
MAX_KEY = 600
MAX_NAME = 200
MAX_LABEL = 300
MAX_DURATION = 12 * 60

COLUMN_ALIASES: dict[str, frozenset[str]] = {
    "date": frozenset({"date", "day", "when", "datum"}),
    "time": frozenset({"time", "start", "start time", "hour", "at"}),
    "paper": frozenset(
        {"paper", "papers", "title", "topic", "reading", "readings", "session", "what"}
    ),
    "authors": frozenset({"authors", "author", "by"}),
    "code": frozenset({"code", "repo", "repos", "repository", "github", "implementation"}),
    "demo": frozenset({"demo", "demos", "colab", "notebook"}),
    "comments": frozenset({"comments", "comment", "discussion", "questions", "remarks"}),
    "presenter": frozenset(
        {"presenter", "presenters", "presented by", "speaker", "host", "lead", "moderator"}
    ),
}
_ALIAS = {alias: role for role, aliases in COLUMN_ALIASES.items() for alias in aliases}


@dataclass(slots=True)
class Issue:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass(slots=True)
class PaperRef:
    """A paper as a cell names it: the key that identifies it and what the cell says."""

    ref_key: str
    url: str | None
    arxiv_id: str | None
    arxiv_version: int | None
    text: str | None  # the link text as written; None for a raw URL
    fallback_title: str

    @property
    def title(self) -> str:
        return self.text or self.fallback_title


@dataclass(slots=True)
class RowPaper:
    ref: PaperRef
    role: str = PaperRole.MAIN


@dataclass(slots=True)
class ParsedRow:
    """One schedule row as the file writes it.

    A file can hold many thousands of rows, all alive until the import is planned: what a
    row holds is kept in strings and tuples (of strings, where the garbage collector stops
    tracking them) rather than in lists and segments; the planner reads the Paper and
    Authors cells again (``cell_segments``) only for a row whose wording it keeps."""

    line: int
    day: date
    date_text: str
    kind: str
    title: str | None = None
    block_name: str | None = None
    block_part: int | None = None
    papers: tuple[RowPaper, ...] = ()
    paper_cell: str = ""  # the Paper cell as the file writes it
    paper_markup: str = ""  # the same as the exporter would write it
    authors_cell: str = ""
    authors_markup: str = ""
    authors: tuple[str, ...] | None = None  # the Authors cell as names (rows with one paper)
    code_links: tuple[tuple[str, str], ...] = ()  # (name, url)
    demo_links: tuple[tuple[str, str], ...] = ()
    code_note: str | None = None
    demo_note: str | None = None
    comments: tuple[str, ...] = ()
    start_time: time | None = None
    duration: int | None = None
    presenter_name: str | None = None
    presenter_id: int | None = None
    has_presenter_column: bool = False
    has_extra_columns: bool = False  # the table has columns the README shape has not
    extras: dict[str, str] = field(default_factory=dict)
    single_paper: bool = False  # exactly one paper in the main role


@dataclass(slots=True)
class ParsedItem:
    line: int
    read: bool
    ref: PaperRef
    label: str | None = None


@dataclass(slots=True)
class ParsedTopic:
    line: int
    name: str | None
    items: list[ParsedItem] = field(default_factory=list)
    children: list[ParsedTopic] = field(default_factory=list)


@dataclass(slots=True)
class ParsedDocument:
    title: str | None = None
    rows: list[ParsedRow] = field(default_factory=list)
    topics: list[ParsedTopic] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    tables: int = 0

    @property
    def item_count(self) -> int:
        def count(topics: list[ParsedTopic]) -> int:
            return sum(len(t.items) + count(t.children) for t in topics)

        return count(self.topics)

    @property
    def is_schedule(self) -> bool:
        return bool(self.rows) or self.item_count > 0


# ----------------------------------------------------------------------------------------
# Text clean-up

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_MENTION = re.compile(r"@(?=everyone\b|here\b)|<@(?=[!&]?\d+>)", re.IGNORECASE)


def clean(text: str) -> str:
    """Control characters out; nothing else changes (odd bytes stay as they are)."""
    return _CONTROL.sub("", text) if _CONTROL.search(text) else text


def defuse(text: str) -> tuple[str, bool]:
    """Mass and member mentions made inert (a zero-width space after the @)."""
    if "@" not in text:
        return text, False
    changed = _MENTION.sub(lambda m: m.group(0) + "\u200b", text)
    return changed, changed != text


def _one_line(text: str) -> str:
    return " ".join(text.split())


# ----------------------------------------------------------------------------------------
# Dates and times

_DOTTED = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_SLASHED = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_WORDY_DMY = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})\b")
_WORDY_MDY = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")
_MONTH = {name: i + 1 for i, name in enumerate(MONTHS)} | {
    name[:3]: i + 1 for i, name in enumerate(MONTHS)
}
_MONTH["sept"] = 9


def parse_day(text: str, date_format: str = "DD.MM.YYYY") -> date:
    """A date as a README writes it; the guild's format settles 03/04/2025."""
    raw = text.strip()
    try:
        if m := _DOTTED.search(raw):
            return date(int(m[3]), int(m[2]), int(m[1]))
        if m := _ISO.search(raw):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _SLASHED.search(raw):
            first, second, year = int(m[1]), int(m[2]), int(m[3])
            if date_format == "MM/DD/YYYY" or (first <= 12 < second):
                return date(year, first, second)
            if date_format == "DD/MM/YYYY" or first > 12 or first == second:
                return date(year, second, first)
            raise InvalidInput(f"{m[0]!r} is ambiguous (day/month or month/day?)")
        if (m := _WORDY_DMY.search(raw)) and m[2].lower() in _MONTH:
            return date(int(m[3]), _MONTH[m[2].lower()], int(m[1]))
        if (m := _WORDY_MDY.search(raw)) and m[1].lower() in _MONTH:
            return date(int(m[3]), _MONTH[m[1].lower()], int(m[2]))
    except ValueError:
        raise InvalidInput(f"{raw[:40]!r} is not a date that exists") from None
    raise InvalidInput(f"{raw[:40]!r} is not a date")


_CLOCK = re.compile(
    r"(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?(?=\s|$|[-–—~]|to\b)", re.IGNORECASE
)


def _clock(match: re.Match[str]) -> time | None:
    hour, minute = int(match[1]), int(match[2] or 0)
    ampm = (match[3] or "").lower().replace(".", "")
    if not match[2] and not ampm:
        return None
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_clock(text: str) -> tuple[time, int | None]:
    """'16:00', '4pm', '16:00–17:30' → (start, minutes or None)."""
    found = [_clock(m) for m in _CLOCK.finditer(text.strip())]
    times = [t for t in found if t is not None]
    if not times:
        raise InvalidInput(f"{text.strip()[:30]!r} is not a time of day")
    start = times[0]
    if len(times) > 1:
        minutes = (times[1].hour * 60 + times[1].minute) - (start.hour * 60 + start.minute)
        if 0 < minutes <= MAX_DURATION:
            return start, minutes
    return start, None


# ----------------------------------------------------------------------------------------
# Papers and links


def canonical_url(url: str) -> str:
    """The URL as a paper's identity: host in lower case, no fragment."""
    url = url.strip()
    if url.lower().startswith("www."):
        url = "https://" + url
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.lower(), fragment="").geturl()


def _bounded_key(key: str) -> str:
    if len(key) <= MAX_KEY:
        return key
    digest = hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()
    return f"{key[: MAX_KEY - 42]}#{digest}"


_ARXIV_ABS = re.compile(
    r"^https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5}(?:v\d+)?)(?:\.pdf)?/?$"
)


def paper_ref(url: str, text: str | None) -> PaperRef | None:
    """The paper a link points to (arXiv by id, anything else by its URL)."""
    if len(url) > MAX_URL:
        return None
    simple = _ARXIV_ABS.match(url)
    if simple or classify_url(url) is UrlKind.ARXIV:
        try:
            ref = parse_arxiv_ref(simple[1] if simple else url)
        except InvalidInput:
            ref = None
        if ref is not None:
            return PaperRef(arxiv_key(ref.id), url, ref.id, ref.version, text, f"arXiv:{ref.id}")
    key = _bounded_key(url_key(canonical_url(url)))
    return PaperRef(key, url, None, None, text, url)


def title_ref(title: str) -> PaperRef:
    """A paper the file names without a link."""
    key = _bounded_key("title:" + " ".join(title.casefold().split()))
    return PaperRef(key, None, None, None, title, title)


def link_name(url: str, column: str) -> str:
    """A name for a raw URL in the Code or Demo column, in the README's words."""
    found = extract_links(url)
    name = (found.code or found.demo)[0].name if found else ("Demo" if column == "demo" else "Link")
    if column == "demo" and name == "Project Page":
        return "Demo"
    return name


_SEPARATORS = re.compile(r"^[\s,;+&/·–—-]*$")


def _link_cell(segments: list[Seg], column: str) -> tuple[tuple[tuple[str, str], ...], str | None]:
    """Named links of a Code/Demo cell and any text that is not a link or a separator."""
    if not segments:
        return (), None
    found: list[tuple[str, str]] = []
    for kind, text, url in segments:
        if kind == LINK:
            found.append((_one_line(text), url))
        elif kind == URL:
            found.append((link_name(url, column), url))
    rest = text_outside_links(segments)
    note = None if _SEPARATORS.match(rest) else _one_line(rest)
    return tuple(found), note


# ----------------------------------------------------------------------------------------
# Rows

_TBA = frozenset({"tba", "tbd", "tbc", "?", "-", "—", "n/a"})
_CONTINUE = re.compile(r"^\W*(?:still\b.{0,20}?)?\bcontinu(?:e|ed|es|ing|ation)\b", re.I)
_PART = re.compile(r"^\s*Part\s+(\d{1,4})\b\.?\s*(.*)$", re.I | re.S)
_PLAIN_BLOCK = re.compile(r"^(.{1,100}?\bBlock)\b\.?\s*Part\s+(\d{1,4})\b\.?\s*(.*)$", re.I | re.S)
_COMMENT_SPLIT = re.compile(r"(?:<br\s*/?>\s*){2,}", re.I)
_SEE_ALSO = re.compile(r"^\s*see\s+also\s*:\s*", re.I)
_PRESENTER_ID = re.compile(r"<@!?(\d{15,21})>")
_AUTHOR_SEPARATOR = re.compile(r"[;,]")
_DEFUSED_COLUMNS = ("paper", "authors", "code", "demo", "comments")


class _Row:
    """Interprets one table row; collects issues on the way."""

    __slots__ = ("issues", "line")

    def __init__(self, line: int, issues: list[Issue]) -> None:
        self.line = line
        self.issues = issues

    def note(self, message: str) -> None:
        self.issues.append(Issue(self.line, message))

    def text(self, value: str, what: str) -> str:
        if "@" not in value:
            return value
        value, defused = defuse(value)
        if defused:
            self.note(f"a mention in the {what} was made inert")
        return value

    def refs(self, links: list[Seg]) -> list[PaperRef]:
        """The papers of link segments, in order."""
        out = []
        for seg in links:
            ref = paper_ref(seg.url, self.text(_one_line(seg.text), "link text") or None)
            if ref is None:
                self.note("a link longer than 2,000 characters was left out")
                continue
            out.append(ref)
        return out

    def comments(self, markup: str) -> tuple[list[str], list[PaperRef]]:
        comments: list[str] = []
        see_also: list[PaperRef] = []
        if not markup:
            return comments, see_also
        for chunk in _COMMENT_SPLIT.split(markup) if "<" in markup else (markup,):
            segments = strip_segments(tokenize(chunk))
            if not segments:
                continue
            outside = text_outside_links(segments)
            prefix = _SEE_ALSO.match(outside)
            if prefix and _SEPARATORS.match(outside[prefix.end() :]):
                links = link_segments(segments)
                if links:
                    see_also.extend(self.refs(links))
                    continue
            text = self.text(render(segments, "\n"), "comment")
            if "\n" in text:
                text = canonical_comment(text)
            if text:
                comments.append(text)
        return comments, see_also


def cell_segments(markup: str) -> list[Seg]:
    """A cell's segments, without the whitespace around them."""
    return strip_segments(tokenize(markup))


def _block(segments: list[Seg]) -> tuple[str, int | None, list[Seg]] | None:
    """("RLHF Block", 2, rest) for ``**RLHF Block.** Part 2. …`` (or without the bold)."""
    if segments and segments[0].kind == BOLD:
        name = segments[0].text.strip().rstrip(".:").strip()
        rest = segments[1:]
        head = rest[0].text if rest and rest[0].kind == TEXT else ""
        match = _PART.match(head)
        if name and match:
            remainder = [Seg(TEXT, match[2])] if match[2] else []
            return name, int(match[1]), remainder + rest[1:]
        if name and not plain(rest).strip():
            return name, None, []
        return None
    if segments and segments[0].kind == TEXT:
        match = _PLAIN_BLOCK.match(segments[0].text)
        if match:
            remainder = [Seg(TEXT, match[3])] if match[3] else []
            return match[1].strip(), int(match[2]), remainder + segments[1:]
    return None


def _title(segments: list[Seg], row: _Row) -> str | None:
    text = _one_line(plain(segments))
    return row.text(text, "title") or None


def interpret_row(
    line: int,
    cells: dict[str, str],
    extras: dict[str, str],
    issues: list[Issue],
    date_format: str,
    has_presenter: bool,
) -> ParsedRow | None:
    row = _Row(line, issues)
    defused_any = False
    for name in _DEFUSED_COLUMNS:
        value = cells.get(name)
        if value is not None and "@" in value:
            cells[name], defused = defuse(value)
            defused_any = defused_any or defused
    if defused_any:
        row.note("a mention (@everyone, @here or a member) was made inert")
    date_cell = plain_text(cells.get("date", "")).strip()
    if not date_cell:
        row.note("the row has no date; skipped")
        return None
    try:
        day = parse_day(date_cell, date_format)
    except InvalidInput as exc:
        row.note(f"{exc}; the row was skipped")
        return None
    start_time: time | None = None
    duration: int | None = None
    if time_cell := plain_text(cells.get("time", "")).strip():
        try:
            start_time, duration = parse_clock(time_cell)
        except InvalidInput as exc:
            row.note(f"{exc}; the usual meeting time is used")

    paper_cell = cells.get("paper", "")
    authors_cell = cells.get("authors", "")
    paper_segments = cell_segments(paper_cell)
    authors_segments = cell_segments(authors_cell)
    code_segments = cell_segments(cells.get("code", ""))
    demo_segments = cell_segments(cells.get("demo", ""))

    prose = _one_line(text_outside_links(paper_segments))
    paper_links = link_segments(paper_segments)
    author_links = link_segments(authors_segments)
    refs = row.refs(paper_links) + row.refs(author_links)
    authors_plain = _one_line(plain(authors_segments))
    has_more = bool(authors_plain or code_segments or demo_segments)

    title: str | None = None
    block_name: str | None = None
    block_part: int | None = None
    block = _block(paper_segments)
    if block is not None:
        kind = SessionKind.BLOCK_PART
        name, block_part, rest = block
        block_name = row.text(name[:MAX_NAME], "block name")
        title = _title(rest, row)
    elif not author_links and (
        not paper_segments or (not paper_links and prose.lower().strip(".!") in _TBA)
    ):
        kind = SessionKind.TBA
    elif _CONTINUE.match(prose):
        kind = SessionKind.CONTINUE
        title = _title(paper_segments, row)
        if title and title.strip(" .!").lower() == "continue":
            title = None
    elif paper_links and not prose.strip(" ,;+&"):
        kind = SessionKind.PAPER
    elif paper_links or author_links:
        kind = SessionKind.TOPIC
        title = _title(paper_segments, row)
    elif has_more:
        # A title without a link, with authors or code: a paper the file does not link.
        kind = SessionKind.PAPER
        refs = [title_ref(_title(paper_segments, row) or "Untitled")]
    else:
        kind = SessionKind.SPECIAL
        title = _title(paper_segments, row)

    papers: list[RowPaper] = []
    seen: set[str] = set()
    for ref in refs:
        if ref.ref_key not in seen:
            seen.add(ref.ref_key)
            papers.append(RowPaper(ref))
    single_paper = len(papers) == 1  # the file's own papers are the main ones

    authors: tuple[str, ...] | None = None
    if single_paper and not author_links:
        authors = ()
        if authors_plain and authors_plain.upper() not in ("TBA", "TBD"):
            names = [row.text(n.strip(), "authors") for n in _AUTHOR_SEPARATOR.split(authors_plain)]
            authors = tuple([n for n in names if n])

    code_links, code_note = _link_cell(code_segments, "code")
    demo_links, demo_note = _link_cell(demo_segments, "demo")
    comments, see_also = row.comments(cells.get("comments", ""))
    if not papers:
        for column, note in (("Code", code_note), ("Demo", demo_note)):
            if note:
                # "| 29.02.2024 | Continue | | Fig. 2 is unclear. … |": a comment one column early
                row.note(f"the {column} column holds text, not a link; read as a comment")
                comments.insert(0, canonical_comment(row.text(escape(note, "\n"), "comment")))
        code_note = demo_note = None
    if code_note:
        code_note = row.text(code_note, "note")
    if demo_note:
        demo_note = row.text(demo_note, "note")
    for ref in see_also:
        if ref.ref_key not in seen:
            seen.add(ref.ref_key)
            papers.append(RowPaper(ref, PaperRole.SEE_ALSO))

    presenter_name: str | None = None
    presenter_id: int | None = None
    if has_presenter:
        presenter = plain_text(cells.get("presenter", "")).strip()
        if match := _PRESENTER_ID.search(presenter):
            presenter_id = int(match[1])
        elif presenter:
            presenter_name = row.text(_one_line(presenter)[:MAX_NAME], "presenter")
    kept = {
        name: row.text(_one_line(plain_text(value)), name)
        for name, value in extras.items()
        if value.strip()
    }
    return ParsedRow(
        line,
        day,
        date_cell,
        kind,
        title,
        block_name,
        block_part,
        tuple(papers),
        paper_cell,
        render(paper_segments),
        authors_cell,
        render(authors_segments),
        authors,
        code_links,
        demo_links,
        code_note,
        demo_note,
        tuple(comments),
        start_time,
        duration,
        presenter_name,
        presenter_id,
        has_presenter,
        bool(extras),
        kept,
        single_paper,
    )


# ----------------------------------------------------------------------------------------
# Tables


def _header_name(cell: str) -> str:
    return _one_line(plain_text(cell))


def map_headers(names: list[str]) -> tuple[dict[str, int], dict[int, str]]:
    """Known columns by role, and the unknown ones by position (kept as notes)."""
    roles: dict[str, int] = {}
    extras: dict[int, str] = {}
    for index, name in enumerate(names):
        key = re.sub(r"[^\w ]+", " ", name.lower())
        key = " ".join(key.split())
        role = _ALIAS.get(key)
        if role is None and key.endswith("s") and key[:-1] in _ALIAS:
            role = _ALIAS[key[:-1]]
        if role is not None and role not in roles:
            roles[role] = index
        else:
            extras[index] = name or f"Column {index + 1}"
    return roles, extras


def _table_rows(
    lines: list[str],
    start: int,
    roles: dict[str, int],
    extras: dict[int, str],
    doc: ParsedDocument,
    date_format: str,
) -> int:
    """Reads rows from ``start``; returns the index of the first line after the table."""
    index = start
    columns = max([*roles.values(), *extras.keys()], default=0) + 1
    while index < len(lines):
        raw = lines[index]
        stripped = raw.strip()
        if not stripped or "|" not in stripped or _is_break(stripped):
            break
        line = index + 1
        cells = split_row(raw)
        index += 1
        if not any(c.strip() for c in cells):
            doc.issues.append(Issue(line, "an empty row; skipped"))
            continue
        if len(cells) > columns:
            doc.issues.append(
                Issue(line, f"{len(cells) - columns} cell(s) beyond the last column were ignored")
            )
        by_role = {role: cells[i] for role, i in roles.items() if i < len(cells)}
        row_extras = {name: cells[i] for i, name in extras.items() if i < len(cells)}
        parsed = interpret_row(
            line, by_role, row_extras, doc.issues, date_format, "presenter" in roles
        )
        if parsed is not None:
            doc.rows.append(parsed)
    return index


# ----------------------------------------------------------------------------------------
# The document

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_BREAK = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_TAG = re.compile(
    r"<details\b[^>]*>|</details\s*>|<summary\b[^>]*>(?P<summary>.*?)</summary\s*>", re.I
)
_ITEM = re.compile(r"^\s*[-*+]\s+(?:\[(?P<mark>[ xX])\](?:\s+|$))?(?P<rest>.*)$")
_TAGS = re.compile(r"<[^>]+>")


def _is_break(line: str) -> bool:
    return bool(_BREAK.match(line))


class _Reader:
    def __init__(self, text: str, date_format: str) -> None:
        self.lines = text.split("\n")
        self.date_format = date_format
        self.doc = ParsedDocument()
        self.stack: list[ParsedTopic] = []
        self.heading: str | None = None
        self.loose: ParsedTopic | None = None  # topic of list items outside <details>

    def issue(self, line: int, message: str) -> None:
        self.doc.issues.append(Issue(line, message))

    def read(self) -> ParsedDocument:
        lines = self.lines
        index = 0
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
            if not stripped or _is_break(stripped):
                continue
            if stripped.startswith("<!--"):
                while "-->" not in lines[index - 1] and index < len(lines):
                    index += 1
                continue
            if m := _HEADING.match(raw):
                text = _one_line(plain_text(m[2]))
                if self.doc.title is None and not self.doc.rows and m[1] == "#":
                    self.doc.title = defuse(text)[0][:MAX_NAME] or None
                self.heading = text or None
                self.loose = None
                continue
            if "|" in stripped and index < len(lines):
                header = split_row(raw)
                if len(header) >= 2 and is_alignment_row(lines[index], len(header)):
                    index = self.table(header, line, index + 1)
                    continue
            if stripped.startswith("<") and _TAG.search(stripped):
                self.tags(stripped, line)
                continue
            if m := _ITEM.match(raw):
                self.item(m, line)
                continue
            self.issue(line, "not part of the schedule table or the reading list; ignored")
        for topic in self.stack:
            self.issue(
                topic.line,
                f"<details> {topic.name or ''!s} is never closed; closed at the end of the file",
            )
        return self.doc

    def table(self, header: list[str], line: int, start: int) -> int:
        names = [_header_name(c) for c in header]
        roles, extras = map_headers(names)
        if "date" not in roles or "paper" not in roles:
            self.issue(
                line,
                "a table without Date and Paper columns (or Topic/Title); not read as a schedule",
            )
            index = start
            while index < len(self.lines) and "|" in self.lines[index]:
                index += 1
            return index
        self.doc.tables += 1
        return _table_rows(self.lines, start, roles, extras, self.doc, self.date_format)

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
                    self.issue(topic.line, "a <details> block without <summary>")
            else:
                name = _one_line(html.unescape(_TAGS.sub("", match["summary"] or "")))
                name = defuse(clean(name))[0][:MAX_NAME]
                if self.stack and self.stack[-1].name is None:
                    self.stack[-1].name = name or "Untitled topic"
                else:
                    self.issue(line, "a <summary> outside a <details> block; ignored")
        self.loose = None

    def item(self, match: re.Match[str], line: int) -> None:
        segments = strip_segments(tokenize(match["rest"]))
        if not segments:
            self.issue(line, "an empty list item; ignored")
            return
        found = link_segments(segments)
        row = _Row(line, self.doc.issues)
        if found:
            first = found[0]
            position = segments.index(first)
            before = _one_line(plain(segments[:position]))
            after = _one_line(plain(segments[position + 1 :]))
            text = row.text(_one_line(first.text), "link text") or None
            ref = paper_ref(first.url, text)
            if ref is None:
                row.note("a link longer than 2,000 characters; item ignored")
                return
            if after:
                row.note(f"text after the link ignored: {after[:60]!r}")
            label = row.text(before[:MAX_LABEL], "label") or None
        else:
            title = row.text(_one_line(plain(segments)), "title")
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


def parse_document(text: str, *, date_format: str = "DD.MM.YYYY") -> ParsedDocument:
    """Everything the file says, in file order (rows as written; the planner sorts)."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return _Reader(clean(text), date_format).read()
