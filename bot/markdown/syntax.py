"""Inline markdown as the group's README writes it: text, links, raw URLs and bold.

The exporter and the importer share these functions, so what one writes the other reads
back unchanged: ``tokenize(render(segments)) == segments`` for every segment list that
``tokenize`` produced. Everything that is not a link or bold is escaped on the way out, so a
``|`` cannot break a table row, ``</details>`` or ``<script>`` cannot become HTML and
``@everyone`` stays text, whoever typed it.

Segments are small tuples: ``Seg("t", text)`` plain text, ``Seg("b", text)`` bold text,
``Seg("l", label, url)`` a link with a label, ``Seg("u", "", url)`` a raw URL. Only http(s)
links are links; anything else (``javascript:``, relative paths) stays text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

TEXT, BOLD, LINK, URL = "t", "b", "l", "u"


class Seg(NamedTuple):
    kind: str
    text: str
    url: str = ""


# ----------------------------------------------------------------------------------------
# Escaping

# Characters with a meaning in GitHub-flavoured markdown tables and inline text ($ starts
# math on GitHub, ~ strikes through, < opens HTML, | ends a cell).
_ESCAPED = re.compile(r"([\\`*_\[\]|~<>$])")
_ENTITY_LIKE = re.compile(r"&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)")
_MASS_MENTION = re.compile(r"@(?=everyone\b|here\b)", re.IGNORECASE)
_SCHEME = re.compile(r"(?<=[A-Za-z]):(?=//)")
_NEEDS_ESCAPE = re.compile(r"[\\`*_\[\]|~<>$&@\n\r]|://")


def escape(text: str, newline: str = "<br>") -> str:
    """Member text → markdown that renders as exactly that text, on one line."""
    if not _NEEDS_ESCAPE.search(text):
        return text
    text = _ESCAPED.sub(r"\\\1", text)
    text = _ENTITY_LIKE.sub(r"\\&", text)
    text = _MASS_MENTION.sub(r"\\@", text)
    text = _SCHEME.sub(r"\\:", text)  # "https://…" in plain text must not become a link
    if "\n" in text or "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", newline)
    return text


_URL_UNSAFE = re.compile(r"[\s()<>|\\\"'`\[\]^{}]")


def encode_url(url: str) -> str:
    """A URL that can stand inside ``[label](…)`` and a table cell (idempotent)."""
    if not _URL_UNSAFE.search(url):
        return url
    return _URL_UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group(0).encode()), url)


_HTTP = re.compile(r"^[hH][tT][tT][pP][sS]?://[^\s/?#\\]+")


def http_url(url: str) -> str | None:
    """The URL, encoded, when it is an absolute http(s) URL with a host; None otherwise."""
    url = url.strip()
    if not _HTTP.match(url):
        return None
    return encode_url(url) if _URL_UNSAFE.search(url) else url


def render(segments: Iterable[Seg], newline: str = "<br>") -> str:
    """Segments → markdown (the inverse of :func:`tokenize`)."""
    out: list[str] = []
    kinds: list[str] = []
    urls: list[int] = []  # positions of bare URLs
    for kind, text, url in segments:
        if kind == TEXT:
            out.append(escape(text, newline))
        elif kind == LINK:
            out.append(f"[{escape(text, newline)}]({encode_url(url)})")
        elif kind == URL:
            urls.append(len(out))
            out.append(encode_url(url))
        else:
            out.append(f"**{escape(text, newline)}**")
        kinds.append(kind)
    # A bare URL is written as <url> when what follows would be read as part of it; later
    # pieces are final when an earlier one is checked.
    for index in reversed(urls):
        url = out[index]
        match = _RAW_URL.match("".join(out[index:]))
        trimmed, tail = _trim_url(match.group(0)) if match else ("", "")
        following_text = out[index + 1] if index + 1 < len(out) and kinds[index + 1] == TEXT else ""
        if trimmed != url or len(tail) > len(following_text) or url.endswith("://"):
            out[index] = f"<{url}>"
    return "".join(out)


def link(label: str, url: str | None) -> str:
    """``[label](url)``, or the escaped label alone when there is no usable URL."""
    target = http_url(url) if url else None
    if target is None:
        return escape(label)
    if not label:
        return target
    return f"[{escape(label)}]({target})"


# ----------------------------------------------------------------------------------------
# Reading inline markdown

_PUNCT = r"!-/:-@\[-`{-~"
_LABEL = r"(?:[^\[\]\\\n]++|\\.|\[(?:[^\[\]\\\n]++|\\.)*+\])*+"
_DEST = r"<[^<>\n]*+>|(?:[^\s()\\]++|\\.|\((?:[^\s()\\]++|\\.)*+\))*+"
_TOKEN = re.compile(
    rf"(?P<esc>\\[{_PUNCT}])"
    r"|(?P<br><[bB][rR]\s*/?>)"
    rf"|(?P<link>\[(?P<label>{_LABEL})\]\(\s*(?P<dest>{_DEST})(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\s*\))"
    r"|<(?P<auto>https?://[^\s<>]+)>"
    r"|(?P<url>[hH][tT][tT][pP][sS]?://[^\s<>\[\]`|\\]+)"
    r"|\*\*(?P<bold>(?:\\.|[^*\\\n])+?)\*\*"
    r"|(?P<ent>&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});)"
)
_ENTITY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_RAW_URL = re.compile(r"[hH][tT][tT][pP][sS]?://[^\s<>\[\]`|\\]+")
_SPECIAL = re.compile(r"[\\\[<*&]|[hH][tT][tT][pP][sS]?://")
_TRAILING = ".,;:!?'\"*_"
_PAIRS = {")": "(", "]": "["}


def _trim_url(url: str) -> tuple[str, str]:
    """A raw URL without the punctuation that ends the sentence around it."""
    end = len(url)
    while end:
        last = url[end - 1]
        unbalanced = last in _PAIRS and url.count(last, 0, end) > url.count(_PAIRS[last], 0, end)
        if last not in _TRAILING and not unbalanced:
            break
        end -= 1
    return url[:end], url[end:]


_DEST_ESCAPE = re.compile(rf"\\([{_PUNCT}])")


def _unescape_dest(dest: str) -> str:
    dest = dest.strip()
    if dest.startswith("<") and dest.endswith(">"):
        dest = dest[1:-1]
    return _DEST_ESCAPE.sub(r"\1", dest) if "\\" in dest else dest


def _append_text(out: list[Seg], text: str) -> None:
    if not text:
        return
    if out and out[-1].kind == TEXT:
        out[-1] = Seg(TEXT, out[-1].text + text)
    else:
        out.append(Seg(TEXT, text))


_ONE_LINK = re.compile(r"\[([^\[\]\\\n<>&*`|~_$@]+)\]\((https?://[^\s()<>|\\\"'`\[\]^{}]+)\)")


def tokenize(markup: str) -> list[Seg]:
    """Inline markdown → segments. Never fails: what is not understood is text."""
    if not _SPECIAL.search(markup):
        return [Seg(TEXT, markup)] if markup else []
    if markup[0] == "[" and (one := _ONE_LINK.fullmatch(markup)) and "://" not in one[1]:
        return [Seg(LINK, one[1], one[2])]
    out: list[Seg] = []
    pos = 0  # end of what has been consumed
    cursor = 0  # where to look for the next token
    end = len(markup)
    while cursor < end:
        candidate = _SPECIAL.search(markup, cursor)
        if candidate is None:
            break
        match = _TOKEN.match(markup, candidate.start())
        if match is None:
            cursor = candidate.start() + 1
            continue
        start = match.start()
        if start > pos:
            _append_text(out, markup[pos:start])
        pos = cursor = match.end()
        group = match.lastgroup
        if group == "esc":
            _append_text(out, match.group(0)[1])
        elif group == "br":
            _append_text(out, "\n")
        elif group == "ent":
            decoded = html.unescape(match.group(0)).replace("\r", "\n")
            _append_text(out, _ENTITY_CONTROL.sub("", decoded))
        elif group == "link":
            url = http_url(_unescape_dest(match.group("dest") or ""))
            if url is None:
                _append_text(out, match.group(0))
                continue
            label = plain_text(match.group("label"))
            out.append(Seg(LINK, label, url) if label else Seg(URL, "", url))
        elif group == "auto":
            out.append(Seg(URL, "", encode_url(match.group("auto"))))
        elif group == "url":
            url, tail = _trim_url(match.group("url"))
            if url.endswith("://"):
                _append_text(out, match.group(0))
                continue
            out.append(Seg(URL, "", encode_url(url)))
            _append_text(out, tail)
        else:  # bold
            text = plain_text(match.group("bold"))
            if text:
                out.append(Seg(BOLD, text))
            else:
                _append_text(out, match.group(0))
    if pos < end:
        _append_text(out, markup[pos:])
    return out


def plain(segments: Iterable[Seg]) -> str:
    """What a reader sees: link labels (or the URL of a raw link), bold as text."""
    return "".join([s[2] if s[0] == URL else s[1] for s in segments])


def plain_text(markup: str) -> str:
    """``plain(tokenize(markup))``, quickly for text without markup."""
    if not _SPECIAL.search(markup):
        return markup
    return plain(tokenize(markup))


def link_segments(segments: Iterable[Seg]) -> list[Seg]:
    return [s for s in segments if s[0] == LINK or s[0] == URL]


def text_outside_links(segments: Iterable[Seg]) -> str:
    return "".join([s[1] for s in segments if s[0] == TEXT or s[0] == BOLD])


def canonical(markup: str, newline: str = "\n") -> str:
    """Markup as the exporter writes it (links kept, the rest escaped)."""
    return render(tokenize(markup), newline)


def strip_segments(segments: list[Seg]) -> list[Seg]:
    """Leading and trailing whitespace of the first and last text segments removed."""
    if not segments or (
        (segments[0][0] != TEXT or not segments[0][1][:1].isspace())
        and (segments[-1][0] != TEXT or not segments[-1][1][-1:].isspace())
    ):
        return segments
    out = list(segments)
    while out and out[0].kind == TEXT and not out[0].text.strip():
        out.pop(0)
    while out and out[-1].kind == TEXT and not out[-1].text.strip():
        out.pop()
    if out and out[0].kind == TEXT:
        out[0] = Seg(TEXT, out[0].text.lstrip())
    if out and out[-1].kind == TEXT:
        out[-1] = Seg(TEXT, out[-1].text.rstrip())
    return out


# ----------------------------------------------------------------------------------------
# Tables

_PIPE = re.compile(r"(?<!\\)\|")
_ALIGN_CELL = re.compile(r"^:?-+:?$")


def split_row(line: str) -> list[str]:
    """A table line → its cells (GFM: outer pipes optional, ``\\|`` is a pipe in a cell)."""
    text = line.strip()
    if "\\" not in text:  # no escaped pipes: every pipe separates cells
        parts = text.split("|")
        if text.startswith("|"):
            parts = parts[1:]
        if len(parts) > 1 and text.endswith("|"):
            parts = parts[:-1]
        return [p.strip() for p in parts]
    protected = "\\\\" in text
    if protected:
        text = text.replace("\\\\", "\x00")
    parts = _PIPE.split(text)
    if text.startswith("|"):
        parts = parts[1:]
    if len(parts) > 1 and text.endswith("|") and not text.endswith("\\|"):
        parts = parts[:-1]
    cells = [p.strip() for p in parts]
    if protected:
        cells = [c.replace("\x00", "\\\\") for c in cells]
    return cells


def is_alignment_row(line: str, columns: int) -> bool:
    if "-" not in line:
        return False
    cells = split_row(line)
    if len(cells) != columns:
        return False
    return all(_ALIGN_CELL.match(c.replace(" ", "")) for c in cells)


def table_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"
