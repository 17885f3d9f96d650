"""One row of a schedule table: the session its cells describe.

A row's cells arrive by role (``columns.py``): the Paper cell gives the kind of session and
its papers, the Authors, Code and Demo cells what the README knows about its paper, the
Presenter, Time and Comments cells the rest, and any other column is kept by its name.

The Paper cell is read the way people write it: links (a link to arXiv, to a paper
elsewhere, or whose text reads like a title is a paper; a link to a person or a slide
deck stays in the row's wording), several papers separated by commas, ``&``, "and",
``<br>`` or ``/``, a plain-text citation without a link ("Formalising Graph Algorithms with
Coinduction."), "Title – Authors", "Continue" rows, bold block names with part numbers,
and placeholders (``-``, ``TBD``, ``?``, ``Yes`` for "picked, not named yet"). Single cells
are read in ``cells.py``, what their words mean in ``wording.py``.
"""

from __future__ import annotations

import re
from datetime import date, time

from bot.errors import InvalidInput
from bot.markdown.cells import RowReader, _extra, _link_cell, _presenter, cell_segments, parse_clock
from bot.markdown.columns import AUTHORS, CODE, COMMENTS, DEMO, PAPER, PAPER_LINK, PRESENTER, TIME
from bot.markdown.parsed import Issue, PaperRef, ParsedRow, RowPaper
from bot.markdown.render import canonical_comment
from bot.markdown.syntax import (
    BOLD,
    LINK,
    TEXT,
    URL,
    Seg,
    escape,
    link_segments,
    plain,
    reader_text,
    render,
)
from bot.markdown.wording import (
    MAX_NAME,
    citation_like,
    defuse,
    is_placeholder,
    is_separators,
    one_line,
    paper_ref,
    strip_title,
    title_and_names,
    title_ref,
)
from storage.models import PaperRole, SessionKind

MAX_TITLE = 1000

_CONTINUE = re.compile(
    r"^\W*(?:still\b.{0,20}?)?\b(?:continu(?:e|ed|es|ing|ation)\b|cont'?d\b|cont\.|"
    r"repeat(?:ed)?\s+(?:of\s+)?(?:the\s+)?(?:previous|last)\b)",
    re.IGNORECASE,
)
_PART = re.compile(r"^\s*Part\s+(\d{1,4})\b\.?\s*(.*)$", re.I | re.S)
_PLAIN_BLOCK = re.compile(r"^(.{1,100}?\bBlock)\b\.?\s*Part\s+(\d{1,4})\b\.?\s*(.*)$", re.I | re.S)
_PAPER_SPLIT = re.compile(r"\s*\n\s*|\s+/\s+|\s*;\s+")
_AUTHOR_SEPARATOR = re.compile(r"\s*(?:[;,]|\s&\s|\band\b)\s*")
_DEFUSED_ROLES = (PAPER, AUTHORS, CODE, DEMO, COMMENTS, PAPER_LINK)


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


__all__ = ["interpret_row", "join_rows"]
