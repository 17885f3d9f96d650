"""Checks and clean-up for text members type (titles, notes, comments).

Text is stored as typed and escaped where it is shown (Discord markdown, the exported
README); what is refused here is what no display can make right: mass mentions, control
characters, and text beyond the limits.
"""

from __future__ import annotations

import re
import unicodedata

from bot.errors import InvalidInput

TITLE_LIMIT = 200
NOTES_LIMIT = 1000
NAME_LIMIT = 100

_MENTION = re.compile(r"@(everyone|here)\b|<@[!&]?\d+>|<#\d+>", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def clean_line(text: str) -> str:
    """One line: control characters out, runs of whitespace (and newlines) to one space."""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", text)
    return " ".join(text.split())


def clean_block(text: str) -> str:
    """Several lines allowed; control characters out, trailing spaces trimmed."""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [line.rstrip() for line in text.split("\n")]
    return "\n".join(lines).strip()


def check_text(text: str | None, *, what: str, limit: int, multiline: bool = False) -> str | None:
    """Validate member text; ``None``/blank stays ``None``."""
    if text is None:
        return None
    cleaned = clean_block(text) if multiline else clean_line(text)
    if not cleaned:
        return None
    if len(cleaned) > limit:
        raise InvalidInput(
            f"The {what} is {len(cleaned):,} characters long; the limit is {limit:,}. "
            "Shorten it and try again."
        )
    if _MENTION.search(cleaned):
        raise InvalidInput(
            f"The {what} contains a mention (@everyone, @here, or a member, role or channel "
            "mention). Write the name as plain text instead."
        )
    return cleaned


def shorten(text: str, limit: int, ellipsis: str = "…") -> str:
    """Trim to ``limit`` characters at a word boundary where possible."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - len(ellipsis))]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip() + ellipsis
