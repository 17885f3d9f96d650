"""One row of a schedule table: the session its cells describe.

A row's cells arrive by role (``columns.py``): the Paper cell gives the kind of session and
its papers, the Authors, Code and Demo cells what the README knows about its paper, the
Presenter, Time and Comments cells the rest, and any other column is kept by its name.

The Paper cell is read the way people write it: links (a link to arXiv, to a paper
elsewhere, or whose text reads like a title is a paper; a link to a person or a slide
deck stays in the row's wording), several papers separated by commas, ``&``, "and",
``<br>`` or ``/``, a plain-text citation without a link ("Formalising Graph Algorithms with
Coinduction."), "Title – Authors", "Continue" rows, bold block names with part numbers,
and placeholders (``-``, ``TBD``, ``?``, ``Yes`` for "picked, not named yet").
"""

from __future__ import annotations

import re
from datetime import date, time

from bot.errors import InvalidInput
from bot.markdown.columns import (
    AUTHORS,
    CODE,
    COMMENTS,
    DEMO,
    PAPER,
    PAPER_LINK,
    PRESENTER,
    TIME,
    header_key,
)
from bot.markdown.columns import _role as role_of_header
from bot.markdown.parsed import Issue, PaperRef, ParsedRow, RowPaper
from bot.markdown.render import PRESENTER_LABEL, TIME_LABEL, canonical_comment
from bot.markdown.syntax import (
    BOLD,
    LINK,
    RELATIVE,
    TEXT,
    URL,
    Seg,
    escape,
    link_segments,
    plain,
    plain_text,
    reader_text,
    render,
    strip_segments,
    text_outside_links,
    tokenize,
)
from bot.papers.arxiv_ids import UrlKind, classify_url
from bot.papers.identity import of_title, of_url
from bot.papers.links import extract_links
from storage.models import PaperRole, SessionKind

MAX_NAME = 200
MAX_TITLE = 1000
MAX_LABEL = 300
MAX_DURATION = 12 * 60
MAX_EXTRA = 2000

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


def one_line(text: str) -> str:
    return " ".join(text.split())


# ----------------------------------------------------------------------------------------
# Placeholders and rows that are not meetings

_PLACEHOLDERS = frozenset(
    {
        "", "-", "--", "---", "—", "–", ".", "..", "...", "…", "?", "??", "???", "tba", "tbd",
        "tbc", "t.b.a.", "t.b.d.", "t.b.a", "t.b.d", "to be announced", "to be decided",
        "to be determined", "n/a", "na", "n.a.", "none", "[none]", "nil", "null", "[ ]", "[]",
        "yes", "✓", "✔", "x", "待定",
    }
)  # fmt: skip
_TBA_WORDS = frozenset({"tba", "tbd", "tbc", "?", "-", "—", "n/a"})


def is_placeholder(text: str) -> bool:
    """A cell that holds no value: empty, a dash, TBA, N/A, ``?``, ``Yes`` ("picked, not
    named yet"), an empty checkbox."""
    return text.strip().strip("*_").strip().lower() in _PLACEHOLDERS


_NO_MEETING = re.compile(
    r"""^\W*(?P<what>
      no\s+(?:meeting|session|class|lecture|seminar|talk|jc|journal\s+club|reading\s+group
            |rg|presenter|paper|discussion|group|reading)s?\b
    | cancell?ed\b | postponed\b | skipped\b | off\s+week\b
    | (?:public\s+|bank\s+|national\s+|school\s+)?holidays?\b
    | vacations?\b | recess\b | break\b | pause\b
    | (?:semester|spring|summer|winter|fall|autumn|mid-?term|mid-?semester|term|christmas
       |easter|thanksgiving|exams?|study|reading|lunar\s+new\s+year|new\s+years?|carnival)
      \s+(?:break|week|recess|pause|holidays?|vacation|period)\b
    | christmas\b | xmas\b | easter\b | thanksgiving\b | new\s+year'?s?\b | red\s+day\b
    | due\s+to\s+(?:a\s+|the\s+)?holidays?\b
    | 休会 | 停课 | 放假 | 休み | 休講 | 假期 | 暂停
    )""",
    re.IGNORECASE | re.VERBOSE,
)


def no_meeting(*texts: str) -> str | None:
    """The words saying a row is not a meeting ("No JC", "Holiday", "Semester Break",
    "Cancelled due to illness", "_Fall pause_"), or None. The phrase must lead the cell and
    the cell stay short, so a title such as "Break-It-Fix-It: …" is not mistaken."""
    for text in texts:
        if not text:
            continue
        match = _NO_MEETING.match(text)
        if match is None:
            continue
        rest = text[match.end() :]
        if ":" in rest or len(rest.split()) > 8:
            continue
        return one_line(text)[:60]
    return None


# ----------------------------------------------------------------------------------------
# Papers and links


def paper_ref(url: str, text: str | None) -> PaperRef | None:
    """The paper a link points to (arXiv by id, anything else by its URL)."""
    identity = of_url(url)
    if identity is None:
        return None
    if identity.arxiv is not None:
        ref = identity.arxiv
        return PaperRef(identity.key, url, ref.id, ref.version, text, f"arXiv:{ref.id}")
    return PaperRef(identity.key, url, None, None, text, url)


def title_ref(title: str) -> PaperRef:
    """A paper the file names without a link."""
    return PaperRef(of_title(title).key, None, None, None, title, title)


def link_name(url: str, column: str) -> str:
    """A name for a raw URL in the Code or Demo column, in the README's words."""
    found = extract_links(url)
    name = (found.code or found.demo)[0].name if found else ("Demo" if column == "demo" else "Link")
    if column == "demo" and name == "Project Page":
        return "Demo"
    return name


_SEPARATORS = re.compile(r"^[\s,;+&/·–—-]*$")
_PAPER_SPLIT = re.compile(r"\s*\n\s*|\s+/\s+|\s*;\s+")
_ARXIV_LINK = re.compile(r"^https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/\d{4}\.\d")
_JOINERS = re.compile(r"[\s,;+&/·–—\-]+|\b(?:and|und|et|y|or)\b|[和与、及]")
_GENERIC_LINK_TEXT = frozenset(
    {"here", "link", "pdf", "paper", "arxiv", "this", "url", "web", "site", "page"}
)
# The text of a link to what a session used rather than what it read: never a paper alone.
_MATERIAL_LINK_TEXT = frozenset(
    {
        "slides", "slide", "deck", "ppt", "pptx", "video", "recording", "youtube", "blog",
        "notes", "summary", "code", "demo", "colab", "talk", "poster", "homepage", "website",
    }
)  # fmt: skip
_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")


def is_separators(text: str) -> bool:
    """Only commas, ``&``, "and", slashes or spaces between links."""
    return not _JOINERS.sub("", text).strip()


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def _title_like(text: str) -> bool:
    flat = one_line(text)
    if flat.lower() in _GENERIC_LINK_TEXT:
        return False
    return _words(flat) >= 3 or (": " in flat and _words(flat) >= 2)


_CITATION_END = re.compile(r"[^.]\.\s*$|[?!]\s*$")
_QUOTED = re.compile(r"[\"“„«].{8,}[\"”»]")
_ET_AL = re.compile(r"\bet\s+al\b|\(\s*(?:19|20)\d\d\s*\)", re.IGNORECASE)


def citation_like(text: str) -> bool:
    """Plain text that reads as a paper's title or citation rather than a session's topic:
    a sentence-like title ending with a full stop, a title with a subtitle, a quoted title,
    "et al." or a year in brackets."""
    words = _words(text)
    if words < 3:
        return False
    if _QUOTED.search(text) or _ET_AL.search(text):
        return True
    if words >= 4 and _CITATION_END.search(text):
        return True
    head, colon, tail = text.partition(": ")
    return bool(colon) and words >= 4 and _words(head) >= 1 and _words(tail) >= 2


_SPACED_DASH = re.compile(r"\s+[-–—]+\s+")
_GLUED = re.compile(r"\s*(?:[-–—]+|\bby\b)\s*", re.IGNORECASE)
_NAME_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b)\s*", re.IGNORECASE)


def title_and_names(text: str, *, linked: bool = False) -> tuple[str, tuple[str, ...]] | None:
    """("An Empirical Study …", ("Jing Jiang", "Jin Cao", "Li Zhang")) for "An Empirical
    Study …-[Jing Jiang](…), Jin Cao and [Li Zhang](…)": a title followed by its authors.

    The authors must be full names (two to four words each); a plain dash or "by" inside a
    title ("Pattern-Matching", "Logic by Functors, …") separates nothing unless the names
    are links, else only a spaced dash does."""
    pattern = _GLUED if linked else _SPACED_DASH
    for match in reversed(list(pattern.finditer(text))):
        title, names = text[: match.start()].strip(), text[match.end() :].strip()
        if _words(title) < 3 or not names or names.endswith("."):
            continue
        parts = [p.strip() for p in _NAME_SPLIT.split(names) if p.strip()]
        if parts and all(_is_name(p) for p in parts):
            return title, tuple(parts)
    return None


def _is_name(text: str) -> bool:
    words = text.split()
    if not 2 <= len(words) <= 4:
        return False
    return all(w[:1].isupper() or not w[:1].isascii() for w in words if w[:1].isalpha())


def strip_title(text: str) -> str:
    """A plain-text title without the full stop that ends the citation."""
    text = one_line(text)
    if text.endswith(".") and not text.endswith("..") and _words(text) >= 2:
        text = text[:-1].rstrip()
    return text


# ----------------------------------------------------------------------------------------
# Reading the cells of one row

_CONTINUE = re.compile(
    r"^\W*(?:still\b.{0,20}?)?\b(?:continu(?:e|ed|es|ing|ation)\b|cont'?d\b|cont\.|"
    r"repeat(?:ed)?\s+(?:of\s+)?(?:the\s+)?(?:previous|last)\b)",
    re.IGNORECASE,
)
_PART = re.compile(r"^\s*Part\s+(\d{1,4})\b\.?\s*(.*)$", re.I | re.S)
_PLAIN_BLOCK = re.compile(r"^(.{1,100}?\bBlock)\b\.?\s*Part\s+(\d{1,4})\b\.?\s*(.*)$", re.I | re.S)
_COMMENT_SPLIT = re.compile(r"(?:<br\s*/?>\s*){2,}", re.I)
_SEE_ALSO = re.compile(r"^\s*see\s+also\s*:\s*", re.I)
_PRESENTER_ID = re.compile(r"<@!?(\d{15,21})>")
_AUTHOR_SEPARATOR = re.compile(r"\s*(?:[;,]|\s&\s|\band\b)\s*")
_DEFUSED_ROLES = (PAPER, AUTHORS, CODE, DEMO, COMMENTS, PAPER_LINK)
_CLOCK = re.compile(
    r"(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?(?=\s|$|[-–—~]|to\b)", re.IGNORECASE
)
# What the exporter writes before a value the README shape has no column for.
LABEL_PREFIX = re.compile(r"^(?P<label>[^:\n]{1,60}):$")


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


def cell_segments(markup: str) -> list[Seg]:
    """A cell's segments, without the whitespace around them."""
    return strip_segments(tokenize(markup))


class RowReader:
    """Reads one row's cells; notes what it had to decide on the way."""

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

    def ref(self, seg: Seg) -> PaperRef | None:
        text = self.text(one_line(seg.text), "link text") or None
        ref = paper_ref(seg.url, text)
        if ref is not None and text is not None and text.lower().strip(" .:") in _GENERIC_LINK_TEXT:
            ref.names = False  # "[here](…)": the link names the paper, not its text
        if ref is None:
            self.note("a link longer than 2,000 characters was left out")
        return ref

    def paper_links(self, segments: list[Seg], *, lone: bool) -> list[tuple[Seg, PaperRef]]:
        """The links of a cell that are papers: to arXiv or a paper elsewhere, or whose text
        reads like a title; with ``lone``, also a cell's only link."""
        links = link_segments(segments)
        only = (
            lone
            and len(links) == 1
            and is_separators(text_outside_links(segments))
            and links[0].text.strip(" .:").lower() not in _MATERIAL_LINK_TEXT
        )
        found: list[tuple[Seg, PaperRef]] = []
        for seg in links:
            paperish = only or _title_like(seg.text) or _ARXIV_LINK.match(seg.url)
            if not paperish and classify_url(seg.url) is UrlKind.OTHER:
                continue
            ref = self.ref(seg)
            if ref is not None:
                found.append((seg, ref))
        return found

    def comments(
        self, markup: str
    ) -> tuple[list[str], list[PaperRef], dict[str, str], list[tuple[str, str]]]:
        """Comments, "See also" papers, labelled values (``**Week:** 3``, as the export writes
        the columns the README shape has not) and labelled values of a known role."""
        comments: list[str] = []
        see_also: list[PaperRef] = []
        labelled: dict[str, str] = {}
        known: list[tuple[str, str]] = []
        if not markup:
            return comments, see_also, labelled, known
        for chunk in _COMMENT_SPLIT.split(markup) if "<" in markup else (markup,):
            segments = strip_segments(tokenize(chunk))
            if not segments:
                continue
            if segments[0].kind == BOLD and (label := LABEL_PREFIX.match(segments[0].text)):
                name = one_line(label["label"])
                value = render(strip_segments(segments[1:]), "\n")
                if name in (PRESENTER_LABEL, TIME_LABEL):  # as the export writes them
                    known.append((PRESENTER if name == PRESENTER_LABEL else TIME, value))
                    continue
                if role_of_header(header_key(name)) != COMMENTS and value:
                    labelled[name] = self.text(value, "comment")
                    continue
            outside = text_outside_links(segments)
            prefix = _SEE_ALSO.match(outside)
            if prefix and _SEPARATORS.match(outside[prefix.end() :]):
                links = link_segments(segments)
                refs = [r for r in (self.ref(s) for s in links) if r is not None]
                if refs:
                    see_also.extend(refs)
                    continue
            text = self.text(render(segments, "\n"), "comment")
            if "\n" in text:
                text = canonical_comment(text)
            if text:
                comments.append(text)
        return comments, see_also, labelled, known


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


def _link_cell(segments: list[Seg], column: str) -> tuple[tuple[tuple[str, str], ...], str | None]:
    """Named links of a Code/Demo cell and any text that is not a link or a separator."""
    if not segments:
        return (), None
    found: list[tuple[str, str]] = []
    for kind, text, url in segments:
        if kind == LINK:
            found.append((one_line(text), url))
        elif kind == URL:
            found.append((link_name(url, column), url))
    rest = text_outside_links([s for s in segments if s.kind != RELATIVE])
    note = None if _SEPARATORS.match(rest) else one_line(rest)
    if any(s.kind == RELATIVE for s in segments):
        note = one_line(render([s for s in segments if s.kind != LINK and s.kind != URL]))
    return tuple(found), note


def _key_of(links: list[Seg], papers: list[tuple[Seg, PaperRef]]) -> tuple[str | None, ...]:
    by_seg = {id(seg): ref.ref_key for seg, ref in papers}
    return tuple(by_seg.get(id(seg)) for seg in links)


def interpret_row(
    line: int,
    cells: dict[str, str],
    extras: dict[str, str],
    issues: list[Issue],
    *,
    day: date,
    date_text: str,
    has_presenter: bool,
) -> ParsedRow:
    """The session one row describes (the caller has read its date)."""
    row = RowReader(line, issues)
    defused_any = False
    for name in _DEFUSED_ROLES:
        value = cells.get(name)
        if value is not None and "@" in value:
            cells[name], defused = defuse(value)
            defused_any = defused_any or defused
    if defused_any:
        row.note("a mention (@everyone, @here or a member) was made inert")
    start_time: time | None = None
    duration: int | None = None
    if (time_cell := reader_text(cells.get(TIME, ""))) and not is_placeholder(time_cell):
        try:
            start_time, duration = parse_clock(time_cell)
        except InvalidInput as exc:
            row.note(f"{exc}; the usual meeting time is used")

    paper_cell = cells.get(PAPER, "")
    authors_cell = cells.get(AUTHORS, "")
    paper_segments = written_paper = cell_segments(paper_cell)
    if is_placeholder(plain(paper_segments)):
        paper_segments = []
    authors_segments = written_authors = cell_segments(authors_cell)
    authors_plain = one_line(plain(authors_segments))
    if is_placeholder(authors_plain):
        authors_segments, authors_plain = [], ""
    code_segments = cell_segments(cells.get(CODE, ""))
    demo_segments = cell_segments(cells.get(DEMO, ""))
    link_cell = cell_segments(cells.get(PAPER_LINK, ""))
    if is_placeholder(plain(link_cell)):
        link_cell = []

    reading = _read_paper_cell(row, paper_segments, authors_segments, link_cell, cells)
    kind, title, block_name, block_part, refs, own_authors = reading[:6]
    paper_keys, author_keys = reading[6], reading[7]

    papers: list[RowPaper] = []
    seen: set[str] = set()
    for ref in refs:
        if ref.ref_key not in seen:
            seen.add(ref.ref_key)
            papers.append(RowPaper(ref, line=line))

    code_links, code_note = _link_cell(code_segments, "code")
    demo_links, demo_note = _link_cell(demo_segments, "demo")
    comments, see_also, labelled, known = row.comments(cells.get(COMMENTS, ""))
    if len(papers) == 1:
        authors: tuple[str, ...] | None = own_authors
        if authors is None and not link_segments(authors_segments):
            authors = ()
            if authors_plain:
                names = [
                    row.text(n.strip(), "authors") for n in _AUTHOR_SEPARATOR.split(authors_plain)
                ]
                authors = tuple([n for n in names if n])
        only = papers[0]
        papers[0] = RowPaper(only.ref, only.role, authors, code_links, demo_links, line)
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
            papers.append(RowPaper(ref, PaperRole.SEE_ALSO, line=line))

    presenter_name, presenter_id, presenter_markup = _presenter(row, cells.get(PRESENTER))
    for role, value in known:
        if role == PRESENTER and presenter_name is None and presenter_id is None:
            presenter_name, presenter_id, presenter_markup = _presenter(row, value)
            has_presenter = has_presenter or presenter_name is not None or presenter_id is not None
        elif role == TIME and start_time is None:
            try:
                start_time, duration = parse_clock(reader_text(value))
            except InvalidInput as exc:
                row.note(f"{exc}; the usual meeting time is used")
    kept: dict[str, str] = {}
    for name, value in extras.items():
        markup = _extra(value)
        if markup:
            kept[name] = row.text(markup, name)
    for name, value in labelled.items():
        kept.setdefault(name, value)
    return ParsedRow(
        line,
        day,
        date_text,
        kind,
        title,
        block_name,
        block_part,
        tuple(papers),
        paper_cell,
        render(written_paper),
        authors_cell,
        render(written_authors),
        code_links,
        demo_links,
        code_note,
        demo_note,
        tuple(comments),
        start_time,
        duration,
        presenter_name,
        presenter_id,
        presenter_markup,
        has_presenter,
        kept,
        paper_keys,
        author_keys,
    )


def _extra(value: str) -> str:
    """A kept column's cell as markup (links kept), or "" when it holds no value."""
    segments = cell_segments(value)
    if not segments or (is_placeholder(plain(segments)) and not link_segments(segments)):
        return ""
    return render(segments, "\n")[:MAX_EXTRA]


def _presenter(row: RowReader, cell: str | None) -> tuple[str | None, int | None, str | None]:
    """(name, Discord id, the cell as markup when it links somewhere)."""
    if not cell:
        return None, None, None
    if match := _PRESENTER_ID.search(plain_text(cell)):
        return None, int(match[1]), None
    name = reader_text(cell)
    if is_placeholder(name) or not any(ch.isalpha() for ch in name):
        return None, None, None  # "-", "N/A", "? (4/4)" once a struck-out name is gone
    name = row.text(one_line(name)[:MAX_NAME], "presenter")
    segments = cell_segments(cell)
    markup = None
    if any(s.kind in (LINK, URL, RELATIVE) for s in segments):
        markup = row.text(render(segments, " "), "presenter")
    return name or None, None, markup


def _read_paper_cell(
    row: RowReader,
    paper_segments: list[Seg],
    authors_segments: list[Seg],
    link_cell: list[Seg],
    cells: dict[str, str],
) -> tuple[
    str,
    str | None,
    str | None,
    int | None,
    list[PaperRef],
    tuple[str, ...] | None,
    tuple[str | None, ...],
    tuple[str | None, ...],
]:
    """(kind, title, block name, part, papers, authors named in the Paper cell, the paper
    key of each link of the Paper cell, and of the Authors cell)."""
    title: str | None = None
    block_name: str | None = None
    block_part: int | None = None
    own_authors: tuple[str, ...] | None = None
    segments = paper_segments
    block = _block(segments)
    if block is not None:
        name, block_part, segments = block
        block_name = row.text(name[:MAX_NAME], "block name")
    found = row.paper_links(segments, lone=True)
    author_found = row.paper_links(authors_segments, lone=False)
    refs = [ref for _, ref in found] + [ref for _, ref in author_found]
    prose = one_line("".join(s.text for s in segments if s.kind in (TEXT, BOLD)))
    full = row.text(one_line(plain(segments)), "title")
    others = bool(
        authors_segments or cells.get(CODE, "").strip() or cells.get(DEMO, "").strip() or link_cell
    )
    if block is not None:
        kind = SessionKind.BLOCK_PART
        title = full or None
    elif not segments and not author_found:
        kind = SessionKind.TBA
        if link_cell:  # a link column without a title: the link is the paper
            refs = [r for r in (row.ref(s) for s in link_segments(link_cell)) if r][:1]
            kind = SessionKind.PAPER if refs else kind
            link_cell = []
    elif _CONTINUE.match(prose or full):
        kind = SessionKind.CONTINUE
        title = full or None
        if title and title.strip(" .!").lower() == "continue":
            title = None
    elif found and is_separators(prose):
        kind = SessionKind.PAPER
    elif found or author_found:
        kind = SessionKind.TOPIC
        title = full or None
    elif (
        split := title_and_names(full, linked=any(s.kind in (LINK, URL) for s in segments))
    ) is not None:
        kind = SessionKind.PAPER
        refs = [title_ref(strip_title(split[0]))]
        own_authors = tuple(row.text(n, "authors") for n in split[1])
    elif others or citation_like(full):
        kind = SessionKind.PAPER
        chunks = [one_line(c) for c in _PAPER_SPLIT.split(plain(segments).strip()) if c.strip()]
        if len(chunks) > 1 and all(citation_like(c) for c in chunks):
            refs = [title_ref(strip_title(row.text(c, "title"))) for c in chunks]
        else:
            refs = [title_ref(strip_title(full) or "Untitled")]
    else:
        kind = SessionKind.SPECIAL
        title = full or None
    if link_cell and kind == SessionKind.PAPER and len(refs) == 1 and refs[0].url is None:
        # "| Spline-based Transformers | … | [paper](https://…) |": the title's link
        link = next(iter(link_segments(link_cell)), None)
        if link is not None and (ref := paper_ref(link.url, refs[0].text)) is not None:
            refs = [ref]
    paper_keys = _key_of(link_segments(paper_segments), found)
    author_keys = _key_of(link_segments(authors_segments), author_found)
    return kind, title, block_name, block_part, refs, own_authors, paper_keys, author_keys


def join_rows(session: ParsedRow, part: ParsedRow) -> None:
    """Another row of the same session joins it: a row without a date under it, or a second
    row with the same date. Its papers, title, presenter, links, notes and comments are
    added; the session is then written in the generic form (one row, every paper)."""
    seen = {p.ref.ref_key for p in session.papers}
    session.papers += tuple(p for p in part.papers if p.ref.ref_key not in seen)
    if part.title and part.title != session.title and part.kind != SessionKind.CONTINUE:
        session.title = "; ".join(t for t in (session.title, part.title) if t)[:MAX_TITLE]
    if session.kind == SessionKind.TBA:
        session.kind = part.kind
    elif session.kind in (SessionKind.PAPER, SessionKind.SPECIAL) and (
        session.title and session.papers
    ):
        session.kind = SessionKind.TOPIC
    session.comments += tuple(c for c in part.comments if c not in session.comments)
    session.code_links += tuple(link for link in part.code_links if link not in session.code_links)
    session.demo_links += tuple(link for link in part.demo_links if link not in session.demo_links)
    if part.presenter_id is not None and session.presenter_id is None:
        session.presenter_id = part.presenter_id
    if part.presenter_name and part.presenter_name != session.presenter_name:
        names = [n for n in (session.presenter_name, part.presenter_name) if n]
        session.presenter_name = ", ".join(names)[:MAX_NAME]
        session.presenter_markup = None
    session.has_presenter_column = session.has_presenter_column or part.has_presenter_column
    for name, value in part.extras.items():
        current = session.extras.get(name)
        if current != value:
            session.extras[name] = value if not current else f"{current}\n{value}"
    if session.start_time is None:
        session.start_time, session.duration = part.start_time, part.duration
    session.joined_lines += (part.line, *part.joined_lines)
    session.paper_cell = session.paper_markup = ""
    session.authors_cell = session.authors_markup = ""
    session.paper_link_keys = session.authors_link_keys = ()


__all__ = [
    "MAX_NAME",
    "RowReader",
    "cell_segments",
    "citation_like",
    "clean",
    "defuse",
    "interpret_row",
    "is_placeholder",
    "join_rows",
    "no_meeting",
    "one_line",
    "paper_ref",
    "parse_clock",
    "plain_text",
    "title_ref",
]
