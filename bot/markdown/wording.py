"""What the words of a cell mean, before any row is read: text clean-up (control characters,
mentions made inert), placeholders and rows that are not meetings, and papers named by a
link or in plain words (a citation, "Title – Authors").
"""

from __future__ import annotations

import re

from bot.markdown.parsed import PaperRef
from bot.papers.identity import of_title, of_url
from bot.papers.links import extract_links

MAX_NAME = 200
MAX_LABEL = 300

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


__all__ = [
    "MAX_LABEL",
    "MAX_NAME",
    "citation_like",
    "clean",
    "defuse",
    "is_placeholder",
    "is_separators",
    "link_name",
    "no_meeting",
    "one_line",
    "paper_ref",
    "strip_title",
    "title_and_names",
    "title_ref",
]
