"""What the columns of a schedule table mean, read from their headers.

Headers are compared by meaning: case, padding, ``&nbsp;``, tabs, emoji, escapes,
footnote marks (``Person [1]``) and a plural ``(s)`` do not matter, and the usual words of
other languages' schedules count too (``日期``, ``発表者``). A header that names no known
role is kept by its name: what its cells hold stays with the session.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.markdown.syntax import reader_text

# Roles the README shape has a column for, or that the import understands.
DATE, TIME, PAPER, PAPER_LINK, AUTHORS, PRESENTER = (
    "date",
    "time",
    "paper",
    "paper_link",
    "authors",
    "presenter",
)
CODE, DEMO, COMMENTS = "code", "demo", "comments"
# Roles kept with the session under the column's own name (the README shape has no place).
INDEX, VENUE, PLACE, MATERIALS = "index", "venue", "place", "materials"
EXTRA_ROLES = frozenset({INDEX, VENUE, PLACE, MATERIALS})

# Exact names (after normalising), then single words found in longer names.
_NAMES: dict[str, tuple[str, ...]] = {
    DATE: (
        "date", "dates", "when", "day", "datum", "fecha", "meeting date", "session date",
        "date held", "日期", "日付", "開催日", "日程", "时间日期", "날짜",
    ),
    TIME: ("time", "start", "start time", "hour", "at", "time of day", "时间", "時間", "시간"),
    PAPER: (
        "paper", "papers", "title", "titles", "paper title", "paper title and link",
        "paper titles", "reading", "readings", "article", "articles", "selected paper",
        "论文", "論文", "文献", "題目", "タイトル", "논문",
    ),
    AUTHORS: ("authors", "author", "by", "author s", "作者", "著者", "저자"),
    PRESENTER: (
        "presenter", "presenters", "presented by", "speaker", "speakers", "host", "hosts",
        "lead", "leads", "leader", "discussion lead", "discussion leader", "discussant",
        "moderator", "person", "people", "who", "facilitator", "chair", "volunteer",
        "分享", "分享人", "分享者", "主讲", "主讲人", "报告人", "发表者", "発表者", "担当",
        "担当者", "主持", "主持人", "발표자",
    ),
    VENUE: (
        "venue", "conference", "appear in", "appears in", "appeared in", "published in",
        "publication", "journal", "proceedings", "source",
    ),
    CODE: ("code", "repo", "repos", "repository", "github", "implementation", "代码", "コード"),
    DEMO: ("demo", "demos", "colab", "notebook", "notebooks"),
    MATERIALS: (
        "slides", "slide", "resources", "resource", "recording", "recordings", "video",
        "videos", "blog", "blogs", "materials", "material", "links", "link", "pdf", "ppt",
        "recording link", "video link", "slides & code", "视频", "视频记录", "录像", "资料",
        "资源", "関連資料", "资料链接", "关联 issue", "issue",
    ),
    INDEX: (
        "week", "weeks", "no", "nr", "num", "number", "#", "idx", "index", "session no",
        "s no", "sl no", "lecture", "周", "周数", "周次", "回", "第", "序号", "编号",
    ),
    PLACE: (
        "place", "room", "location", "where", "lieu", "ort", "地点", "场所", "場所", "会場",
        "開催場所", "教室",
    ),
    COMMENTS: (
        "comments", "comment", "notes", "note", "remarks", "remark", "why should we care",
        "why read it", "summary", "questions", "discussion", "takeaways", "備考", "备注",
        "メモ", "笔记",
    ),
}  # fmt: skip
# Words that give the role of a longer header ("Meeting Date", "Topics Covered").
_WORDS: tuple[tuple[str, str], ...] = (
    ("date", DATE),
    ("paper", PAPER),
    ("title", PAPER),
    ("presenter", PRESENTER),
    ("speaker", PRESENTER),
    ("author", AUTHORS),
    ("repo", CODE),
    ("code", CODE),
    ("slide", MATERIALS),
    ("recording", MATERIALS),
    ("video", MATERIALS),
    ("resource", MATERIALS),
    ("note", COMMENTS),
    ("comment", COMMENTS),
    ("room", PLACE),
    ("location", PLACE),
    ("venue", VENUE),
    ("week", INDEX),
)
# Headers of what a session is about (its topic, or its paper: plain text under either is
# a paper only when it reads like a citation).
TOPIC_NAMES = frozenset(
    {
        "topic", "topics", "topics covered", "content", "contents", "description",
        "subject", "what", "session", "talk", "talks", "theme", "agenda", "chapter",
        "chapters", "内容", "主题", "题目", "议题", "輪読対象", "テーマ", "内容📒", "주제",
    }
)  # fmt: skip
_ALIASES = {name: role for role, names in _NAMES.items() for name in names}
_FOOTNOTE = re.compile(r"\[\d+\]|\[\^[^\]]*\]|\(s\)|\(es\)")
_LINK_WORDS = frozenset({"link", "links", "url", "pdf", "arxiv"})


def header_key(cell: str) -> str:
    """A header reduced to what it means: no markup, case, emoji, punctuation or padding."""
    text = unicodedata.normalize("NFKC", reader_text(cell.replace("\t", " ")))
    text = _FOOTNOTE.sub(" ", text.lower())
    kept = "".join(
        ch if ch.isalnum() or ch in " #&" else " "
        for ch in text
        if unicodedata.category(ch)[0] in "LNZ" or ch in "#&-/_.:()"
    )
    return " ".join(kept.split())


def header_label(cell: str, index: int) -> str:
    """The name a column is kept under: the header as a reader sees it, without emoji."""
    text = unicodedata.normalize("NFKC", reader_text(cell))
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] in "LNPZ" or ch in "#&+")
    text = " ".join(text.split()).strip(" :")
    return text[:60] or f"Column {index + 1}"


def _role(key: str) -> str | None:
    if not key:
        return None
    if key in _ALIASES:
        return _ALIASES[key]
    if key.endswith("s") and key[:-1] in _ALIASES:
        return _ALIASES[key[:-1]]
    if key in TOPIC_NAMES:
        return PAPER
    words = key.replace("/", " ").split()
    if "paper" in words and _LINK_WORDS & set(words) and "title" not in words:
        return PAPER_LINK
    for word, role in _WORDS:
        if any(w == word or w == word + "s" for w in words):
            return role
    if any(w in TOPIC_NAMES for w in words):
        return PAPER
    return None


@dataclass(slots=True)
class Columns:
    """The columns of one table: role → index, and the other columns by index → name."""

    roles: dict[str, int] = field(default_factory=dict)
    extras: dict[int, str] = field(default_factory=dict)
    labels: dict[int, str] = field(default_factory=dict)  # every column's name

    def index(self, role: str) -> int | None:
        return self.roles.get(role)


def map_headers(cells: Sequence[str]) -> Columns:
    """Roles by meaning; the first column of a role wins, the rest are kept by name."""
    columns = Columns()
    for index, cell in enumerate(cells):
        key = header_key(cell)
        label = header_label(cell, index)
        columns.labels[index] = label
        role = _role(key)
        if role is None or role in EXTRA_ROLES or role in columns.roles:
            columns.extras[index] = label
            continue
        columns.roles[role] = index
    if PAPER_LINK in columns.roles and PAPER not in columns.roles:
        columns.roles[PAPER] = columns.roles.pop(PAPER_LINK)  # "Paper link" alone is the paper
    return columns
