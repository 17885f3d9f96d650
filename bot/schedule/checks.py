"""What the schedule checks before it writes: the start a member typed (in the server's
zone, clock changes included), the next meeting, a free slot, the papers, block parts,
what a session continues, and the fields each kind of session needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot import notices
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
from bot.schedule.drafts import (
    MAX_DURATION_MINUTES,
    MAX_PAPERS_PER_SESSION,
    MAX_YEARS_AHEAD,
    SessionDraft,
    _block_name,
    _kind,
)
from bot.schedule.reading import GONE, ScheduleReader
from bot.schedule.readmodels import headline
from bot.text import NOTES_LIMIT, TITLE_LIMIT, check_text
from storage.models import GuildConfig, Paper, ReadingSession, SessionKind, SessionStatus
from storage.repositories import UnitOfWork


class ScheduleChecks(ScheduleReader):
    """Times and checks of the schedule's writes (the base of ScheduleService)."""

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
