"""Reading the cells of one row: a time of day, the links of a cell that are papers, the
Code and Demo links, the Comments cell (with "See also" papers and labelled values), the
presenter and a kept column's value; ``RowReader`` notes what it had to decide.
"""

from __future__ import annotations

import re
from datetime import time

from bot.errors import InvalidInput
from bot.markdown.columns import COMMENTS, PRESENTER, TIME, header_key
from bot.markdown.columns import _role as role_of_header
from bot.markdown.parsed import Issue, PaperRef
from bot.markdown.render import PRESENTER_LABEL, TIME_LABEL, canonical_comment
from bot.markdown.syntax import (
    BOLD,
    LINK,
    RELATIVE,
    URL,
    Seg,
    link_segments,
    plain,
    plain_text,
    reader_text,
    render,
    strip_segments,
    text_outside_links,
    tokenize,
)
from bot.markdown.wording import (
    _ARXIV_LINK,
    _GENERIC_LINK_TEXT,
    _MATERIAL_LINK_TEXT,
    _SEPARATORS,
    MAX_NAME,
    _title_like,
    defuse,
    is_placeholder,
    is_separators,
    link_name,
    one_line,
    paper_ref,
)
from bot.papers.arxiv_ids import UrlKind, classify_url

MAX_DURATION = 12 * 60
MAX_EXTRA = 2000

_COMMENT_SPLIT = re.compile(r"(?:<br\s*/?>\s*){2,}", re.I)
_SEE_ALSO = re.compile(r"^\s*see\s+also\s*:\s*", re.I)
_PRESENTER_ID = re.compile(r"<@!?(\d{15,21})>")
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


__all__ = ["LABEL_PREFIX", "RowReader", "cell_segments", "parse_clock"]
