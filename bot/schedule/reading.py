"""Reading the schedule: sessions by key or number, the one in progress or next, pages,
search and block names, each as a SessionInfo view built with a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.clock import Clock
from bot.errors import NotFound
from bot.events import EventBus
from bot.schedule.drafts import PaperResolver
from bot.schedule.readmodels import Page, SessionInfo, _root_of, block_name_key
from storage.db import Database
from storage.models import GuildConfig, ReadingSession, SessionKind, id_of
from storage.repositories import UnitOfWork

MAX_CONTINUE_CHAIN = 16
# A session looked up by its global key (a button, an event) that is gone meanwhile.
GONE = "That session is not in this server (any more)."


class ScheduleReader:
    """The schedule's reads (the base of ScheduleService)."""

    def __init__(
        self,
        db: Database,
        events: EventBus,
        clock: Clock,
        *,
        default_timezone: str = "UTC",
        papers: PaperResolver | None = None,
    ) -> None:
        self.db = db
        self.events = events
        self.clock = clock
        self.default_timezone = default_timezone
        self.papers = papers

    async def _config(self, uow: UnitOfWork, guild_id: int) -> GuildConfig:
        return await uow.guilds.get_or_create(guild_id, default_timezone=self.default_timezone)

    async def _views(self, uow: UnitOfWork, rows: Sequence[ReadingSession]) -> list[SessionInfo]:
        """Views for many sessions with a small, fixed number of queries."""
        if not rows:
            return []
        guild_id = rows[0].guild_id
        by_id: dict[int, ReadingSession] = {r.id: r for r in rows if r.id is not None}
        # Fetch the sessions that "continue" rows point to, following chains (a chain of
        # "Continue" rows is short; each step is one query for all rows at that depth).
        missing = {r.continues_id for r in rows if r.continues_id and r.continues_id not in by_id}
        for _ in range(MAX_CONTINUE_CHAIN):
            if not missing:
                break
            fetched = await uow.sessions.get_many(guild_id, sorted(missing))
            by_id.update({s.id: s for s in fetched if s.id is not None})
            missing = {
                s.continues_id for s in fetched if s.continues_id and s.continues_id not in by_id
            }
        roots = {r.id: _root_of(r, by_id) for r in rows if r.kind == SessionKind.CONTINUE}
        wanted = {r.id for r in rows} | {root.id for root in roots.values()}
        papers = await uow.sessions.papers_for([i for i in wanted if i is not None])
        views = []
        for row in rows:
            root = roots.get(row.id)
            if root is not None and root.id == row.id:
                root = None
            views.append(
                SessionInfo(
                    session=row,
                    papers=papers.get(id_of(row), []),
                    continues=root,
                    continues_papers=papers.get(id_of(root), []) if root else [],
                )
            )
        return views

    async def infos(self, uow: UnitOfWork, rows: Sequence[ReadingSession]) -> list[SessionInfo]:
        """Views of rows read in the caller's unit of work."""
        return await self._views(uow, rows)

    async def get(self, guild_id: int, session_id: int) -> SessionInfo:
        """A session by its global key (internals; members give :meth:`by_number`)."""
        async with self.db.read() as uow:
            row = await uow.sessions.get(guild_id, session_id)
            if row is None:
                raise NotFound(GONE)
            return (await self._views(uow, [row]))[0]

    async def by_number(self, guild_id: int, number: int) -> SessionInfo:
        """The session a member means by ``#number`` in this server."""
        async with self.db.read() as uow:
            row = await uow.sessions.by_number(guild_id, number)
            if row is None:
                raise NotFound(f"There is no session #{number} in this server.")
            return (await self._views(uow, [row]))[0]

    async def id_for(self, guild_id: int, number: int) -> int:
        """The global key of the session a member means by ``#number`` in this server."""
        async with self.db.read() as uow:
            row = await uow.sessions.by_number(guild_id, number)
        if row is None:
            raise NotFound(f"There is no session #{number} in this server.")
        return id_of(row)

    async def next(self, guild_id: int) -> SessionInfo | None:
        """The session in progress, or else the next one."""
        async with self.db.read() as uow:
            rows, _ = await uow.sessions.page(
                guild_id, self.clock.now(), "upcoming", limit=1, offset=0
            )
            return (await self._views(uow, rows))[0] if rows else None

    async def current_or_recent(self, guild_id: int) -> SessionInfo | None:
        """The session in progress, or else the most recent one that started."""
        now = self.clock.now()
        async with self.db.read() as uow:
            running = await uow.sessions.running(guild_id, now)
            row = running[0] if running else await uow.sessions.last_before(guild_id, now)
            return (await self._views(uow, [row]))[0] if row is not None else None

    async def page(
        self,
        guild_id: int,
        *,
        scope: str = "upcoming",
        number: int = 0,
        per_page: int = 10,
        block: str | None = None,
    ) -> Page:
        """One page of sessions: ``upcoming`` (soonest first), ``past`` (latest first),
        ``all`` (chronological) or one ``block``. A page past the end shows the last one."""
        now = self.clock.now()
        number = max(0, number)
        async with self.db.read() as uow:
            for _attempt in range(2):  # a page past the end shows the last one
                if block:
                    parts = await uow.sessions.in_block(guild_id, block_name_key(block))
                    rows, total = parts[number * per_page : (number + 1) * per_page], len(parts)
                else:
                    kind = scope if scope in ("past", "all") else "upcoming"
                    rows, total = await uow.sessions.page(
                        guild_id, now, kind, limit=per_page, offset=number * per_page
                    )
                pages = max(1, -(-total // per_page))
                if number < pages or not total:
                    break
                number = pages - 1
            return Page(await self._views(uow, rows), min(number, pages - 1), pages, total)

    async def everything(
        self, guild_id: int, *, include_cancelled: bool = False
    ) -> list[SessionInfo]:
        """Every session in chronological order (exports, the calendar feed)."""
        async with self.db.unit() as uow:
            rows = await uow.sessions.all(guild_id, include_cancelled=include_cancelled)
            return await self._views(uow, rows)

    async def search(self, guild_id: int, text: str, limit: int = 25) -> list[SessionInfo]:
        async with self.db.read() as uow:
            rows = await uow.sessions.search(guild_id, text, limit=limit)
            return await self._views(uow, rows)

    async def block_names(self, guild_id: int, prefix: str = "", limit: int = 25) -> list[str]:
        """Names of blocks containing ``prefix``, the most recent first."""
        async with self.db.read() as uow:
            return await uow.sessions.block_names(guild_id, prefix, limit)

    async def settings(self, guild_id: int) -> GuildConfig:
        async with self.db.unit() as uow:
            return await self._config(uow, guild_id)
