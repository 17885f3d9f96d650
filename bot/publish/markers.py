"""The bot's section of a README: two marker comments, and splicing a new section in.

Only the lines between ``<!-- reading-group:start -->`` and ``<!-- reading-group:end -->``
belong to the bot; every other byte of the file is kept as it is. A file without markers
gets them where the organizer chose (:class:`Placement`): at the start (after any front
matter), after one of its headings, or at the end. Lines inside fenced code blocks are
never taken for markers or headings, so a README that documents the markers stays intact.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.errors import InvalidInput

START = "<!-- reading-group:start -->"
END = "<!-- reading-group:end -->"

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")

Where = Literal["start", "end", "after"]


@dataclass(frozen=True, slots=True)
class Placement:
    """Where the section goes in a file that has no markers yet."""

    where: Where = "end"
    heading: str | None = None  # for "after": the heading's text

    def __str__(self) -> str:
        return f"after:{self.heading}" if self.where == "after" else self.where

    def describe(self) -> str:
        if self.where == "after":
            return f"after the heading “{self.heading}”"
        return "at the start" if self.where == "start" else "at the end"

    @classmethod
    def parse(cls, text: str) -> Placement:
        """``start``, ``end`` or ``after:<heading text>``."""
        value = text.strip()
        if value.lower() in ("start", "end"):
            return cls("start" if value.lower() == "start" else "end")
        if value.lower().startswith("after:") and value[6:].strip():
            return cls("after", " ".join(value[6:].split()))
        raise InvalidInput(
            f"{value[:60]!r} is not a place in the file: use start, end or after:<heading>."
        )


@dataclass(frozen=True, slots=True)
class _Scan:
    lines: list[str]  # with their line endings
    starts: list[int]  # indexes of start-marker lines
    ends: list[int]
    headings: list[tuple[int, str]]  # (line index, heading text)


def _scan(text: str) -> _Scan:
    lines = text.splitlines(keepends=True)
    starts: list[int] = []
    ends: list[int] = []
    headings: list[tuple[int, str]] = []
    fence: str | None = None
    for index, line in enumerate(lines):
        bare = line.rstrip("\r\n")
        opened = _FENCE.match(bare)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            continue
        if opened:
            fence = opened.group(1)
            continue
        stripped = bare.strip()
        if stripped == START:
            starts.append(index)
        elif stripped == END:
            ends.append(index)
        else:
            heading = _HEADING.match(bare)
            if heading and heading.group(2).strip():
                headings.append((index, " ".join(heading.group(2).split())))
    return _Scan(lines, starts, ends, headings)


def _section(scan: _Scan, name: str) -> tuple[int, int] | None:
    """The marker lines' indexes, None without markers; malformed markers are refused."""
    if not scan.starts and not scan.ends:
        return None
    if len(scan.starts) == 1 and len(scan.ends) == 1 and scan.starts[0] < scan.ends[0]:
        return scan.starts[0], scan.ends[0]
    if len(scan.starts) > 1 or len(scan.ends) > 1:
        problem = "holds the markers more than once"
    elif not scan.ends:
        problem = f"has {START} but no {END} after it"
    elif not scan.starts:
        problem = f"has {END} but no {START} before it"
    else:
        problem = f"has {END} before {START}"
    raise InvalidInput(
        f"{name} {problem}. Fix the markers on GitHub (one {START} line, then one {END} "
        "line) and publish again. Nothing was published."
    )


def has_markers(text: str, name: str = "The file") -> bool:
    return _section(_scan(text), name) is not None


def headings(text: str) -> list[str]:
    """The file's headings, in order (outside code blocks)."""
    return [heading for _, heading in _scan(text).headings]


def section_of(text: str, name: str = "The file") -> str | None:
    """What stands between the markers now (None without markers)."""
    scan = _scan(text)
    found = _section(scan, name)
    if found is None:
        return None
    return "".join(scan.lines[found[0] + 1 : found[1]])


def _newline(text: str) -> str:
    return "\r\n" if text.count("\r\n") * 2 > text.count("\n") else "\n"


def _with_newline(lines: Sequence[str], newline: str) -> list[str]:
    return [line + newline for line in lines]


def _front_matter_end(lines: Sequence[str]) -> int:
    """The index after a leading YAML front matter block (0 without one)."""
    if not lines or lines[0].rstrip("\r\n") != "---":
        return 0
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r\n") in ("---", "..."):
            return index + 1
    return 0


def splice(
    text: str | None,
    section: str,
    placement: Placement | None = None,
    *,
    name: str = "The file",
) -> str:
    """The file with ``section`` between the markers; everything else is kept.

    ``text`` None is a file that does not exist yet: it becomes the markers and the section.
    A file without markers gets them at ``placement`` (default: the end)."""
    body = section.replace("\r\n", "\n").strip("\n").split("\n")
    if START in (line.strip() for line in body) or END in (line.strip() for line in body):
        raise InvalidInput("The schedule itself contains a marker line; nothing was published.")
    if text is None:
        return "".join(_with_newline([START, *body, END], "\n"))
    newline = _newline(text)
    scan = _scan(text)
    found = _section(scan, name)
    lines = list(scan.lines)
    if found is not None:
        first, last = found
        return "".join([*lines[: first + 1], *_with_newline(body, newline), *lines[last:]])
    block = _with_newline([START, *body, END], newline)
    placement = placement or Placement()
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += newline
    if placement.where == "end":
        gap = [newline] if lines and lines[-1].strip() else []
        return "".join([*lines, *gap, *block])
    if placement.where == "start":
        at = _front_matter_end(lines)
    else:
        wanted = (placement.heading or "").casefold()
        match = next((i for i, h in scan.headings if h.casefold() == wanted), None)
        if match is None:
            raise InvalidInput(
                f"{name} has no heading {placement.heading!r}; pick one of its headings, "
                "start or end. Nothing was published."
            )
        at = match + 1
    before = [newline] if at > 0 and lines[at - 1].strip() else []
    after = [newline] if at < len(lines) and lines[at].strip() else []
    return "".join([*lines[:at], *before, *block, *after, *lines[at:]])
