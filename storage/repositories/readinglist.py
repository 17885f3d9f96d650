"""The topic-grouped reading list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlmodel import col

from storage.models import (
    Paper,
    ReadingItem,
    ReadingSession,
    ReadingTopic,
    SessionPaper,
    SessionStatus,
    id_of,
)
from storage.repositories.base import Repository, escape_like
from storage.types import utcnow

PATH_SEPARATOR = "/"


def split_path(path: str) -> list[str]:
    """ "Representation Learning / Fusion" -> ["Representation Learning", "Fusion"]."""
    return [" ".join(part.split()) for part in path.split(PATH_SEPARATOR) if part.strip()]


def join_path(parts: Sequence[str]) -> str:
    return PATH_SEPARATOR.join(parts)


@dataclass(frozen=True, slots=True)
class ListedItem:
    item: ReadingItem
    paper: Paper
    # Discussed in a session that has started since a member last marked it unread (see
    # ``bot.readinglist.marks``): it reads as read without the mark being stored.
    discussed: bool = False

    @property
    def read(self) -> bool:
        return self.item.read or self.discussed


class ReadingListRepository(Repository):
    async def topic(self, guild_id: int, path: str) -> ReadingTopic | None:
        return await self.tx.scalar(
            select(ReadingTopic).where(
                col(ReadingTopic.guild_id) == guild_id,
                func.lower(col(ReadingTopic.path)) == join_path(split_path(path)).lower(),
            )
        )

    async def ensure_topic(self, guild_id: int, path: str) -> ReadingTopic:
        """The topic at ``path``, creating it and its parents as needed."""
        parts = split_path(path)
        if not parts:
            raise ValueError("empty topic path")
        parent: ReadingTopic | None = None
        for depth in range(1, len(parts) + 1):
            # Below an existing topic, keep its spelling ("fusion" under "Representation
            # Learning" becomes "Representation Learning/fusion", not a second parent).
            sub_path = join_path(
                [parent.path, parts[depth - 1]] if parent is not None else parts[:depth]
            )
            topic = await self.topic(guild_id, sub_path)
            if topic is None:
                siblings = await self.tx.scalar(
                    select(func.count())
                    .select_from(ReadingTopic)
                    .where(
                        col(ReadingTopic.guild_id) == guild_id,
                        col(ReadingTopic.parent_id).is_(None)
                        if parent is None
                        else col(ReadingTopic.parent_id) == parent.id,
                    )
                )
                topic = ReadingTopic(
                    guild_id=guild_id,
                    parent_id=None if parent is None else parent.id,
                    name=parts[depth - 1],
                    path=sub_path,
                    position=int(siblings or 0),
                )
                self.tx.add(topic)
                await self.tx.flush()
            parent = topic
        assert parent is not None
        return parent

    async def topics(self, guild_id: int) -> list[ReadingTopic]:
        """All topics, parents before children, in their order."""
        rows = await self.tx.scalars(
            select(ReadingTopic)
            .where(col(ReadingTopic.guild_id) == guild_id)
            .order_by(col(ReadingTopic.position), col(ReadingTopic.id))
        )
        return list(rows.all())

    async def subtree(self, guild_id: int, path: str) -> list[ReadingTopic]:
        """The topic at ``path`` and every topic below it (case-insensitive)."""
        wanted = join_path(split_path(path)).lower()
        if not wanted:
            return []
        escaped = escape_like(wanted)
        rows = await self.tx.scalars(
            select(ReadingTopic)
            .where(
                col(ReadingTopic.guild_id) == guild_id,
                or_(
                    func.lower(col(ReadingTopic.path)) == wanted,
                    func.lower(col(ReadingTopic.path)).like(
                        f"{escaped}{PATH_SEPARATOR}%", escape="\\"
                    ),
                ),
            )
            .order_by(col(ReadingTopic.position), col(ReadingTopic.id))
        )
        return list(rows.all())

    async def search_topics(self, guild_id: int, text: str, limit: int = 25) -> list[ReadingTopic]:
        stmt = select(ReadingTopic).where(col(ReadingTopic.guild_id) == guild_id)
        if text.strip():
            pattern = f"%{escape_like(text.strip())}%"
            stmt = stmt.where(col(ReadingTopic.path).ilike(pattern, escape="\\"))
        return list(
            (await self.tx.scalars(stmt.order_by(col(ReadingTopic.path)).limit(limit))).all()
        )

    async def add_item(
        self,
        guild_id: int,
        topic: ReadingTopic,
        paper: Paper,
        *,
        label: str | None = None,
        read: bool = False,
        added_by: int | None = None,
    ) -> tuple[ReadingItem, bool]:
        """Add a paper to a topic; an existing entry is returned with ``False``."""
        existing = await self.tx.scalar(
            select(ReadingItem).where(
                col(ReadingItem.topic_id) == topic.id, col(ReadingItem.paper_id) == paper.id
            )
        )
        if existing is not None:
            return existing, False
        position = await self.tx.scalar(
            select(func.count())
            .select_from(ReadingItem)
            .where(col(ReadingItem.topic_id) == topic.id)
        )
        item = ReadingItem(
            guild_id=guild_id,
            topic_id=id_of(topic),
            paper_id=id_of(paper),
            label=label,
            read=read,
            read_at=utcnow() if read else None,
            position=int(position or 0),
            added_by=added_by,
        )
        self.tx.add(item)
        await self.tx.flush()
        return item, True

    async def items(
        self, guild_id: int, topic_ids: Sequence[int] | None = None
    ) -> list[ListedItem]:
        stmt = (
            select(ReadingItem, Paper)
            .join(Paper, col(Paper.id) == col(ReadingItem.paper_id))
            .where(col(ReadingItem.guild_id) == guild_id)
        )
        if topic_ids is not None:
            stmt = stmt.where(col(ReadingItem.topic_id).in_(list(topic_ids)))
        stmt = stmt.order_by(
            col(ReadingItem.topic_id), col(ReadingItem.position), col(ReadingItem.id)
        )
        return [ListedItem(i, p) for i, p in (await self.tx.execute(stmt)).all()]

    async def items_for_paper(self, guild_id: int, paper_id: int) -> list[ReadingItem]:
        rows = await self.tx.scalars(
            select(ReadingItem).where(
                col(ReadingItem.guild_id) == guild_id, col(ReadingItem.paper_id) == paper_id
            )
        )
        return list(rows.all())

    async def remove_items(self, items: Sequence[ReadingItem]) -> list[ReadingTopic]:
        """Delete ``items``, then every topic they leave with no papers and no subtopics
        (walking up to its parents). Returns the topics deleted, each before its parent."""
        topic_ids = {item.topic_id for item in items}
        for item in items:
            await self.tx.delete(item)
        await self.tx.flush()
        removed: list[ReadingTopic] = []
        pending = sorted(topic_ids)
        while pending:
            topic = await self.tx.get(ReadingTopic, pending.pop())
            if topic is None or await self._has_content(topic):
                continue
            removed.append(topic)
            await self.tx.delete(topic)
            await self.tx.flush()
            if topic.parent_id is not None:
                pending.append(topic.parent_id)
        return removed

    async def _has_content(self, topic: ReadingTopic) -> bool:
        item = await self.tx.scalar(
            select(col(ReadingItem.id)).where(col(ReadingItem.topic_id) == topic.id).limit(1)
        )
        if item is not None:
            return True
        child = await self.tx.scalar(
            select(col(ReadingTopic.id)).where(col(ReadingTopic.parent_id) == topic.id).limit(1)
        )
        return child is not None

    async def set_read(self, items: Sequence[ReadingItem], *, read: bool, at: datetime) -> int:
        """Set the read mark of ``items``; ``at`` becomes their ``read_at``.

        ``read_at`` records when the mark last changed: the time it was read, or, on an unread
        item, when a member marked it unread (so a session held before that does not mark it
        read again; see :meth:`discussed_unread`). The number of items changed.
        """
        changed = 0
        for item in items:
            if item.read != read or item.read_at != at:
                changed += item.read != read
                item.read = read
                item.read_at = at
        await self.tx.flush()
        return changed

    async def discussed_since_marked(self, guild_id: int, now: datetime) -> dict[int, datetime]:
        """Items not marked read whose paper was discussed in a session that has started by
        ``now``, by id, with the start of the latest such session.

        Only sessions after the item was last marked unread by a member count (an unread
        item's ``read_at``); cancelled sessions never do.
        """
        latest = func.max(col(ReadingSession.starts_at))
        stmt = (
            select(col(ReadingItem.id), latest)
            .join(SessionPaper, col(SessionPaper.paper_id) == col(ReadingItem.paper_id))
            .join(ReadingSession, col(ReadingSession.id) == col(SessionPaper.session_id))
            .where(
                col(ReadingItem.guild_id) == guild_id,
                col(ReadingItem.read).is_(False),
                col(ReadingSession.guild_id) == guild_id,
                col(ReadingSession.status) == SessionStatus.SCHEDULED,
                col(ReadingSession.starts_at) <= now,
                or_(
                    col(ReadingItem.read_at).is_(None),
                    and_(
                        col(ReadingItem.read_at).is_not(None),
                        col(ReadingSession.starts_at) > col(ReadingItem.read_at),
                    ),
                ),
            )
            .group_by(col(ReadingItem.id))
        )
        return {int(item_id or 0): when for item_id, when in (await self.tx.execute(stmt)).all()}

    async def mark(self, guild_id: int, paper_id: int, *, read: bool = True) -> int:
        """Mark every entry of a paper read (or unread); the number of entries changed."""
        changed = 0
        for item in await self.items_for_paper(guild_id, paper_id):
            if item.read != read:
                item.read = read
                item.read_at = utcnow() if read else None
                changed += 1
        await self.tx.flush()
        return changed
