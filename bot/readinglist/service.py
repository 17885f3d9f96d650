"""The reading list: papers grouped by nested topics, each read or unread.

Topics nest like the group's README ("Representation Learning / Fusion"); a path names a
topic and is created with its parents on first use. Knows nothing of Discord.

A paper discussed in a session counts as read once that session has started (a cancelled
session does not count): derived whenever the list is read (:mod:`bot.readinglist.marks`),
never written. A member who marks a paper unread keeps it unread until a later session
discusses it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.clock import Clock
from bot.errors import InvalidInput, NotFound
from bot.events import EventBus, ReadingListChanged
from bot.papers.refs import check_not_withdrawn
from bot.papers.service import PaperService
from bot.readinglist.marks import read_marks
from bot.text import check_text
from storage.db import Database
from storage.models import Paper, ReadingItem, ReadingTopic, id_of
from storage.repositories import UnitOfWork
from storage.repositories.readinglist import ListedItem, join_path, split_path

MAX_DEPTH = 4
TOPIC_NAME_LIMIT = 100
TOPIC_PATH_LIMIT = 300
SHOWN_SEPARATOR = " / "


def clean_topic_path(text: str) -> list[str]:
    """'Representation Learning / Fusion' → ['Representation Learning', 'Fusion'], checked."""
    raw = (text or "").strip()
    if len(raw) > TOPIC_PATH_LIMIT:
        raise InvalidInput(f"A topic path has at most {TOPIC_PATH_LIMIT} characters.")
    parts = split_path(raw)
    if not parts:
        raise InvalidInput(
            "Give a topic, e.g. 'Surveys' or 'Representation Learning / Fusion' (a slash "
            "separates a topic from its subtopic)."
        )
    if len(parts) > MAX_DEPTH:
        raise InvalidInput(f"Topics nest at most {MAX_DEPTH} levels deep.")
    cleaned = []
    for part in parts:
        name = check_text(part, what="topic name", limit=TOPIC_NAME_LIMIT)
        if name is None:  # pragma: no cover - split_path drops blank parts
            continue
        cleaned.append(name)
    return cleaned


@dataclass(frozen=True, slots=True)
class RemoveResult:
    paper: Paper
    removed_from: list[str]  # topic paths as shown
    topics_removed: list[str]  # topics left empty, deleted with it


def shown_path(path: str) -> str:
    """'Representation Learning/Fusion' → 'Representation Learning / Fusion'."""
    return SHOWN_SEPARATOR.join(split_path(path))


@dataclass(slots=True)
class TopicNode:
    topic: ReadingTopic
    items: list[ListedItem] = field(default_factory=list)
    children: list[TopicNode] = field(default_factory=list)

    @property
    def depth(self) -> int:
        return len(split_path(self.topic.path)) - 1

    def walk(self) -> list[TopicNode]:
        nodes = [self]
        for child in self.children:
            nodes.extend(child.walk())
        return nodes

    def counts(self) -> tuple[int, int]:
        """(read, total) over this topic and its subtopics."""
        items = [i for node in self.walk() for i in node.items]
        return sum(1 for i in items if i.read), len(items)


@dataclass(frozen=True, slots=True)
class AddResult:
    topic: ReadingTopic
    added: list[Paper]
    already: list[Paper]
    read: list[Paper]  # added papers already discussed in a session, so marked read


class ReadingListService:
    def __init__(self, db: Database, events: EventBus, clock: Clock, papers: PaperService):
        self.db = db
        self.events = events
        self.clock = clock
        self.papers = papers

    # ----------------------------------------------------------------------------------
    # Writing

    async def add(
        self, guild_id: int, refs: Sequence[str], topic_path: str, *, actor_id: int | None
    ) -> AddResult:
        """Add papers to a topic (created with its parents as needed), all or nothing."""
        parts = clean_topic_path(topic_path)
        refs = [r for r in refs if r.strip()]
        if not refs:
            raise InvalidInput("Give the paper: an arXiv id or link, another link, or a title.")
        specs = await self.papers.lookup(guild_id, refs, any_url=False)
        async with self.db.unit() as uow:
            papers = await self.papers.store(uow, guild_id, specs)
            for paper in papers:
                check_not_withdrawn(paper)
            topic = await uow.readinglist.ensure_topic(guild_id, join_path(parts))
            added: list[Paper] = []
            already: list[Paper] = []
            for paper in papers:
                _item, created = await uow.readinglist.add_item(
                    guild_id, topic, paper, added_by=actor_id
                )
                (added if created else already).append(paper)
            marks = await read_marks(uow, guild_id, self.clock.now())
            read_ids = {
                item.paper_id
                for item in await self._items_of(uow, guild_id, [id_of(p) for p in added])
                if marks.is_read(item.id, item.read) and item.topic_id == topic.id
            }
        if added:
            await self.events.publish(ReadingListChanged(guild_id))
        return AddResult(topic, added, already, [p for p in added if p.id in read_ids])

    @staticmethod
    async def _items_of(
        uow: UnitOfWork, guild_id: int, paper_ids: Sequence[int]
    ) -> list[ReadingItem]:
        items: list[ReadingItem] = []
        for paper_id in paper_ids:
            items.extend(await uow.readinglist.items_for_paper(guild_id, paper_id))
        return items

    async def mark(
        self, guild_id: int, ref: str, *, read: bool = True
    ) -> tuple[Paper, int, list[str]]:
        """Mark a listed paper read (or unread) in every topic it is in.

        Returns the paper, how many entries changed and the topic paths it is listed under.
        """
        paper = await self.papers.stored(guild_id, ref)
        if paper is None:
            raise NotFound(
                "That paper is not on the reading list. Add it with /readinglist add first."
            )
        now = self.clock.now()
        async with self.db.unit() as uow:
            items = await uow.readinglist.items_for_paper(guild_id, id_of(paper))
            if not items:
                raise NotFound(
                    f"{paper.title[:100]!r} is not on the reading list. Add it with "
                    "/readinglist add first."
                )
            marks = await read_marks(uow, guild_id, now)
            changed = sum(marks.is_read(i.id, i.read) != read for i in items)
            await uow.readinglist.set_read(items, read=read, at=now)
            topics = {t.id: t.path for t in await uow.readinglist.topics(guild_id)}
        paths = [shown_path(topics[i.topic_id]) for i in items if i.topic_id in topics]
        if changed:
            await self.events.publish(ReadingListChanged(guild_id))
        return paper, changed, paths

    async def remove(self, guild_id: int, ref: str, topic_path: str | None = None) -> RemoveResult:
        """Take a paper off the reading list: off one topic, or off every topic it is in.

        Topics left with no papers and no subtopics go too. The paper itself stays (sessions
        and proposals may use it)."""
        paper = await self.papers.stored(guild_id, ref)
        if paper is None:
            raise NotFound("That paper is not on the reading list.")
        async with self.db.unit() as uow:
            items = await uow.readinglist.items_for_paper(guild_id, id_of(paper))
            if not items:
                raise NotFound(f"{paper.title[:100]!r} is not on the reading list.")
            topics = {t.id: t for t in await uow.readinglist.topics(guild_id)}
            listed = [shown_path(topics[i.topic_id].path) for i in items]
            if topic_path is not None and topic_path.strip():
                topic = await uow.readinglist.topic(
                    guild_id, join_path(clean_topic_path(topic_path))
                )
                items = [i for i in items if topic is not None and i.topic_id == topic.id]
                if not items:
                    raise NotFound(
                        f"{paper.title[:100]!r} is not listed under {topic_path.strip()[:100]!r}; "
                        f"it is in: {', '.join(listed[:5])}."
                    )
            removed_from = [shown_path(topics[i.topic_id].path) for i in items]
            gone = await uow.readinglist.remove_items(items)
        await self.events.publish(ReadingListChanged(guild_id))
        return RemoveResult(paper, removed_from, [shown_path(t.path) for t in gone])

    # ----------------------------------------------------------------------------------
    # Reading

    async def tree(self, guild_id: int, topic_path: str | None = None) -> list[TopicNode]:
        """The reading list as nested topics (all, or one topic with its subtopics)."""
        async with self.db.unit() as uow:
            if topic_path and topic_path.strip():
                parts = clean_topic_path(topic_path)
                topics = await uow.readinglist.subtree(guild_id, join_path(parts))
                if not topics:
                    raise NotFound(
                        f"There is no topic {SHOWN_SEPARATOR.join(parts)!r} on the reading list."
                    )
            else:
                topics = await uow.readinglist.topics(guild_id)
            stored = await uow.readinglist.items(guild_id, [id_of(t) for t in topics])
            items = (await read_marks(uow, guild_id, self.clock.now())).listed(stored)
        nodes = {t.id: TopicNode(t) for t in topics}
        for listed in items:
            node = nodes.get(listed.item.topic_id)
            if node is not None:
                node.items.append(listed)
        roots: list[TopicNode] = []
        for topic in topics:
            node = nodes[topic.id]
            parent = nodes.get(topic.parent_id) if topic.parent_id is not None else None
            (parent.children if parent is not None else roots).append(node)
        return roots

    async def topic_paths(self, guild_id: int, text: str = "", limit: int = 25) -> list[str]:
        """Topic paths containing ``text``, as members type them (autocomplete)."""
        async with self.db.unit() as uow:
            topics = await uow.readinglist.search_topics(guild_id, text.replace(" / ", "/"), limit)
        return [shown_path(t.path) for t in topics]

    async def listed_papers(self, guild_id: int, text: str = "", limit: int = 25) -> list[Paper]:
        """Papers on the reading list whose title contains ``text`` (autocomplete)."""
        async with self.db.unit() as uow:
            items = await uow.readinglist.items(guild_id)
        wanted = text.strip().casefold()
        seen: dict[int, Paper] = {}
        for listed in items:
            paper = listed.paper
            if paper.id in seen:
                continue
            if not wanted or wanted in paper.title.casefold() or wanted in (paper.arxiv_id or ""):
                seen[id_of(paper)] = paper
            if len(seen) >= limit:
                break
        return list(seen.values())
