"""Sessions of the schedule and the papers linked to them."""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    true,
)
from sqlmodel import col

from storage.models import (
    Paper,
    PaperRole,
    ReadingSession,
    SessionPaper,
    SessionStatus,
)
from storage.repositories.base import Repository, escape_like, rowcount, table_of
from storage.repositories.numbering import next_numbers
from storage.types import UTCDateTime, utcnow


@dataclass(frozen=True, slots=True)
class LinkedPaper:
    """A paper as it appears in one session."""

    paper: Paper
    role: str
    position: int
    label: str | None


class SessionRepository(Repository):
    async def add(self, session: ReadingSession) -> ReadingSession:
        """Save a new session; it takes the server's next number."""
        session.number = await next_numbers(self.tx, table_of(ReadingSession), session.guild_id)
        self.tx.add(session)
        await self.tx.flush()
        return session

    async def get(self, guild_id: int, session_id: int) -> ReadingSession | None:
        row = await self.tx.get(ReadingSession, session_id)
        if row is None or row.guild_id != guild_id:
            return None
        return row

    async def by_number(self, guild_id: int, number: int) -> ReadingSession | None:
        """The session members know as ``#number`` in this server."""
        return await self.tx.scalar(
            select(ReadingSession).where(
                col(ReadingSession.guild_id) == guild_id, col(ReadingSession.number) == number
            )
        )

    async def get_many(self, guild_id: int, ids: Sequence[int]) -> list[ReadingSession]:
        if not ids:
            return []
        rows = await self.tx.scalars(
            select(ReadingSession).where(
                col(ReadingSession.guild_id) == guild_id, col(ReadingSession.id).in_(list(ids))
            )
        )
        return list(rows.all())

    async def touch(self, row: ReadingSession) -> None:
        row.updated_at = utcnow()
        await self.tx.flush()

    async def delete(self, guild_id: int, session_id: int) -> bool:
        result = await self.tx.execute(
            delete(ReadingSession).where(
                col(ReadingSession.guild_id) == guild_id, col(ReadingSession.id) == session_id
            )
        )
        return bool(rowcount(result))

    def _active(self, guild_id: int, include_cancelled: bool = False) -> ColumnElement[bool]:
        conditions = [col(ReadingSession.guild_id) == guild_id]
        if not include_cancelled:
            conditions.append(col(ReadingSession.status) == SessionStatus.SCHEDULED)
        return and_(*conditions)

    async def running(self, guild_id: int, now: datetime) -> list[ReadingSession]:
        """Sessions that have started and not yet ended at ``now``."""
        stmt = (
            select(ReadingSession)
            .where(
                self._active(guild_id),
                col(ReadingSession.starts_at) > _ended_before(now),
                col(ReadingSession.starts_at) <= now,
            )
            .order_by(col(ReadingSession.starts_at), col(ReadingSession.id))
        )
        return [r for r in (await self.tx.scalars(stmt)).all() if _ends_at(r) > now]

    async def page(
        self, guild_id: int, now: datetime, scope: str, *, limit: int, offset: int
    ) -> tuple[list[ReadingSession], int]:
        """One page of ``upcoming`` (not ended, the one in progress first), ``past`` (started,
        latest first) or ``all`` (chronological) sessions, and how many the scope holds.

        One query reads the page and counts the scope, both on the (guild_id, status,
        starts_at) index; ``upcoming`` is what starts after ``now`` and what started in the
        last day (no session is longer) and has not ended.
        """
        stmt, count = _page_statements(scope, self.tx.get_bind().dialect.name)
        params = {
            "guild_id": guild_id,
            "now": now,
            "day_ago": _ended_before(now),
            "now_seconds": now.timestamp(),
        }
        found = (
            await self.tx.execute(stmt, {**params, "offset": offset, "limit": max(limit, 1)})
        ).all()
        # The count rides along with the page; a page past the end asks for it alone.
        total = found[0][1] if found else await self.tx.scalar(count, params)
        rows = [row[0] for row in found][: max(limit, 0)]
        return rows, int(total or 0)

    async def all(
        self,
        guild_id: int,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        include_cancelled: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[ReadingSession]:
        """Sessions in chronological order, optionally within ``[start, end)``."""
        stmt = select(ReadingSession).where(self._active(guild_id, include_cancelled))
        if start is not None:
            stmt = stmt.where(col(ReadingSession.starts_at) >= start)
        if end is not None:
            stmt = stmt.where(col(ReadingSession.starts_at) < end)
        stmt = stmt.order_by(col(ReadingSession.starts_at), col(ReadingSession.id)).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        return list((await self.tx.scalars(stmt)).all())

    async def count(self, guild_id: int, *, include_cancelled: bool = False) -> int:
        return int(
            await self.tx.scalar(
                select(func.count())
                .select_from(ReadingSession)
                .where(self._active(guild_id, include_cancelled))
            )
            or 0
        )

    async def next_after(self, guild_id: int, now: datetime) -> ReadingSession | None:
        """The first session that starts after ``now``."""
        return await self.tx.scalar(
            select(ReadingSession)
            .where(self._active(guild_id), col(ReadingSession.starts_at) > now)
            .order_by(col(ReadingSession.starts_at), col(ReadingSession.id))
            .limit(1)
        )

    async def last_before(self, guild_id: int, when: datetime) -> ReadingSession | None:
        """The latest session that started at or before ``when``."""
        return await self.tx.scalar(
            select(ReadingSession)
            .where(self._active(guild_id), col(ReadingSession.starts_at) <= when)
            .order_by(col(ReadingSession.starts_at).desc(), col(ReadingSession.id).desc())
            .limit(1)
        )

    async def latest(self, guild_id: int) -> ReadingSession | None:
        """The session with the latest start time, past or future."""
        return await self.tx.scalar(
            select(ReadingSession)
            .where(self._active(guild_id))
            .order_by(col(ReadingSession.starts_at).desc(), col(ReadingSession.id).desc())
            .limit(1)
        )

    async def by_thread(self, guild_id: int, thread_id: int) -> ReadingSession | None:
        """The session whose discussion thread is ``thread_id``."""
        return await self.tx.scalar(
            select(ReadingSession)
            .where(
                col(ReadingSession.guild_id) == guild_id, col(ReadingSession.thread_id) == thread_id
            )
            .order_by(col(ReadingSession.starts_at).desc(), col(ReadingSession.id).desc())
            .limit(1)
        )

    async def at(self, guild_id: int, starts_at: datetime) -> ReadingSession | None:
        """A scheduled session starting exactly at ``starts_at`` (a clash)."""
        return await self.tx.scalar(
            select(ReadingSession)
            .where(self._active(guild_id), col(ReadingSession.starts_at) == starts_at)
            .limit(1)
        )

    async def overlapping(
        self, guild_id: int, start: datetime, end: datetime, *, exclude_id: int | None = None
    ) -> list[ReadingSession]:
        """Scheduled sessions whose time span intersects ``[start, end)``."""
        # A session is at most a day long, so a one-day window bounds the candidates.
        stmt = select(ReadingSession).where(
            self._active(guild_id),
            col(ReadingSession.starts_at) < end,
            col(ReadingSession.starts_at) > start - timedelta(days=1),
        )
        if exclude_id is not None:
            stmt = stmt.where(col(ReadingSession.id) != exclude_id)
        rows = (await self.tx.scalars(stmt)).all()
        return [r for r in rows if _ends_at(r) > start]

    async def start_times(
        self, since: datetime, guild_ids: Collection[int] | None = None
    ) -> list[tuple[int, int, datetime]]:
        """``(guild_id, session_id, starts_at)`` of scheduled sessions starting after ``since``.

        Across servers on purpose: reminders are planned for every server in one pass at
        start-up (a constant number of queries however many servers). ``guild_ids`` narrows it.
        """
        stmt = select(
            col(ReadingSession.guild_id), col(ReadingSession.id), col(ReadingSession.starts_at)
        ).where(
            col(ReadingSession.status) == SessionStatus.SCHEDULED,
            col(ReadingSession.starts_at) > since,
        )
        if guild_ids is not None:
            stmt = stmt.where(col(ReadingSession.guild_id).in_(list(guild_ids)))
        rows = await self.tx.execute(stmt)
        return [(int(g), int(i or 0), s) for g, i, s in rows.all()]

    async def in_block(self, guild_id: int, block_name: str) -> list[ReadingSession]:
        """The parts of a block (case-insensitive name), in part order."""
        stmt = (
            select(ReadingSession)
            .where(
                self._active(guild_id),
                func.lower(col(ReadingSession.block_name)) == block_name.strip().lower(),
            )
            .order_by(col(ReadingSession.block_part), col(ReadingSession.starts_at))
        )
        return list((await self.tx.scalars(stmt)).all())

    async def block_names(self, guild_id: int, prefix: str = "", limit: int = 25) -> list[str]:
        stmt = (
            select(col(ReadingSession.block_name))
            .where(self._active(guild_id), col(ReadingSession.block_name).is_not(None))
            .group_by(col(ReadingSession.block_name))
            .order_by(func.max(col(ReadingSession.starts_at)).desc())
            .limit(limit)
        )
        if prefix:
            stmt = stmt.where(
                col(ReadingSession.block_name).ilike(f"%{escape_like(prefix)}%", escape="\\")
            )
        return [name for name in (await self.tx.scalars(stmt)).all() if name]

    async def search(
        self, guild_id: int, text: str, *, limit: int = 25, include_cancelled: bool = False
    ) -> list[ReadingSession]:
        """Sessions whose title, block or paper title contains ``text`` (for autocomplete)."""
        stmt = select(ReadingSession).where(self._active(guild_id, include_cancelled))
        text = text.strip()
        if text:
            pattern = f"%{escape_like(text)}%"
            paper_match = (
                select(col(SessionPaper.session_id))
                .join(Paper, col(Paper.id) == col(SessionPaper.paper_id))
                .where(
                    col(SessionPaper.guild_id) == guild_id,
                    col(Paper.title).ilike(pattern, escape="\\"),
                )
            )
            stmt = stmt.where(
                or_(
                    col(ReadingSession.title).ilike(pattern, escape="\\"),
                    col(ReadingSession.block_name).ilike(pattern, escape="\\"),
                    col(ReadingSession.id).in_(paper_match),
                )
            )
        stmt = stmt.order_by(col(ReadingSession.starts_at).desc()).limit(limit)
        return list((await self.tx.scalars(stmt)).all())

    async def last_presented(self, guild_id: int) -> dict[int, datetime]:
        """For each presenter, when they last presented (for a fair rotation)."""
        rows = await self.tx.execute(
            select(col(ReadingSession.presenter_id), func.max(col(ReadingSession.starts_at)))
            .where(self._active(guild_id), col(ReadingSession.presenter_id).is_not(None))
            .group_by(col(ReadingSession.presenter_id))
        )
        result: dict[int, datetime] = {}
        for presenter_id, last in rows.all():
            if presenter_id is None or last is None:
                continue
            result[int(presenter_id)] = last
        return result

    # ----------------------------------------------------------------------------------
    # Papers of a session

    async def papers(self, session_id: int) -> list[LinkedPaper]:
        rows = await self.tx.execute(
            select(SessionPaper, Paper)
            .join(Paper, col(Paper.id) == col(SessionPaper.paper_id))
            .where(col(SessionPaper.session_id) == session_id)
            .order_by(col(SessionPaper.position))
        )
        return [LinkedPaper(p, link.role, link.position, link.label) for link, p in rows.all()]

    async def papers_for(self, session_ids: Sequence[int]) -> dict[int, list[LinkedPaper]]:
        """The papers of many sessions in one query (no N+1 when listing)."""
        result: dict[int, list[LinkedPaper]] = {sid: [] for sid in session_ids}
        if not session_ids:
            return result
        rows = await self.tx.execute(_papers_of_sessions(), {"ids": list(session_ids)})
        for link, paper in rows.all():
            result[link.session_id].append(LinkedPaper(paper, link.role, link.position, link.label))
        return result

    async def set_papers(
        self,
        guild_id: int,
        session_id: int,
        papers: Sequence[tuple[Paper, str, str | None]],
    ) -> None:
        """Replace the papers of a session with ``(paper, role, label)`` in order."""
        await self.tx.execute(
            delete(SessionPaper).where(col(SessionPaper.session_id) == session_id)
        )
        seen: set[int] = set()
        for position, (paper, role, label) in enumerate(papers):
            if paper.id is None:
                raise ValueError("paper must be flushed before it is linked")
            if paper.id in seen:
                continue
            seen.add(paper.id)
            self.tx.add(
                SessionPaper(
                    session_id=session_id,
                    paper_id=paper.id,
                    guild_id=guild_id,
                    position=position,
                    role=role or PaperRole.MAIN,
                    label=label,
                )
            )
        await self.tx.flush()

    async def sessions_with_paper(self, guild_id: int, paper_id: int) -> list[ReadingSession]:
        stmt = (
            select(ReadingSession)
            .join(SessionPaper, col(SessionPaper.session_id) == col(ReadingSession.id))
            .where(col(ReadingSession.guild_id) == guild_id, col(SessionPaper.paper_id) == paper_id)
            .order_by(col(ReadingSession.starts_at))
        )
        return list((await self.tx.scalars(stmt)).all())


def _ends_at(row: ReadingSession) -> datetime:
    return row.starts_at + timedelta(minutes=row.duration_minutes or 0)


def _ended_before(now: datetime) -> datetime:
    # The longest session we accept is a day: anything that started earlier has ended.
    return now - timedelta(days=1)


@functools.cache
def _page_statements(scope: str, dialect: str) -> tuple[Select[ReadingSession, int], Select[int]]:
    """The page query of a scope and its count, built once per scope and backend.

    Building a statement costs several times what SQLite takes to answer it, so the read
    commands reuse these with bound parameters (guild_id, now, day_ago, now_seconds,
    offset, limit).
    """
    started = col(ReadingSession.starts_at)
    now = bindparam("now", type_=UTCDateTime)
    where: ColumnElement[bool]
    order: tuple[ColumnElement[Any], ...] = (started.asc(), col(ReadingSession.id).asc())
    if scope == "upcoming":
        minutes = func.coalesce(col(ReadingSession.duration_minutes), 0) * 60
        if dialect == "sqlite":
            # SQLite keeps naive UTC text; strftime('%s') reads it as seconds since 1970.
            start: ColumnElement[Any] = func.cast(func.strftime("%s", started), Integer)
        else:
            start = func.extract("epoch", started)
        ends_later = start + minutes > bindparam("now_seconds", type_=Float)
        running = and_(
            started > bindparam("day_ago", type_=UTCDateTime), started <= now, ends_later
        )
        where = or_(started > now, running)
        # Counted apart, so that the far larger part is counted on the index alone.
        count = _count(started > now) + _count(running)
    elif scope == "past":
        where = started <= now
        order = (started.desc(), col(ReadingSession.id).desc())
        count = _count(where)
    else:
        where = true()
        count = _count(where)
    active = and_(
        col(ReadingSession.guild_id) == bindparam("guild_id"),
        col(ReadingSession.status) == SessionStatus.SCHEDULED,
    )
    stmt = (
        select(ReadingSession, count)
        .where(active, where)
        .order_by(*order)
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
    )
    return stmt, select(count)


@functools.cache
def _papers_of_sessions() -> Select[SessionPaper, Paper]:
    """The papers of the sessions ``ids`` (built once, like the page queries)."""
    return (
        select(SessionPaper, Paper)
        .join(Paper, col(Paper.id) == col(SessionPaper.paper_id))
        .where(col(SessionPaper.session_id).in_(bindparam("ids", expanding=True)))
        .order_by(col(SessionPaper.session_id), col(SessionPaper.position))
    )


def _count(where: ColumnElement[bool]) -> ColumnElement[int]:
    return (
        select(func.count())
        .select_from(ReadingSession)
        .where(
            col(ReadingSession.guild_id) == bindparam("guild_id"),
            col(ReadingSession.status) == SessionStatus.SCHEDULED,
            where,
        )
        .scalar_subquery()
    )
