"""Reading the reading list of a README: ``<details>`` topics with ``- [x]``/``- [ ]``
items, or paper items under a heading such as "Reading list"; never contributors, tables of
contents, badges or prose bullets.
"""

from __future__ import annotations

import html
import re
from typing import Any

from bot.markdown.cells import RowReader
from bot.markdown.parsed import ParsedItem, ParsedTopic
from bot.markdown.reader import _ReaderBase
from bot.markdown.syntax import link_segments, plain, strip_segments, tokenize
from bot.markdown.wording import MAX_LABEL, MAX_NAME, clean, defuse, one_line, paper_ref, title_ref
from bot.papers.arxiv_ids import UrlKind, classify_url

_TAG = re.compile(
    r"<details\b[^>]*>|</details\s*>|<summary\b[^>]*>(?P<summary>.*?)</summary\s*>", re.I
)
_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+(?:\[(?P<mark>[ xX])\](?:\s+|$))?(?P<rest>.*)$")
_TAGS = re.compile(r"<[^>]+>")
_READING_HEADING = re.compile(
    r"\b(?:reading\s*list|papers?\s+(?:to\s+read|list|queue|backlog|pool|candidates|"
    r"suggestions)|to[\s-]read|readings|(?:candidate|future|suggested|proposed|upcoming)\s+"
    r"papers|backlog|wish\s*list|bibliography)\b|论文列表|阅读列表|读书清单|文献リスト",
    re.IGNORECASE,
)


class _ListReading(_ReaderBase):
    """Reading-list topics and their items."""

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
                    if not topic.is_empty():
                        self.issue(topic.line, "a <details> block without <summary>")
            else:
                name = one_line(html.unescape(_TAGS.sub("", match["summary"] or "")))
                name = defuse(clean(name))[0][:MAX_NAME]
                if self.stack and self.stack[-1].name is None:
                    self.stack[-1].name = name or "Untitled topic"
                else:
                    self.issue(line, "a <summary> outside a <details> block; ignored")
        self.loose = None

    def item(self, match: re.Match[str], line: int) -> None:
        checkbox = match["mark"] is not None
        if not self.stack and not (self.heading and _READING_HEADING.search(self.heading)):
            return  # a bullet outside the reading list: prose, contributors, a contents list
        rest = self._prepare(match["rest"])
        segments = strip_segments(tokenize(rest))
        if not segments:
            if checkbox or self.stack:
                self.issue(line, "an empty list item; ignored")
            return
        found = [s for s in link_segments(segments) if not s.url.lower().endswith((".svg", ".png"))]
        if not self.stack and not checkbox and not any(_paperish(s) for s in found):
            return  # under a reading-list heading, only papers are items
        row = RowReader(line, self.doc.issues)
        if found:
            first = found[0]
            position = segments.index(first)
            before = one_line(plain(segments[:position]))
            after = one_line(plain(segments[position + 1 :]))
            text = row.text(one_line(first.text), "link text") or None
            ref = paper_ref(first.url, text)
            if ref is None:
                row.note("a link longer than 2,000 characters; item ignored")
                return
            if after:
                row.note(f"text after the link ignored: {after[:60]!r}")
            label = row.text(before[:MAX_LABEL], "label") or None
        else:
            title = row.text(one_line(plain(segments)), "title")
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


def _paperish(seg: Any) -> bool:
    if seg.url.startswith("#"):
        return False
    return classify_url(seg.url) is not UrlKind.OTHER or len(seg.text.split()) >= 3


def _pruned(topics: list[ParsedTopic]) -> list[ParsedTopic]:
    """Topics that hold papers (a <details> around a table or prose is not a topic)."""
    kept = []
    for topic in topics:
        topic.children = _pruned(topic.children)
        if not topic.is_empty():
            kept.append(topic)
    return kept
