"""What the import planner starts from and what it decides: the parsed file, the server's
settings and the rows it holds (``load``), and the plans for papers, sessions and
reading-list topics that planning fills in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.markdown.parsed import Issue, PaperRef, ParsedDocument, ParsedRow, ParsedTopic
from bot.markdown.render import CellPaper
from bot.markdown.report import ImportReport
from bot.papers.identity import equivalent_keys, normalise_title
from storage.models import GuildConfig, SessionKind
from storage.repositories import UnitOfWork

_KIND_NAMES: dict[str, str] = {
    SessionKind.PAPER: "paper",
    SessionKind.CONTINUE: "continue",
    SessionKind.BLOCK_PART: "block part",
    SessionKind.TOPIC: "topic",
    SessionKind.SPECIAL: "special session",
    SessionKind.TBA: "TBA",
}


@dataclass(slots=True)
class _PaperPlan:
    ref: PaperRef
    title: str
    has_text: bool
    line: int  # the first line naming the paper: its conflicts are reported there
    authors: tuple[str, ...] | None = None
    code: tuple[tuple[str, str], ...] | None = None
    demo: tuple[tuple[str, str], ...] | None = None
    # the final state (existing row merged with the file)
    id: int | None = None
    existing: Any | None = None
    final: CellPaper | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)

    @property
    def merged(self) -> CellPaper:
        """The final state, once planning has merged the stored row with the file."""
        assert self.final is not None, "the paper was not merged yet"
        return self.final


@dataclass(slots=True)
class _SessionPlan:
    row: ParsedRow
    existing: Any | None
    values: dict[str, Any]
    papers: tuple[tuple[str, str, str | None], ...]  # (plan key, role, label)
    comments_add: Sequence[str]
    comments_delete: Sequence[int]
    fields: tuple[str, ...]
    conflicts: tuple[str, ...] = ()
    continues: _SessionPlan | Any | None = None
    keep_continues: bool = False  # the stored content is kept: so is what it continues
    id: int | None = None
    papers_changed: bool = False


@dataclass(slots=True)
class _TopicPlan:
    name: str
    path: str
    position: int
    parent: _TopicPlan | None
    id: int | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    items: list[tuple[str, bool, str | None, int, int]] = field(default_factory=list)


def _headline(
    kind: str, title: str | None, block: str | None, part: int | None, first: str | None
) -> str:
    if kind == SessionKind.BLOCK_PART:
        text = f"{block}. Part {part}" if part is not None else str(block)
        return f"{text}. {title}" if title else text
    if kind == SessionKind.CONTINUE:
        return title or "Continue"
    if kind == SessionKind.PAPER:
        return first or title or "Paper"
    return title or first or _KIND_NAMES.get(kind, kind)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _quote(value: Any, limit: int = 60) -> str:
    if isinstance(value, list | tuple):
        value = ", ".join(str(v[1] if isinstance(v, list | tuple) else v) for v in value)
    text = " ".join(str(value).split())
    return repr(_short(text, limit))


def _urls(links: Sequence[Sequence[str]] | None) -> list[str]:
    return [str(pair[1]) for pair in links or () if len(pair) == 2]


class _PlannerState:
    """The planner's inputs, what the server holds, and the plans made so far."""

    def __init__(
        self,
        guild_id: int,
        config: GuildConfig,
        doc: ParsedDocument,
        now: datetime,
        *,
        overwrite: bool = False,
    ) -> None:
        self.guild_id = guild_id
        self.config = config
        self.doc = doc
        self.now = now
        self.overwrite = overwrite
        self.issues: list[Issue] = list(doc.issues)
        self.paper_plans: dict[str, _PaperPlan] = {}
        self.alias: dict[str, str] = {}  # a key of the file → the plan that stands for it
        self.sessions: list[_SessionPlan] = []
        self.topics: list[_TopicPlan] = []
        self.report = ImportReport(dry_run=True, overwrite=overwrite)

    # ------------------------------------------------------------------ loading

    def _refs(self) -> list[PaperRef]:
        refs = [p.ref for r in self.doc.rows for p in r.papers]
        return refs + [i.ref for t in _walk(self.doc.topics) for i in t.items]

    async def load(self, uow: UnitOfWork) -> None:
        gid = self.guild_id
        refs = self._refs()
        self.existing_sessions = await uow.markdown.sessions_for_import(gid)
        self.existing_links: dict[int, list[tuple[int, str, str | None]]] = defaultdict(list)
        self.existing_titles: dict[int, str] = {}
        for link in await uow.markdown.session_papers(gid):
            self.existing_links[link.session_id].append((link.paper_id, link.role, link.label))
            self.existing_titles[link.paper_id] = link.title
        self.existing_comments: dict[int, list[Any]] = defaultdict(list)
        for comment in await uow.markdown.comments_for_import(gid):
            self.existing_comments[comment.session_id].append(comment)
        wanted = {key: equivalent_keys(key) for key in dict.fromkeys(r.ref_key for r in refs)}
        found = {
            p.ref_key: p
            for p in await uow.markdown.papers_by_keys(
                gid, [k for keys in wanted.values() for k in keys]
            )
        }
        self.existing_papers: dict[str, Any] = {}
        for key, keys in wanted.items():
            match = next((found[k] for k in keys if k in found), None)
            if match is not None:
                self.existing_papers[key] = match
        # Papers named by a title, and stored papers known only by a title, match by title.
        titles = [r.title for r in refs if r.ref_key not in self.existing_papers and r.title]
        self.papers_by_title: dict[str, list[Any]] = defaultdict(list)
        if titles:
            for paper in await uow.markdown.papers_by_titles(gid, titles):
                self.papers_by_title[normalise_title(paper.title)].append(paper)
        self.existing_topics = await uow.markdown.reading_topics(gid)
        self.existing_items = await uow.markdown.reading_items(gid)


def _walk(topics: list[ParsedTopic]) -> list[ParsedTopic]:
    out: list[ParsedTopic] = []
    for topic in topics:
        out.append(topic)
        out.extend(_walk(topic.children))
    return out
