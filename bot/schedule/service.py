"""The schedule: adding, editing, moving, cancelling and reading sessions.

Knows nothing of Discord. Every write happens in one unit of work (nothing is saved half-way)
and is announced on the event bus after it committed, so reminders, the scheduled-event
mirror and the pinned schedule follow.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.dates import split_date_time, utc_to_local
from bot.errors import InvalidInput
from bot.events import SessionAction, SessionChanged
from bot.schedule.checks import ScheduleChecks
from bot.schedule.drafts import (
    SavedHook,
    SessionDraft,
    SessionEdit,
    _block_name,
    _kind,
    _with_given,
)
from bot.schedule.readmodels import KIND_LABELS, Page, SessionInfo, headline
from bot.text import NOTES_LIMIT, TITLE_LIMIT, check_text
from storage.models import PaperRole, SessionKind, SessionStatus, id_of

__all__ = [
    "KIND_LABELS",
    "Page",
    "ScheduleService",
    "SessionInfo",
    "headline",
]


class ScheduleService(ScheduleChecks):
    async def _changed(self, event: SessionChanged) -> None:
        await self.events.publish(event)

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
