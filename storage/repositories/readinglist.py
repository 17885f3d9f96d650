"""The topic-grouped reading list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from storage.models import Paper, ReadingItem, ReadingTopic
from storage.repositories.base import Repository
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


class ReadingListRepository(Repository):
    async def topic(self, guild_id: int, path: str) -> ReadingTopic | None:
        return await self.session.scalar(
            select(ReadingTopic).where(
                ReadingTopic.guild_id == guild_id,
                func.lower(ReadingTopic.path) == join_path(split_path(path)).lower(),
            )
        )

    async def ensure_topic(self, guild_id: int, path: str) -> ReadingTopic:
        """The topic at ``path``, creating it and its parents as needed."""
        parts = split_path(path)
        if not parts:
            raise ValueError("empty topic path")
        parent: ReadingTopic | None = None
        for depth in range(1, len(parts) + 1):
            sub_path = join_path(parts[:depth])
            topic = await self.topic(guild_id, sub_path)
            if topic is None:
                siblings = await self.session.scalar(
                    select(func.count())
                    .select_from(ReadingTopic)
                    .where(
                        ReadingTopic.guild_id == guild_id,
                        ReadingTopic.parent_id.is_(None)
                        if parent is None
                        else ReadingTopic.parent_id == parent.id,
                    )
                )
                topic = ReadingTopic(
                    guild_id=guild_id,
                    parent_id=None if parent is None else parent.id,
                    name=parts[depth - 1],
                    path=sub_path,
                    position=int(siblings or 0),
                )
                self.session.add(topic)
                await self.session.flush()
            parent = topic
        assert parent is not None
        return parent

    async def topics(self, guild_id: int) -> list[ReadingTopic]:
        """All topics, parents before children, in their order."""
        rows = await self.session.scalars(
            select(ReadingTopic)
            .where(ReadingTopic.guild_id == guild_id)
            .order_by(ReadingTopic.position, ReadingTopic.id)
        )
        return list(rows.all())

    async def search_topics(self, guild_id: int, text: str, limit: int = 25) -> list[ReadingTopic]:
        stmt = select(ReadingTopic).where(ReadingTopic.guild_id == guild_id)
        if text.strip():
            stmt = stmt.where(ReadingTopic.path.ilike(f"%{text.strip()}%"))
        return list(
            (await self.session.scalars(stmt.order_by(ReadingTopic.path).limit(limit))).all()
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
        existing = await self.session.scalar(
            select(ReadingItem).where(
                ReadingItem.topic_id == topic.id, ReadingItem.paper_id == paper.id
            )
        )
        if existing is not None:
            return existing, False
        position = await self.session.scalar(
            select(func.count()).select_from(ReadingItem).where(ReadingItem.topic_id == topic.id)
        )
        item = ReadingItem(
            guild_id=guild_id,
            topic_id=topic.id,  # type: ignore[arg-type]
            paper_id=paper.id,  # type: ignore[arg-type]
            label=label,
            read=read,
            read_at=utcnow() if read else None,
            position=int(position or 0),
            added_by=added_by,
        )
        self.session.add(item)
        await self.session.flush()
        return item, True

    async def items(
        self, guild_id: int, topic_ids: Sequence[int] | None = None
    ) -> list[ListedItem]:
        stmt = (
            select(ReadingItem, Paper)
            .join(Paper, Paper.id == ReadingItem.paper_id)
            .where(ReadingItem.guild_id == guild_id)
        )
        if topic_ids is not None:
            stmt = stmt.where(ReadingItem.topic_id.in_(list(topic_ids)))
        stmt = stmt.order_by(ReadingItem.topic_id, ReadingItem.position, ReadingItem.id)
        return [ListedItem(i, p) for i, p in (await self.session.execute(stmt)).all()]

    async def items_for_paper(self, guild_id: int, paper_id: int) -> list[ReadingItem]:
        rows = await self.session.scalars(
            select(ReadingItem).where(
                ReadingItem.guild_id == guild_id, ReadingItem.paper_id == paper_id
            )
        )
        return list(rows.all())

    async def mark(self, guild_id: int, paper_id: int, *, read: bool = True) -> int:
        """Mark every entry of a paper read (or unread); the number of entries changed."""
        changed = 0
        for item in await self.items_for_paper(guild_id, paper_id):
            if item.read != read:
                item.read = read
                item.read_at = utcnow() if read else None
                changed += 1
        await self.session.flush()
        return changed
