"""Bulk reads and writes for exporting and importing the schedule as markdown.

A README can hold thousands of rows: everything here works on whole sets of rows with a
constant number of queries (plain column rows, no ORM objects, executemany for writes), and
every statement is scoped by ``guild_id``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, select, update
from sqlmodel import col

from storage.models import (
    Comment,
    CommentSource,
    Paper,
    ReadingItem,
    ReadingSession,
    ReadingTopic,
    SessionPaper,
    SessionStatus,
)
from storage.repositories.base import Repository, bulk_insert, table_of
from storage.repositories.numbering import next_numbers

CHUNK = 500


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class MarkdownRepository(Repository):
    # ------------------------------------------------------------------------------ export

    def _window(self, guild_id: int, start: datetime | None, end: datetime | None) -> Any:
        conditions = [
            col(ReadingSession.guild_id) == guild_id,
            col(ReadingSession.status) == SessionStatus.SCHEDULED,
        ]
        if start is not None:
            conditions.append(col(ReadingSession.starts_at) >= start)
        if end is not None:
            conditions.append(col(ReadingSession.starts_at) < end)
        return and_(*conditions)

    async def export_sessions(
        self, guild_id: int, start: datetime | None, end: datetime | None
    ) -> Sequence[Any]:
        """Scheduled sessions in ``[start, end)``, oldest first."""
        stmt = (
            select(
                col(ReadingSession.id),
                col(ReadingSession.number),
                col(ReadingSession.starts_at),
                col(ReadingSession.duration_minutes),
                col(ReadingSession.kind),
                col(ReadingSession.title),
                col(ReadingSession.block_name),
                col(ReadingSession.block_part),
                col(ReadingSession.details),
                col(ReadingSession.presenter_id),
                col(ReadingSession.presenter_name),
            )
            .where(self._window(guild_id, start, end))
            .order_by(col(ReadingSession.starts_at), col(ReadingSession.id))
        )
        return (await self.tx.execute(stmt)).all()

    async def export_papers(
        self, guild_id: int, start: datetime | None, end: datetime | None
    ) -> Sequence[Any]:
        """The papers of the same sessions, in their order within each session."""
        stmt = (
            select(
                col(SessionPaper.session_id),
                col(SessionPaper.role),
                col(SessionPaper.label),
                col(Paper.ref_key),
                col(Paper.title),
                col(Paper.url),
                col(Paper.authors),
                col(Paper.code_links),
                col(Paper.demo_links),
                col(Paper.source),
            )
            .join(Paper, col(Paper.id) == col(SessionPaper.paper_id))
            .join(ReadingSession, col(ReadingSession.id) == col(SessionPaper.session_id))
            .where(self._window(guild_id, start, end), col(SessionPaper.guild_id) == guild_id)
            .order_by(col(SessionPaper.session_id), col(SessionPaper.position))
        )
        return (await self.tx.execute(stmt)).all()

    async def export_comments(
        self, guild_id: int, start: datetime | None, end: datetime | None
    ) -> Sequence[Any]:
        """Pinned comments of the same sessions, oldest first."""
        stmt = (
            select(col(Comment.session_id), col(Comment.text))
            .join(ReadingSession, col(ReadingSession.id) == col(Comment.session_id))
            .where(
                self._window(guild_id, start, end),
                col(Comment.guild_id) == guild_id,
                col(Comment.pinned).is_(True),
            )
            .order_by(col(Comment.session_id), col(Comment.created_at), col(Comment.id))
        )
        return (await self.tx.execute(stmt)).all()

    async def reading_topics(self, guild_id: int) -> Sequence[Any]:
        stmt = (
            select(
                col(ReadingTopic.id),
                col(ReadingTopic.parent_id),
                col(ReadingTopic.name),
                col(ReadingTopic.path),
                col(ReadingTopic.position),
            )
            .where(col(ReadingTopic.guild_id) == guild_id)
            .order_by(col(ReadingTopic.position), col(ReadingTopic.id))
        )
        return (await self.tx.execute(stmt)).all()

    async def reading_items(self, guild_id: int) -> Sequence[Any]:
        stmt = (
            select(
                col(ReadingItem.id),
                col(ReadingItem.topic_id),
                col(ReadingItem.paper_id),
                col(ReadingItem.label),
                col(ReadingItem.read),
                col(ReadingItem.position),
                col(Paper.title),
                col(Paper.url),
            )
            .join(Paper, col(Paper.id) == col(ReadingItem.paper_id))
            .where(col(ReadingItem.guild_id) == guild_id)
            .order_by(col(ReadingItem.topic_id), col(ReadingItem.position), col(ReadingItem.id))
        )
        return (await self.tx.execute(stmt)).all()

    # ------------------------------------------------------------------------------ import

    async def sessions_for_import(self, guild_id: int) -> Sequence[Any]:
        """Every scheduled session of the server (sessions are matched by their date)."""
        stmt = (
            select(
                col(ReadingSession.id),
                col(ReadingSession.number),
                col(ReadingSession.starts_at),
                col(ReadingSession.duration_minutes),
                col(ReadingSession.kind),
                col(ReadingSession.title),
                col(ReadingSession.notes),
                col(ReadingSession.block_name),
                col(ReadingSession.block_part),
                col(ReadingSession.continues_id),
                col(ReadingSession.presenter_id),
                col(ReadingSession.presenter_name),
                col(ReadingSession.details),
            )
            .where(
                col(ReadingSession.guild_id) == guild_id,
                col(ReadingSession.status) == SessionStatus.SCHEDULED,
            )
            .order_by(col(ReadingSession.starts_at), col(ReadingSession.id))
        )
        return (await self.tx.execute(stmt)).all()

    async def session_papers(self, guild_id: int) -> Sequence[Any]:
        stmt = (
            select(
                col(SessionPaper.session_id),
                col(SessionPaper.paper_id),
                col(SessionPaper.role),
                col(SessionPaper.label),
                col(Paper.title),
            )
            .join(Paper, col(Paper.id) == col(SessionPaper.paper_id))
            .where(col(SessionPaper.guild_id) == guild_id)
            .order_by(col(SessionPaper.session_id), col(SessionPaper.position))
        )
        return (await self.tx.execute(stmt)).all()

    async def comments_for_import(self, guild_id: int) -> Sequence[Any]:
        """Comments an import may match or replace: pinned ones and imported ones."""
        stmt = (
            select(
                col(Comment.id),
                col(Comment.session_id),
                col(Comment.text),
                col(Comment.pinned),
                col(Comment.source),
            )
            .where(
                col(Comment.guild_id) == guild_id,
                (col(Comment.pinned).is_(True)) | (col(Comment.source) == CommentSource.IMPORT),
            )
            .order_by(col(Comment.session_id), col(Comment.created_at), col(Comment.id))
        )
        return (await self.tx.execute(stmt)).all()

    @staticmethod
    def _paper_columns() -> tuple[Any, ...]:
        return (
            col(Paper.id),
            col(Paper.ref_key),
            col(Paper.title),
            col(Paper.url),
            col(Paper.authors),
            col(Paper.code_links),
            col(Paper.demo_links),
            col(Paper.source),
            col(Paper.links_edited),
        )

    async def papers_by_keys(self, guild_id: int, keys: Sequence[str]) -> Sequence[Any]:
        rows: list[Any] = []
        for chunk in _chunks(list(dict.fromkeys(keys))):
            stmt = select(*self._paper_columns()).where(
                col(Paper.guild_id) == guild_id, col(Paper.ref_key).in_(chunk)
            )
            rows.extend((await self.tx.execute(stmt)).all())
        return rows

    async def papers_by_titles(self, guild_id: int, titles: Sequence[str]) -> Sequence[Any]:
        """Papers whose title is one of ``titles`` (compared in lower case)."""
        rows: list[Any] = []
        wanted = list(dict.fromkeys(t.strip().lower() for t in titles if t.strip()))
        for chunk in _chunks(wanted):
            stmt = select(*self._paper_columns()).where(
                col(Paper.guild_id) == guild_id, func.lower(col(Paper.title)).in_(chunk)
            )
            rows.extend((await self.tx.execute(stmt)).all())
        return rows

    # ------------------------------------------------------------------------------ writes

    async def _insert(self, model: Any, rows: Iterable[dict[str, Any]], key: str) -> list[Any]:
        """One executemany for all rows (RETURNING would go row by row on SQLite); the value
        of column ``key`` of each row, in order."""
        keys: list[Any] = []

        def noted() -> Iterator[dict[str, Any]]:
            for row in rows:
                keys.append(row[key])
                yield row

        await bulk_insert(self.tx, table_of(model), noted())
        return keys

    async def _numbered(
        self, model: Any, guild_id: int, rows: Iterable[dict[str, Any]]
    ) -> Iterator[dict[str, Any]]:
        """``rows`` with the server's next numbers, the numbering lock held until the end."""
        first = await next_numbers(self.tx, table_of(model), guild_id)
        return ({**row, "number": n} for n, row in enumerate(rows, start=first))

    async def _max_id(self, model: Any, guild_id: int) -> int:
        table = table_of(model)
        value = await self.tx.scalar(
            select(func.max(table.c.id)).where(table.c.guild_id == guild_id)
        )
        return int(value or 0)

    async def _update(self, model: Any, guild_id: int, rows: Sequence[dict[str, Any]]) -> None:
        """Update rows by id (each dict: ``id`` plus the changed columns)."""
        table = table_of(model)
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            groups.setdefault(tuple(sorted(k for k in row if k != "id")), []).append(row)
        for names, group in groups.items():
            if not names:
                continue
            stmt = (
                update(table)
                .where(table.c.id == bindparam("_id"), table.c.guild_id == guild_id)
                .values({name: bindparam(name) for name in names})
            )
            params = [{"_id": r["id"], **{n: r[n] for n in names}} for r in group]
            await self.tx.execute(stmt, params)

    async def _new_ids(self, model: Any, guild_id: int, floor: int) -> list[int]:
        table = table_of(model)
        found = await self.tx.scalars(
            select(table.c.id)
            .where(table.c.guild_id == guild_id, table.c.id > floor)
            .order_by(table.c.id)
        )
        return list(found.all())

    async def insert_papers(self, guild_id: int, rows: Iterable[dict[str, Any]]) -> dict[str, int]:
        """Insert papers; their new ids by ``ref_key`` (unique within the server)."""
        floor = await self._max_id(Paper, guild_id)
        keys = await self._insert(Paper, rows, "ref_key")
        if not keys:
            return {}
        ids = await self._new_ids(Paper, guild_id, floor)
        if len(ids) == len(keys):  # one executemany: ids follow the order of the rows
            return dict(zip(keys, ids, strict=True))
        found = await self.tx.execute(
            select(col(Paper.id), col(Paper.ref_key)).where(
                col(Paper.guild_id) == guild_id, col(Paper.id) > floor
            )
        )
        return {r.ref_key: r.id for r in found.all()}

    async def update_papers(self, guild_id: int, rows: Sequence[dict[str, Any]]) -> None:
        await self._update(Paper, guild_id, rows)

    async def insert_sessions(
        self, guild_id: int, rows: Iterable[dict[str, Any]]
    ) -> dict[datetime, int]:
        """Insert sessions with distinct start times, numbered in the server in the order
        given; their new ids by start time."""
        floor = await self._max_id(ReadingSession, guild_id)
        rows = await self._numbered(ReadingSession, guild_id, rows)
        starts = await self._insert(ReadingSession, rows, "starts_at")
        if not starts:
            return {}
        ids = await self._new_ids(ReadingSession, guild_id, floor)
        if len(ids) == len(starts):  # one executemany: ids follow the order of the rows
            return dict(zip(starts, ids, strict=True))
        wanted = set(starts)
        found = await self.tx.execute(
            select(col(ReadingSession.id), col(ReadingSession.starts_at)).where(
                col(ReadingSession.guild_id) == guild_id, col(ReadingSession.id) > floor
            )
        )
        return {r.starts_at: r.id for r in found.all() if r.starts_at in wanted}

    async def update_sessions(self, guild_id: int, rows: Sequence[dict[str, Any]]) -> None:
        await self._update(ReadingSession, guild_id, rows)

    async def replace_session_papers(
        self, guild_id: int, session_ids: Sequence[int], rows: Iterable[dict[str, Any]]
    ) -> None:
        """The papers of ``session_ids`` become exactly ``rows``."""
        for chunk in _chunks(list(session_ids)):
            await self.tx.execute(
                delete(SessionPaper).where(
                    col(SessionPaper.guild_id) == guild_id, col(SessionPaper.session_id).in_(chunk)
                )
            )
        await bulk_insert(self.tx, table_of(SessionPaper), rows)

    async def insert_comments(self, guild_id: int, rows: Iterable[dict[str, Any]]) -> None:
        """Insert comments of one server, numbered in the order given."""
        await bulk_insert(self.tx, table_of(Comment), await self._numbered(Comment, guild_id, rows))

    async def delete_comments(self, guild_id: int, ids: Sequence[int]) -> None:
        for chunk in _chunks(list(ids)):
            await self.tx.execute(
                delete(Comment).where(col(Comment.guild_id) == guild_id, col(Comment.id).in_(chunk))
            )

    async def insert_topic(self, row: dict[str, Any]) -> int:
        topic = ReadingTopic(**row)
        self.tx.add(topic)
        await self.tx.flush()
        assert topic.id is not None
        return topic.id

    async def update_topics(self, guild_id: int, rows: Sequence[dict[str, Any]]) -> None:
        await self._update(ReadingTopic, guild_id, rows)

    async def insert_items(self, rows: Iterable[dict[str, Any]]) -> None:
        await bulk_insert(self.tx, table_of(ReadingItem), rows)

    async def update_items(self, guild_id: int, rows: Sequence[dict[str, Any]]) -> None:
        await self._update(ReadingItem, guild_id, rows)
