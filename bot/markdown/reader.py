"""What reading a README keeps track of, line by line: the lines (HTML comments blanked),
the headings above and the years they give dates without one, reference-style links, the
issues noted; and how a cell's raw HTML and reference links become plain markdown.
"""

from __future__ import annotations

import re
from datetime import date

from bot.dates import YearHint, year_hint
from bot.markdown.parsed import Issue, ParsedDocument, ParsedTopic
from bot.markdown.syntax import html_links, reader_text
from bot.markdown.wording import MAX_NAME, clean, defuse, one_line

_FENCE = re.compile(r"^\s*(```|~~~)")
_BREAK = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_REFERENCE = re.compile(r"^\s{0,3}\[(?P<label>[^\]\n]{1,200})\]:\s*<?(?P<url>[^\s>]+)>?(?:\s+.*)?$")
_REF_USE = re.compile(r"\[(?P<text>[^\[\]\n]+)\]\s?\[(?P<label>[^\[\]\n]*)\]")
_EMPTY_LINK = re.compile(r"\[(?P<text>[^\[\]\n]*)\]\(\s*\)")
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


class _ReaderBase:
    """The state of reading one file, shared by the table and reading-list readers."""

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
