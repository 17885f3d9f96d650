"""The schedule and reading list written in the shape of the group's README.

Pure functions over plain data (no database, no Discord): the exporter feeds them rows it
read in bulk, and the importer feeds them what it is about to store, to learn whether the
generic rendering reproduces a row or the row's own layout must be kept.

A row's cells: Date | Paper | Authors | Code | Demo | Comments. The generic rendering per
kind of session:

- paper: ``[Title](link)`` (several papers separated by ", "), authors abbreviated
  ("H. Liu, C. Li, Q. Wu, Y. J. Lee");
- continue: "Continue" (or its title, e.g. "Still (sic!) continue"), papers in the Authors
  column;
- block part: ``**RLHF Block.** Part 2. Motivation…``, papers in the Authors column;
- topic and special session: the title, papers in the Authors column;
- TBA: "TBA".

Code and Demo hold named links (``[GitHub](…) [Project Page](…)``); Comments hold the pinned
comments. A row the README wrote in its own words ("Stiennon and friends [Learning to
summarize…](…) (RLHF for summarisation); …") keeps a *layout*: the cell's text with its paper
links as placeholders, used as long as the session still has the same kind, title and papers.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import time
from functools import lru_cache
from typing import Any

from bot.markdown.syntax import (
    Seg,
    escape,
    link,
    render,
    table_row,
    tokenize,
)
from storage.models import PaperRole, SessionKind

TITLE_FALLBACK = "Reading group"
# A session's time when neither the file nor the server's settings give one.
DEFAULT_MEETING_TIME = time(18, 0)
HEADER = "| Date | Paper | Authors | Code | Demo | Comments |"
ALIGNMENT = "| :--- | :---- | :------ | :--- | :--- | :------- |"
COMMENT_SEPARATOR = "<br><br>"
SEE_ALSO = "See also: "

# details keys written by the importer (other keys of ReadingSession.details are kept)
LAYOUT = "layout"
CODE_LINKS = "code_links"
DEMO_LINKS = "demo_links"
CODE_NOTE = "code_note"
DEMO_NOTE = "demo_note"
EXTRA = "columns"  # {column name: cell markup} of columns the README shape has not
PRESENTER_CELL = "presenter_cell"  # the Presenter cell as markup, when it holds links
IMPORT_KEYS = (LAYOUT, CODE_LINKS, DEMO_LINKS, CODE_NOTE, DEMO_NOTE, EXTRA, PRESENTER_CELL)
PRESENTER_LABEL = "Presenter"
TIME_LABEL = "Time"


@dataclass(slots=True)
class CellPaper:
    """A paper as one row shows it."""

    ref_key: str
    title: str
    url: str | None
    authors: Sequence[str] = ()
    code_links: Sequence[Sequence[str]] = ()
    demo_links: Sequence[Sequence[str]] = ()
    role: str = PaperRole.MAIN
    label: str | None = None
    abbreviate: bool = True  # names are abbreviated, except those an imported file gave


@dataclass(slots=True)
class CellSession:
    """What one table row needs to know about a session."""

    kind: str
    title: str | None = None
    block_name: str | None = None
    block_part: int | None = None
    papers: list[CellPaper] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)
    presenter: str | None = None  # markup: a name, a linked name, or <@member id>
    time_text: str | None = None  # "16:00–17:30" when not the server's usual time


# ----------------------------------------------------------------------------------------
# Authors

_INITIALS = re.compile(r"^(?:[^\W\d_]{1,2}\.-?)+$")
_PARTICLES = frozenset({"van", "von", "der", "den", "de", "da", "del", "della", "di", "du", "la"})


@lru_cache(maxsize=8192)
def abbreviate_author(name: str) -> str:
    """'Yong Jae Lee' → 'Y. J. Lee'; names already abbreviated ('J.W. Kim', 'Goh') stay."""
    parts = name.split()
    if len(parts) < 2:
        return name.strip()
    head = parts[:-1]
    if all(_INITIALS.match(p) for p in head):
        return " ".join(parts)
    out: list[str] = []
    for part in head:
        if _INITIALS.match(part) or part in _PARTICLES:
            out.append(part)
        elif "-" in part.strip("-"):
            out.append("-".join(f"{p[0]}." for p in part.split("-") if p))
        elif part[:1].isalpha():
            out.append(f"{part[0]}.")
    out.append(parts[-1])
    return " ".join(out)


def authors_text(names: Iterable[str]) -> str:
    return ", ".join(abbreviate_author(n) for n in names if n.strip())


# ----------------------------------------------------------------------------------------
# Cells


def paper_link(paper: CellPaper) -> str:
    return link(paper.label or paper.title, paper.url)


def _main(session: CellSession) -> list[CellPaper]:
    return [p for p in session.papers if p.role != PaperRole.SEE_ALSO]


def generic_paper_cell(session: CellSession) -> str:
    kind = session.kind
    if kind == SessionKind.PAPER:
        main = _main(session)
        if main:
            return ", ".join(paper_link(p) for p in main)
        return escape(session.title or "TBA")
    if kind == SessionKind.CONTINUE:
        return escape(session.title or "Continue")
    if kind == SessionKind.BLOCK_PART:
        head = f"**{escape(session.block_name or 'Block')}.**"
        if session.block_part is not None:
            head += f" Part {session.block_part}."
        return f"{head} {escape(session.title)}" if session.title else head
    if kind == SessionKind.TBA:
        return escape(session.title or "TBA")
    return escape(session.title or "")


def generic_authors_cell(session: CellSession) -> str:
    main = _main(session)
    if session.kind == SessionKind.PAPER:
        names: list[str] = []
        seen: set[str] = set()
        for index, paper in enumerate(main):
            for name in paper.authors:
                if index and name in seen:
                    continue
                seen.add(name)
                names.append(abbreviate_author(name) if paper.abbreviate else name.strip())
        return escape(", ".join(n for n in names if n))
    return ", ".join(paper_link(p) for p in main)


def _links_cell(session: CellSession, key: str, note_key: str, attr: str) -> str:
    seen: set[str] = set()
    parts: list[str] = []
    own = session.details.get(key) or []
    for pair in [*own, *(pair for p in _main(session) for pair in getattr(p, attr))]:
        if len(pair) != 2 or not pair[1] or pair[1] in seen:
            continue
        seen.add(pair[1])
        parts.append(link(pair[0], pair[1]))
    note = session.details.get(note_key)
    if note:
        parts.append(escape(str(note)))
    return " ".join(parts)


def code_cell(session: CellSession) -> str:
    return _links_cell(session, CODE_LINKS, CODE_NOTE, "code_links")


def demo_cell(session: CellSession) -> str:
    return _links_cell(session, DEMO_LINKS, DEMO_NOTE, "demo_links")


_BLANK_LINES = re.compile(r"\n\s*\n+")


def comment_markup(text: str, newline: str = "<br>") -> str:
    """A comment as one cell line: links kept, everything else escaped."""
    if "\n" in text or "\r" in text:
        lines = [line.strip() for line in text.replace("\r", "").split("\n")]
        cleaned = _BLANK_LINES.sub("\n", "\n".join(lines)).strip()
    else:
        cleaned = text.strip()
    return render(tokenize(cleaned), newline)


def canonical_comment(text: str) -> str:
    """The form a comment is stored and compared in (what the Comments cell holds)."""
    return comment_markup(text, "\n")


def labelled(label: str, markup: str) -> str:
    """``**Week:** 3``: a value the README shape has no column for, in the Comments cell
    (the import reads it back under its name)."""
    return f"**{escape(label)}:** {markup}"


def comments_cell(session: CellSession) -> str:
    parts: list[str] = []
    see_also = [p for p in session.papers if p.role == PaperRole.SEE_ALSO]
    if see_also:
        parts.append(SEE_ALSO + ", ".join(paper_link(p) for p in see_also))
    if session.presenter:
        parts.append(labelled(PRESENTER_LABEL, session.presenter))
    if session.time_text:
        parts.append(labelled(TIME_LABEL, escape(session.time_text)))
    extra = session.details.get(EXTRA)
    if isinstance(extra, dict):
        for name, value in extra.items():
            markup = comment_markup(str(value)) if value else ""
            if markup and str(name).strip():
                parts.append(labelled(str(name), markup))
    for text in session.comments:
        markup = comment_markup(text)
        if markup:
            parts.append(markup)
    return COMMENT_SEPARATOR.join(parts)


# ----------------------------------------------------------------------------------------
# Layouts: the README's own wording of a row


def fingerprint(
    kind: str,
    title: str | None,
    block_name: str | None,
    block_part: int | None,
    papers: Iterable[tuple[str, str]],
) -> str:
    """What a layout was written for; a layout applies only while this is unchanged."""
    payload = json.dumps(
        [kind, title, block_name, block_part, [list(p) for p in papers]],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha1(payload.encode(), usedforsecurity=False).hexdigest()[:16]


def session_fingerprint(session: CellSession) -> str:
    return fingerprint(
        session.kind,
        session.title,
        session.block_name,
        session.block_part,
        [(p.ref_key, p.role) for p in session.papers],
    )


def template(segments: Sequence[Seg], paper_index: Sequence[int | None]) -> list[list[Any]]:
    """A cell's segments with its paper links replaced by placeholders ``["p", i]``.

    ``paper_index`` gives, for each link of the cell in order, the position of its paper in
    the session (None: not a paper, kept as it is)."""
    out: list[list[Any]] = []
    links_seen = 0
    for seg in segments:
        if seg.kind in ("l", "u"):
            index = paper_index[links_seen] if links_seen < len(paper_index) else None
            links_seen += 1
            if index is not None:
                out.append(["p", index])
                continue
        out.append([seg.kind, seg.text, seg.url] if seg.url else [seg.kind, seg.text])
    return out


def render_template(items: Sequence[Sequence[Any]], papers: Sequence[CellPaper]) -> str | None:
    parts: list[str] = []
    for item in items:
        if not item:
            return None
        if item[0] == "p":
            index = item[1]
            if not isinstance(index, int) or not 0 <= index < len(papers):
                return None
            parts.append(paper_link(papers[index]))
            continue
        if item[0] not in ("t", "b", "l", "u", "r") or len(item) < 2:
            return None
        url = str(item[2]) if len(item) > 2 else ""
        parts.append(render([Seg(str(item[0]), str(item[1]), url)]))
    return "".join(parts)


def layout_cells(session: CellSession) -> tuple[str | None, str | None]:
    """(Paper cell, Authors cell) from the stored layout, when it still applies."""
    layout = session.details.get(LAYOUT)
    if not isinstance(layout, dict) or layout.get("fp") != session_fingerprint(session):
        return None, None
    paper = layout.get("paper")
    authors = layout.get("authors")
    return (
        render_template(paper, session.papers) if isinstance(paper, list) else None,
        render_template(authors, session.papers) if isinstance(authors, list) else None,
    )


def row_cells(session: CellSession) -> list[str]:
    """The five cells after the date."""
    paper, authors = (None, None)
    if LAYOUT in session.details:
        paper, authors = layout_cells(session)
    return [
        generic_paper_cell(session) if paper is None else paper,
        generic_authors_cell(session) if authors is None else authors,
        code_cell(session),
        demo_cell(session),
        comments_cell(session),
    ]


# ----------------------------------------------------------------------------------------
# The document


@dataclass(slots=True)
class ExportItem:
    read: bool
    title: str
    url: str | None
    label: str | None = None


@dataclass(slots=True)
class ExportTopic:
    name: str
    items: list[ExportItem] = field(default_factory=list)
    children: list[ExportTopic] = field(default_factory=list)


def item_line(item: ExportItem) -> str:
    mark = "x" if item.read else " "
    text = link(item.title, item.url)
    if item.label:
        text = f"{escape(item.label)} {text}"
    return f"- [{mark}] {text}"


def _summary(name: str) -> str:
    # Inside an HTML block markdown escapes do not apply: use entities.
    return html.escape(" ".join(name.split()), quote=False).replace("@", "&#64;")


def topic_block(topic: ExportTopic) -> str:
    parts = [f"<details>\n<summary> {_summary(topic.name)} </summary>\n\n"]
    if topic.items:
        parts.append("".join(item_line(i) + "\n" for i in topic.items))
    if topic.children:
        if topic.items:
            parts.append("\n")
        parts.append("\n".join(topic_block(child) for child in topic.children))
    parts.append("</details>\n")
    return "".join(parts)


def document(
    title: str | None,
    rows: Iterable[tuple[str, CellSession]],
    topics: Sequence[ExportTopic] | None,
) -> str:
    """The whole README: title, ``---``, the table, ``---``, the reading list."""
    out = [f"# {escape(title or TITLE_FALLBACK)}\n\n---\n{HEADER}\n{ALIGNMENT}\n"]
    out.extend(table_row([date_text, *row_cells(s)]) + "\n" for date_text, s in rows)
    out.append("---\n")
    if topics:
        out.append("\n\n")
        out.append("\n".join(topic_block(t) for t in topics))
    return "".join(out)
