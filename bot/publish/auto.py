"""Automatic publishing after schedule changes: debounced, stored, crash-safe.

A change (session, import, pinned comment, reading list, export settings) marks the
server's publish pending, due ten minutes later (``DEBOUNCE``); further changes ride along,
so a burst of edits makes one commit and commits are at least ten minutes apart. Pending
publishes are rows in the database, claimed with a lease: a restart or a second process
picks them up, and a crash mid-publish leaves the lease to expire. A publish whose rendered
files did not change since the last one is skipped without asking GitHub. A failure is kept
on the row (``/publish setup`` shows it) and retried: when GitHub says (rate limits), else
with a growing delay.

The timer is the waker's business (the bot arms an APScheduler job by its clock); this
class only says when the next publish is due and runs what is due.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.errors import UserError
from bot.events import (
    CommentsChanged,
    GuildSettingsChanged,
    Handler,
    ReadingListChanged,
    ScheduleImported,
    SessionChanged,
)
from storage.db import Database

if TYPE_CHECKING:
    from bot.publish.service import PublishService

log = logging.getLogger(__name__)

DEBOUNCE = timedelta(minutes=10)  # at most one automatic commit per server in this time
LEASE = timedelta(minutes=5)  # a claimed publish older than this was abandoned (crash)
MAX_BACKOFF = timedelta(hours=6)  # failed automatic publishes are retried at most this late
EXPORT_SETTINGS = frozenset({"group_name", "timezone", "date_format"})

Waker = Callable[[datetime | None], None]


@dataclass(frozen=True, slots=True)
class AutoOutcome:
    guild_id: int
    status: str  # "published", "unchanged", "failed", "off"
    detail: str = ""


class AutoPublisher:
    def __init__(self, db: Database, clock: Clock, publisher: Callable[[], PublishService]) -> None:
        """``publisher`` gives the publish service when a publish is due (the GitHub client
        behind it is loaded then, not at start)."""
        self.db = db
        self.clock = clock
        self._publisher = publisher
        self._waker: Waker | None = None

    @property
    def publisher(self) -> PublishService:
        return self._publisher()

    def subscriptions(self) -> Mapping[type, Handler]:
        """What makes a publish pending (the bot connects these at start-up)."""
        return {
            SessionChanged: self._on_session_changed,
            ScheduleImported: self._on_schedule_imported,
            CommentsChanged: self._on_comments_changed,
            GuildSettingsChanged: self._on_settings_changed,
            ReadingListChanged: self._on_reading_list_changed,
        }

    async def _on_session_changed(self, event: SessionChanged) -> None:
        await self.request(event.guild_id)

    async def _on_schedule_imported(self, event: ScheduleImported) -> None:
        await self.request(event.guild_id)

    async def _on_comments_changed(self, event: CommentsChanged) -> None:
        if event.pinned:  # only pinned comments are in the README
            await self.request(event.guild_id)

    async def _on_settings_changed(self, event: GuildSettingsChanged) -> None:
        if event.fields & EXPORT_SETTINGS:
            await self.request(event.guild_id)

    async def _on_reading_list_changed(self, event: ReadingListChanged) -> None:
        await self.request(event.guild_id)

    def attach(self, waker: Waker) -> None:
        """``waker(when)`` is called whenever the next pending publish may have moved."""
        self._waker = waker

    def detach(self) -> None:
        self._waker = None

    async def request(self, guild_id: int) -> datetime | None:
        """A change to what is published: make the server's publish pending (if it publishes
        automatically). Returns when it is due."""
        now = self.clock.now()
        async with self.db.unit() as uow:
            due = await uow.publish.request(guild_id, now, now + DEBOUNCE)
        if due is not None and self._waker is not None:
            self._waker(due)
        return due

    async def next_due(self) -> datetime | None:
        async with self.db.unit() as uow:
            return await uow.publish.next_due()

    async def wake(self) -> None:
        """Tell the waker when the next pending publish is due (start-up, after a run)."""
        if self._waker is not None:
            self._waker(await self.next_due())

    async def run_due(self) -> list[AutoOutcome]:
        """Publish every server whose pending publish is due (the timer calls this)."""
        now = self.clock.now()
        async with self.db.unit() as uow:
            due = await uow.publish.due(now)
        outcomes: list[AutoOutcome] = []
        for guild_id in due:
            async with self.db.unit() as uow:
                if not await uow.publish.claim(guild_id, now, now + LEASE):
                    continue  # another process has it
            outcomes.append(await self._auto(guild_id, now))
        await self.wake()
        return outcomes

    async def _auto(self, guild_id: int, started: datetime) -> AutoOutcome:
        try:
            target = await self.publisher.target(guild_id)
            if target is None or not target.auto:
                async with self.db.unit() as uow:
                    await uow.publish.finish(
                        guild_id, started_at=self.clock.now(), again_at=self.clock.now()
                    )
                return AutoOutcome(guild_id, "off")
            rendered = await self.publisher.render(guild_id, target)
            if rendered.digest == target.published_hash:
                outcome = AutoOutcome(guild_id, "unchanged", "nothing changed since then")
            else:
                plan = await self.publisher.prepare(guild_id, rendered=rendered)
                result = await self.publisher.publish(plan, actor=None)
                status = "published" if result.commit else "unchanged"
                outcome = AutoOutcome(guild_id, status, result.describe())
        except UserError as exc:  # GitHub's answer, broken markers, no token...
            async with self.db.unit() as uow:
                target = await uow.publish.get(guild_id)
                failures = target.failures if target else 0
            retry_at = getattr(exc, "retry_at", None) or self.clock.now() + min(
                MAX_BACKOFF, DEBOUNCE * 2 ** min(failures, 10)
            )
            log.warning("guild %s: automatic publish failed: %s", guild_id, exc)
            async with self.db.unit() as uow:
                await uow.publish.postpone(guild_id, retry_at, str(exc))
            return AutoOutcome(guild_id, "failed", str(exc))
        except Exception as exc:
            log.exception("guild %s: automatic publish failed", guild_id)
            async with self.db.unit() as uow:
                await uow.publish.postpone(
                    guild_id,
                    self.clock.now() + DEBOUNCE,
                    f"unexpected error ({type(exc).__name__}); see the bot's log",
                )
            return AutoOutcome(guild_id, "failed", type(exc).__name__)
        async with self.db.unit() as uow:
            await uow.publish.finish(
                guild_id,
                started_at=started,
                again_at=self.clock.now() + DEBOUNCE,  # ten minutes after this one
                published_hash=rendered.digest,
                last_error=None,
                failures=0,
            )
        return outcome
