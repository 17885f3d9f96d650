"""The schedule: adding, editing, moving, cancelling and reading sessions.

Knows nothing of Discord. Every write happens in one unit of work (nothing is saved half-way)
and is announced on the event bus after it committed, so reminders, the scheduled-event
mirror and the pinned schedule follow.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from bot import notices
from bot.clock import Clock
from bot.dates import (
    WeeklySlot,
    clock_change,
    format_date,
    local_to_utc,
    next_weekly,
    parse_date,
    parse_time,
    split_date_time,
    split_zone,
    utc_to_local,
)
from bot.errors import Conflict, InvalidInput, NotFound
from bot.events import EventBus, SessionAction, SessionChanged
from bot.schedule.readmodels import (
    KIND_LABELS,
    Page,
    SessionInfo,
    _root_of,
    block_name_key,
    headline,
)
from bot.text import NOTES_LIMIT, TITLE_LIMIT, check_text
from storage.db import Database
from storage.models import (
    GuildConfig,
    Paper,
    PaperRole,
    ReadingSession,
    SessionKind,
    SessionStatus,
    id_of,
)
from storage.repositories import UnitOfWork

__all__ = [
    "KIND_LABELS",
    "Page",
    "ScheduleService",
    "SessionDraft",
    "SessionEdit",
    "SessionInfo",
    "headline",
]

MAX_PAPERS_PER_SESSION = 12
MAX_DURATION_MINUTES = 12 * 60
MAX_YEARS_AHEAD = 5
MAX_CONTINUE_CHAIN = 16
# A session looked up by its global key (a button, an event) that is gone meanwhile.
GONE = "That session is not in this server (any more)."


class PaperResolver(Protocol):
    """Turns what a member typed (arXiv id or URL, other URL, title) into stored papers:
    ``lookup`` may use the network and runs outside any transaction, ``store`` inside."""

    async def lookup(self, guild_id: int, refs: Sequence[str]) -> Sequence[Any]: ...

    async def store(self, uow: UnitOfWork, guild_id: int, specs: Sequence[Any]) -> list[Paper]: ...


SavedHook = Callable[[UnitOfWork, SessionInfo], Awaitable[None]]


@dataclass(slots=True)
class SessionDraft:
    """What a member asked for in ``/session add``."""

    date_text: str
    kind: str = SessionKind.PAPER
    time_text: str | None = None
    title: str | None = None
    notes: str | None = None
    paper_refs: list[str] = field(default_factory=list)
    presenter_id: int | None = None
    block_name: str | None = None
    block_part: int | None = None
    continues_id: int | None = None
    allow_past: bool = False
    duration_minutes: int | None = None
    # Papers outside arXiv with the title and authors a member typed (the paper service's
    # specs): each replaces what the lookup makes of the same link.
    given_papers: list[Any] = field(default_factory=list)


@dataclass(slots=True)
class SessionEdit:
    """Changes asked for in ``/session edit``; ``None`` leaves a field as it is."""

    title: str | None = None
    notes: str | None = None
    paper_refs: list[str] | None = None
    presenter_id: int | None = None
    clear_presenter: bool = False
    kind: str | None = None
    block_name: str | None = None
    block_part: int | None = None
    duration_minutes: int | None = None
    given_papers: list[Any] = field(default_factory=list)  # as in SessionDraft


class ScheduleService:
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

    async def _changed(self, event: SessionChanged) -> None:
        await self.events.publish(event)

    # ----------------------------------------------------------------------------------
    # Reading

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

    @staticmethod
    async def _changeable(
        uow: UnitOfWork,
        guild_id: int,
        session_id: int,
        *,
        verb: str = "is cancelled; schedule a new one",
    ) -> ReadingSession:
        """The session to change: it exists in this server and is not cancelled."""
        row = await uow.sessions.get(guild_id, session_id)
        if row is None:
            raise NotFound(GONE)
        if row.status == SessionStatus.CANCELLED:
            raise InvalidInput(f"Session #{row.number} {verb}.")
        return row

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

    # ----------------------------------------------------------------------------------
    # Time

    def _today(self, config: GuildConfig) -> date:
        return utc_to_local(self.clock.now(), config.timezone).date()

    def resolve_start(self, config: GuildConfig, date_text: str, time_text: str | None) -> datetime:
        """The UTC start of a session given as the members type it, in the guild's zone."""
        date_part, inline_time = split_date_time(date_text)
        if time_text and inline_time:
            raise InvalidInput("Give the time either in the date or in the time option, not both.")
        day = parse_date(date_part, self._today(config), config.date_format)
        given, hint = split_zone(time_text or inline_time or "")  # "02:30 CET"
        if given:
            at = parse_time(given)
        elif config.meeting_time is not None:
            at = config.meeting_time
        else:
            raise InvalidInput(
                "No time given and this server has no meeting time yet: add the time option "
                "(e.g. 18:00) or set the usual time with /setup."
            )
        if day.year > self._today(config).year + MAX_YEARS_AHEAD:
            raise InvalidInput(f"{date_part!r} is more than {MAX_YEARS_AHEAD} years ahead.")
        start = local_to_utc(day, at, config.timezone, hint)  # refuses a time the clocks skip
        change = clock_change(day, at, config.timezone)
        if change is not None:  # the time happens twice: say which one was taken
            notices.add(change.note(second=start != change.first.astimezone(UTC)))
        return start

    def _check_not_past(self, config: GuildConfig, start: datetime, allow_past: bool) -> None:
        if start <= self.clock.now() and not allow_past:
            local = utc_to_local(start, config.timezone)
            raise InvalidInput(
                f"{format_date(local.date(), config.date_format)} {local:%H:%M} is in the past. "
                "To enter an earlier session (back-filling the history), set backfill:true."
            )

    def next_meeting(self, config: GuildConfig, after: datetime) -> datetime:
        if config.meeting_weekday is None or config.meeting_time is None:
            raise InvalidInput(
                "This server has no weekly meeting day and time yet: give a date, or set them "
                "with /setup."
            )
        return next_weekly(
            after, WeeklySlot(config.meeting_weekday, config.meeting_time), config.timezone
        )

    # ----------------------------------------------------------------------------------
    # Writing

    async def _check_slot(
        self,
        uow: UnitOfWork,
        config: GuildConfig,
        guild_id: int,
        start: datetime,
        minutes: int,
        exclude_id: int | None = None,
    ) -> None:
        clashes = await uow.sessions.overlapping(
            guild_id, start, start + timedelta(minutes=minutes), exclude_id=exclude_id
        )
        if clashes:
            other = (await self._views(uow, clashes[:1]))[0]
            local = utc_to_local(other.starts_at, config.timezone)
            raise Conflict(
                f"Session #{other.number} ({headline(other)}) already takes that time "
                f"({format_date(local.date(), config.date_format)} {local:%H:%M}). Move or "
                "cancel it first, or pick another time."
            )

    async def _lookup_papers(self, guild_id: int, refs: Sequence[str] | None) -> Sequence[Any]:
        """Resolve paper references before any transaction opens (arXiv may be slow)."""
        refs = [r.strip() for r in refs or [] if r and r.strip()]
        if not refs:
            return []
        if len(refs) > MAX_PAPERS_PER_SESSION:
            raise InvalidInput(
                f"{len(refs)} papers is more than one session holds "
                f"(at most {MAX_PAPERS_PER_SESSION})."
            )
        if self.papers is None:
            raise InvalidInput("Papers cannot be looked up in this configuration.")
        return await self.papers.lookup(guild_id, refs)

    async def _store_papers(
        self, uow: UnitOfWork, guild_id: int, specs: Sequence[Any]
    ) -> list[Paper]:
        if not specs or self.papers is None:
            return []
        return await self.papers.store(uow, guild_id, specs)

    async def _block_part(
        self, uow: UnitOfWork, guild_id: int, block: str, part: int | None, exclude_id: int | None
    ) -> int:
        parts = [s for s in await uow.sessions.in_block(guild_id, block) if s.id != exclude_id]
        taken = {s.block_part: s for s in parts if s.block_part is not None}
        if part is None:
            return max(taken, default=0) + 1
        if part < 1:
            raise InvalidInput("A part number starts at 1.")
        if part in taken:
            raise Conflict(
                f"{block} already has a part {part} (session #{taken[part].number}). "
                f"Leave the part empty to take the next free number ({max(taken) + 1})."
            )
        return part

    async def _continued(
        self,
        uow: UnitOfWork,
        guild_id: int,
        start: datetime,
        continues_id: int | None,
    ) -> ReadingSession:
        if continues_id is not None:
            target = await uow.sessions.get(guild_id, continues_id)
            if target is None or target.status != SessionStatus.SCHEDULED:
                raise NotFound("That session cannot be continued: it is not scheduled (any more).")
            if target.starts_at >= start:
                raise InvalidInput("A session can only continue one that comes before it.")
            return target
        previous = await uow.sessions.last_before(guild_id, start - timedelta(seconds=1))
        while previous is not None and previous.kind == SessionKind.TBA:
            previous = await uow.sessions.last_before(
                guild_id, previous.starts_at - timedelta(seconds=1)
            )
        if previous is None:
            raise InvalidInput(
                "There is nothing to continue: no session comes before this date. "
                "Schedule the first part as a paper or topic session."
            )
        return previous

    @staticmethod
    def _check_kind_fields(
        kind: str, title: str | None, papers: list[Paper], block_name: str | None
    ) -> None:
        if kind == SessionKind.PAPER and not papers:
            raise InvalidInput(
                "A paper session needs a paper: give an arXiv id or link, another link, or a "
                "title in the paper option."
            )
        if kind in (SessionKind.TOPIC, SessionKind.SPECIAL) and not title:
            label = "topic" if kind == SessionKind.TOPIC else "special session"
            raise InvalidInput(f"A {label} needs a title (e.g. 'Knowledge Distillation').")
        if kind == SessionKind.BLOCK_PART and not block_name:
            raise InvalidInput("A block part needs the block's name (e.g. 'RLHF Block').")
        if kind == SessionKind.TBA and papers:
            raise InvalidInput("A TBA session has no paper yet; choose another kind.")

    @staticmethod
    def _duration(config: GuildConfig, minutes: int | None) -> int:
        value = minutes if minutes is not None else config.session_minutes
        if not 5 <= value <= MAX_DURATION_MINUTES:
            raise InvalidInput(f"A session lasts between 5 and {MAX_DURATION_MINUTES} minutes.")
        return value

    async def _plan(
        self,
        uow: UnitOfWork,
        guild_id: int,
        draft: SessionDraft,
        papers: list[Paper] | None,
    ) -> ReadingSession:
        """Every check of ``/session add``; the unsaved row when all pass.

        Runs once before the paper lookup (``papers=None``: a bad date never costs an arXiv
        request) and again in the writing transaction, where it counts.
        """
        kind = _kind(draft.kind)
        title = check_text(draft.title, what="title", limit=TITLE_LIMIT)
        notes = check_text(draft.notes, what="notes", limit=NOTES_LIMIT, multiline=True)
        block_name = _block_name(draft.block_name)
        config = await self._config(uow, guild_id)
        start = self.resolve_start(config, draft.date_text, draft.time_text)
        self._check_not_past(config, start, draft.allow_past)
        minutes = self._duration(config, draft.duration_minutes)
        await self._check_slot(uow, config, guild_id, start, minutes)
        if papers is not None or not draft.paper_refs:
            self._check_kind_fields(kind, title, papers or [], block_name)
        row = ReadingSession(
            guild_id=guild_id,
            starts_at=start,
            duration_minutes=minutes,
            kind=kind,
            title=title,
            notes=notes,
            presenter_id=draft.presenter_id,
        )
        if kind == SessionKind.BLOCK_PART:
            assert block_name is not None
            row.block_name = block_name
            row.block_part = await self._block_part(
                uow, guild_id, block_name, draft.block_part, None
            )
        if kind == SessionKind.CONTINUE:
            row.continues_id = (await self._continued(uow, guild_id, start, draft.continues_id)).id
        return row

    async def check(self, guild_id: int, draft: SessionDraft) -> None:
        """Every check of ``/session add`` that needs no paper lookup (e.g. before a form
        asks for a paper's details): raises what is wrong."""
        async with self.db.unit() as uow:
            await self._plan(uow, guild_id, draft, None)

    async def check_changeable(self, guild_id: int, session_id: int) -> None:
        """Raises what stops ``session_id`` from being changed (missing, cancelled)."""
        async with self.db.unit() as uow:
            await self._changeable(uow, guild_id, session_id)

    async def add(
        self,
        guild_id: int,
        draft: SessionDraft,
        *,
        actor_id: int | None,
        on_saved: SavedHook | None = None,
    ) -> SessionInfo:
        """Schedule a session.

        ``on_saved`` runs inside the writing transaction once the session exists (e.g. to mark
        the proposal it came from as scheduled): if it raises, nothing is saved.
        """
        await self.check(guild_id, draft)
        specs = _with_given(
            await self._lookup_papers(guild_id, draft.paper_refs), draft.given_papers
        )
        async with self.db.unit() as uow:
            papers = await self._store_papers(uow, guild_id, specs)
            row = await self._plan(uow, guild_id, draft, papers)
            row.created_by = actor_id
            await uow.sessions.add(row)
            await uow.sessions.set_papers(
                guild_id,
                id_of(row),
                [(p, PaperRole.MAIN, None) for p in papers],
            )
            view = (await self._views(uow, [row]))[0]
            if on_saved is not None:
                await on_saved(uow, view)
        await self._changed(SessionChanged(guild_id, view.id, SessionAction.CREATED, actor_id))
        return view

    async def continue_last(
        self,
        guild_id: int,
        *,
        date_text: str | None,
        time_text: str | None,
        title: str | None,
        notes: str | None,
        paper_refs: list[str],
        presenter_id: int | None,
        actor_id: int | None,
    ) -> SessionInfo:
        """Schedule a continuation of the latest session, by default at the next meeting."""
        async with self.db.unit() as uow:
            config = await self._config(uow, guild_id)
            last = await uow.sessions.latest(guild_id)
            while last is not None and last.kind == SessionKind.TBA:
                last = await uow.sessions.last_before(
                    guild_id, last.starts_at - timedelta(seconds=1)
                )
            if last is None:
                raise InvalidInput("There is nothing to continue yet: schedule a session first.")
            if date_text:
                start_text = date_text
            else:
                after = max(last.starts_at, self.clock.now())
                start = self.next_meeting(config, after)
                local = utc_to_local(start, config.timezone)
                start_text = local.date().isoformat()
                time_text = time_text or f"{local:%H:%M}"
            last_id = last.id
            presenter = presenter_id if presenter_id is not None else last.presenter_id
        return await self.add(
            guild_id,
            SessionDraft(
                date_text=start_text,
                time_text=time_text,
                kind=SessionKind.CONTINUE,
                title=title,
                notes=notes,
                paper_refs=paper_refs,
                presenter_id=presenter,
                continues_id=last_id,
            ),
            actor_id=actor_id,
        )

    async def edit(
        self, guild_id: int, session_id: int, changes: SessionEdit, *, actor_id: int | None
    ) -> SessionInfo:
        title = check_text(changes.title, what="title", limit=TITLE_LIMIT)
        notes = check_text(changes.notes, what="notes", limit=NOTES_LIMIT, multiline=True)
        specs = _with_given(
            await self._lookup_papers(guild_id, changes.paper_refs), changes.given_papers
        )
        async with self.db.unit() as uow:
            config = await self._config(uow, guild_id)
            row = await self._changeable(uow, guild_id, session_id)
            if title is not None:
                row.title = title
            if notes is not None:
                row.notes = notes
            if changes.clear_presenter:
                row.presenter_id = None
            elif changes.presenter_id is not None:
                row.presenter_id = changes.presenter_id
            if changes.duration_minutes is not None:
                row.duration_minutes = self._duration(config, changes.duration_minutes)
                await self._check_slot(
                    uow, config, guild_id, row.starts_at, row.duration_minutes, row.id
                )
            kind = _kind(changes.kind) if changes.kind else row.kind
            if kind == SessionKind.BLOCK_PART:
                block = _block_name(changes.block_name) or row.block_name
                if block is None:
                    raise InvalidInput("A block part needs the block's name (e.g. 'RLHF Block').")
                if (
                    block != row.block_name
                    or changes.block_part is not None
                    or row.block_part is None
                ):
                    row.block_part = await self._block_part(
                        uow, guild_id, block, changes.block_part, row.id
                    )
                row.block_name = block
            else:
                row.block_name, row.block_part = None, None
            if kind == SessionKind.CONTINUE and row.continues_id is None:
                row.continues_id = (await self._continued(uow, guild_id, row.starts_at, None)).id
            if kind != SessionKind.CONTINUE:
                row.continues_id = None
            row.kind = kind
            if changes.paper_refs is not None:
                papers = await self._store_papers(uow, guild_id, specs)
                await uow.sessions.set_papers(
                    guild_id, session_id, [(p, PaperRole.MAIN, None) for p in papers]
                )
            view = (await self._views(uow, [row]))[0]
            main = [lp.paper for lp in view.papers]
            self._check_kind_fields(row.kind, row.title, main, row.block_name)
            await uow.sessions.touch(row)
        await self._changed(SessionChanged(guild_id, session_id, SessionAction.UPDATED, actor_id))
        return view

    async def move(
        self,
        guild_id: int,
        session_id: int,
        *,
        date_text: str,
        time_text: str | None,
        allow_past: bool = False,
        actor_id: int | None,
    ) -> tuple[SessionInfo, datetime]:
        """Reschedule; returns the view and the previous start time."""
        async with self.db.unit() as uow:
            config = await self._config(uow, guild_id)
            row = await self._changeable(uow, guild_id, session_id)
            if time_text is None and split_date_time(date_text)[1] is None:
                # Keep the session's own time of day when only a new date is given.
                time_text = f"{utc_to_local(row.starts_at, config.timezone):%H:%M}"
            start = self.resolve_start(config, date_text, time_text)
            self._check_not_past(config, start, allow_past)
            await self._check_slot(uow, config, guild_id, start, row.duration_minutes, row.id)
            previous = row.starts_at
            row.starts_at = start
            await uow.sessions.touch(row)
            view = (await self._views(uow, [row]))[0]
        await self._changed(SessionChanged(guild_id, session_id, SessionAction.MOVED, actor_id))
        return view, previous

    async def cancel(self, guild_id: int, session_id: int, *, actor_id: int | None) -> SessionInfo:
        async with self.db.unit() as uow:
            row = await self._changeable(uow, guild_id, session_id, verb="is already cancelled")
            row.status = SessionStatus.CANCELLED
            await uow.sessions.touch(row)
            view = (await self._views(uow, [row]))[0]
        await self._changed(SessionChanged(guild_id, session_id, SessionAction.CANCELLED, actor_id))
        return view

    async def set_event_id(self, guild_id: int, session_id: int, event_id: int | None) -> None:
        async with self.db.unit() as uow:
            row = await uow.sessions.get(guild_id, session_id)
            if row is not None:
                row.discord_event_id = event_id
                await uow.flush()


def _with_given(specs: Sequence[Any], given: Sequence[Any]) -> list[Any]:
    """The looked-up specs, each replaced by the member's details of the same paper."""
    by_key = {spec.ref_key: spec for spec in given}
    return [by_key.get(spec.ref_key, spec) for spec in specs]


def _kind(value: str) -> str:
    try:
        return SessionKind(value.strip().lower())
    except ValueError:
        names = ", ".join(k.value for k in SessionKind)
        raise InvalidInput(f"Unknown session kind {value!r}: use one of {names}.") from None


BLOCK_NAME_LIMIT = 100


def _block_name(value: str | None) -> str | None:
    name = check_text(value, what="block name", limit=BLOCK_NAME_LIMIT)
    if name is None:
        return None
    return name.strip().rstrip(".").strip() or None
