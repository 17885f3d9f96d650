"""Reminders: the weekly announcement and the reminders before each session, exactly once.

The database is the truth. What is due is computed from the server settings and the
schedule (:mod:`bot.reminders.plan`, pure and DST-proof); the reminder ledger says what is
done. The scheduler only wakes the bot: it calls :meth:`ReminderService.run_due`, which
reads the database and delivers what is due. Where each job lives:

- :mod:`bot.reminders.agenda`: what still needs work, planned in a constant number of queries;
- :mod:`bot.reminders.delivery`: claim → send → mark sent for one reminder, and the look-up
  of an earlier post after a crash;
- :mod:`bot.reminders.owner`: who holds a claim, and how a restarted bot knows its own;
- :mod:`bot.reminders.posts`: what a reminder says; :mod:`bot.reminders.blocked`: telling
  organizers when Discord refuses; :mod:`bot.reminders.settings`: what ``/reminders`` shows
  and changes.

Catch-up: a reminder whose time passed while the bot was down is posted late with a note
if its session has not started yet; one whose session already started is marked skipped
and logged. Of several overdue reminders of one session only the last is posted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot.clock import Clock
from bot.errors import NotConfigured
from bot.events import (
    EventBus,
    GuildSettingsChanged,
    ScheduleImported,
    SessionAction,
    SessionChanged,
)
from bot.reminders.agenda import Agenda
from bot.reminders.blocked import BlockedNotices
from bot.reminders.delivery import LATE_GRACE, LEASE, Delivery, Outcome, ReminderSender
from bot.reminders.owner import ClaimOwner, SlotLock, acquire_slot, new_run
from bot.reminders.plan import LOOKBACK, Due
from bot.reminders.posts import ReminderPost, compose_lead, compose_weekly
from bot.reminders.settings import GuildSettings, ReminderSettings, ReminderStatus
from storage.db import Database
from storage.models import DeliveryStatus, GuildConfig

log = logging.getLogger(__name__)

RESYNC = timedelta(minutes=15)  # full re-read of every server (changes by other processes)
PARALLEL_GUILDS = 8

# Settings whose change alters what is due.
RELEVANT_SETTINGS = frozenset(
    {
        "announcement_channel_id",
        "timezone",
        "weekly_enabled",
        "weekly_weekday",
        "weekly_time",
        "lead_times_minutes",
        "lead_reminders_enabled",
    }
)

Waker = Callable[[datetime | None], None]


class ReminderService:
    def __init__(
        self,
        db: Database,
        events: EventBus,
        clock: Clock,
        *,
        schedule: Any,
        guilds: GuildSettings,
        default_timezone: str = "UTC",
        lease: timedelta = LEASE,
        lookback: timedelta = LOOKBACK,
        resync: timedelta = RESYNC,
        owns: Callable[[int], bool] | None = None,
    ) -> None:
        self.db = db
        self.events = events
        self.clock = clock
        self.schedule = schedule  # ScheduleService: session views from the database
        self.default_timezone = default_timezone
        self.lease = lease
        self.lookback = lookback
        self.resync = resync
        # The servers this process plans and posts for (its shards); None: every server.
        self.owns = owns
        self.owner = ClaimOwner(new_run())
        self.agenda = Agenda(db, lease, lookback, owns, self.owner)
        self.blocked = BlockedNotices(db)
        self.delivery = Delivery(
            db,
            events,
            clock,
            lease=lease,
            owner=self.owner,
            compose=self.compose,
            blocked=self.blocked,
        )
        self.settings = ReminderSettings(db, clock, guilds, self.delivery, self.upcoming)
        self._slot: SlotLock | None = None
        self._waker: Waker | None = None
        self._last_full: datetime | None = None
        self._run_lock = asyncio.Lock()
        self._attached = False
        self._stopping = False

    # ----------------------------------------------------------------------------------
    # Wiring

    @property
    def sender(self) -> ReminderSender | None:
        return self.delivery.sender

    @sender.setter
    def sender(self, sender: ReminderSender | None) -> None:
        self.delivery.sender = sender

    def attach(self, sender: ReminderSender, waker: Waker | None = None) -> None:
        """Start following the schedule and settings; ``waker(when)`` arms the next wake-up."""
        self.sender = sender
        self._waker = waker
        if not self._attached:
            self.events.subscribe(SessionChanged, self._on_session_changed)
            self.events.subscribe(GuildSettingsChanged, self._on_settings_changed)
            self.events.subscribe(ScheduleImported, self._on_imported)
            self._attached = True

    def detach(self) -> None:
        if self._attached:
            self.events.unsubscribe(SessionChanged, self._on_session_changed)
            self.events.unsubscribe(GuildSettingsChanged, self._on_settings_changed)
            self.events.unsubscribe(ScheduleImported, self._on_imported)
            self._attached = False
        self.sender = None
        self._waker = None

    async def hold_slot(self) -> str | None:
        """Take this instance's slot (see :mod:`bot.reminders.owner`) before the first claim:
        claims left by an earlier run in the same slot are then taken over at once."""
        if self._slot is None:
            self._slot = await acquire_slot(self.db)
            if self._slot is not None:
                self._set_owner(ClaimOwner(self.owner.run, self._slot.name))
                log.info("reminder claims are made as %s", self.owner.name)
        return self._slot.name if self._slot is not None else None

    async def _keep_slot(self) -> None:
        """Before claiming: if the slot was lost (its connection cut), take one again."""
        if self._slot is not None and not await self._slot.held():
            log.warning("the instance slot %s was lost; taking one again", self._slot.name)
            await self.release_slot()
            await self.hold_slot()

    async def release_slot(self) -> None:
        if self._slot is not None:
            slot, self._slot = self._slot, None
            await slot.release()
            self._set_owner(ClaimOwner(self.owner.run))

    def _set_owner(self, owner: ClaimOwner) -> None:
        self.owner = self.agenda.owner = self.delivery.owner = owner

    def stop(self) -> None:
        """The bot is stopping: a running pass ends after the reminder it is working on and
        no new one starts (what is left is due again at the next start)."""
        self._stopping = True

    def is_stopping(self) -> bool:
        return self._stopping

    def next_wake(self) -> datetime | None:
        """When something is next due (or a claim's lease runs out), by the injected clock."""
        return self.agenda.next_wake()

    def planned_count(self) -> int:
        return self.agenda.planned_count()

    def _arm(self) -> None:
        if self._waker is not None:
            self._waker(self.next_wake())

    async def rebuild(self) -> int:
        """Plan every server's reminders in one pass (at start-up); returns how many are
        pending (due or upcoming, including claims to recover)."""
        now = self.clock.now()
        loaded = await self.agenda.load(now, None)
        self.agenda.apply(loaded, None)
        self._last_full = now
        self._arm()
        pending = self.planned_count()
        log.info(
            "reminders planned: %d pending in %d servers (next at %s)",
            pending,
            len(self.agenda.items),
            self.next_wake(),
        )
        return pending

    # ----------------------------------------------------------------------------------
    # Running what is due

    async def run_due(self) -> list[Outcome]:
        """Deliver every reminder that is due now (the scheduler's wake-up calls this)."""
        if self.sender is None:
            raise NotConfigured("Reminders cannot be posted: the bot is not connected.")
        agenda = self.agenda
        async with self._run_lock:
            if self._stopping:
                return []
            await self._keep_slot()
            now = self.clock.now()
            full = (
                self._last_full is None
                or now - self._last_full >= self.resync
                or now < self._last_full
            )
            if full:
                agenda.apply(await agenda.load(now, None), None)
                self._last_full = now
                guilds = agenda.due_guilds(now)
            else:
                guilds = agenda.due_guilds(now)
                if guilds:
                    agenda.apply(await agenda.load(now, guilds), guilds)
                    guilds = [g for g in guilds if g in agenda.items]
            outcomes: list[Outcome] = []
            if guilds:
                limit = asyncio.Semaphore(PARALLEL_GUILDS)

                async def one(guild_id: int) -> None:
                    async with limit:
                        outcomes.extend(await self._run_guild(guild_id, now))

                await asyncio.gather(*(one(g) for g in guilds))
                later = self.clock.now()
                agenda.apply(await agenda.load(later, guilds, unsettled_at=later), guilds)
            self._arm()
            return outcomes

    async def _run_guild(self, guild_id: int, now: datetime) -> list[Outcome]:
        items = [p for p in self.agenda.items.get(guild_id, []) if p.wake_at <= now]
        config = self.agenda.configs.get(guild_id)
        # Of several overdue reminders of one session only the last one is posted.
        latest: dict[int, datetime] = {}
        for p in items:
            if p.due.session_id is not None and not p.obsolete:
                sid = p.due.session_id
                latest[sid] = max(latest.get(sid, p.due.due_at), p.due.due_at)
        outcomes = []
        for p in items:
            if self._stopping:
                outcomes.append(Outcome(guild_id, p.due.key, "held", "the bot is stopping"))
                continue
            try:
                outcomes.append(await self.delivery.process(config, p, now, latest))
            except Exception:
                log.exception("reminder %s of guild %s failed", p.due.key, guild_id)
                outcomes.append(Outcome(guild_id, p.due.key, "failed", "unexpected error"))
        return outcomes

    # ----------------------------------------------------------------------------------
    # Following the schedule and the settings

    async def _on_session_changed(self, event: SessionChanged) -> None:
        fresh = event.action in (SessionAction.CREATED, SessionAction.MOVED)
        await self.reconcile(event.guild_id, session_id=event.session_id, drop_overdue=fresh)
        await self.blocked.tell_organizers(event.guild_id)

    async def _on_settings_changed(self, event: GuildSettingsChanged) -> None:
        if event.fields & RELEVANT_SETTINGS:
            await self.reconcile(event.guild_id, session_id=None, drop_overdue=True)
        await self.blocked.tell_organizers(event.guild_id)

    async def _on_imported(self, event: ScheduleImported) -> None:
        await self.reconcile(event.guild_id, session_id=None, drop_overdue=True)

    async def reconcile(
        self, guild_id: int, *, session_id: int | None, drop_overdue: bool
    ) -> list[Outcome]:
        """Re-plan one server at once after a change.

        Blocked reminders that are no longer planned (the session moved or was cancelled)
        are dropped. With ``drop_overdue``, reminders that were already overdue when the
        change happened (a session scheduled 30 minutes ahead has no 1-hour reminder) are
        recorded as skipped instead of being posted late — only for ``session_id`` if given.
        """
        now = self.clock.now()
        loaded = await self.agenda.load(now, [guild_id])
        outcomes = []
        for p in loaded.agenda.get(guild_id, []):
            due = p.due
            if p.obsolete and p.status == DeliveryStatus.BLOCKED:
                reason = "no longer planned (its session was moved or cancelled)"
                async with self.db.unit() as uow:
                    if await uow.reminders.skip_blocked(guild_id, due.key, reason):
                        outcomes.append(Outcome(guild_id, due.key, "skipped", reason))
            elif (
                drop_overdue
                and p.status is None
                and not p.obsolete
                and due.due_at < now - LATE_GRACE
                and (session_id is None or due.session_id == session_id)
            ):
                reason = "it was already past its time when the schedule or settings changed"
                if await self.delivery.claim(due, now, None) is not None:
                    await self.delivery.mark(due, DeliveryStatus.SKIPPED, detail=reason)
                    outcomes.append(Outcome(guild_id, due.key, "skipped", reason))
        if outcomes:
            loaded = await self.agenda.load(now, [guild_id])
        self.agenda.apply(loaded, [guild_id])
        self._arm()
        return outcomes

    async def compose(
        self, config: GuildConfig, due: Due, *, at: datetime, late: bool = False
    ) -> ReminderPost | None:
        """What to post for ``due`` at time ``at``, read fresh from the database; None when
        there is nothing to say (no session in the coming week, the session is gone)."""
        async with self.db.unit() as uow:
            if due.is_weekly:
                return await compose_weekly(uow, self.schedule, config, due, at, late)
            return await compose_lead(uow, self.schedule, config, due, late)

    # ----------------------------------------------------------------------------------
    # For /reminders (see bot.reminders.settings) and the blocked notice

    async def upcoming(self, guild_id: int, limit: int = 5) -> list[Due]:
        """The next reminders of a server that are not done yet, soonest first."""
        now = self.clock.now()
        loaded = await self.agenda.load(now, [guild_id])
        items = [
            p.due for p in loaded.agenda.get(guild_id, []) if not p.obsolete and p.due.due_at > now
        ]
        return sorted(items, key=lambda d: d.due_at)[:limit]

    async def status(self, guild_id: int) -> ReminderStatus:
        return await self.settings.status(guild_id)

    async def preview(
        self, guild_id: int, kind: str, session_id: int | None = None, *, test: bool = False
    ) -> ReminderPost:
        return await self.settings.preview(guild_id, kind, session_id, test=test)

    async def post_test(self, post: ReminderPost) -> tuple[int, int]:
        return await self.settings.post_test(post)

    async def turn_off(self, guild_id: int) -> GuildConfig:
        return await self.settings.turn_off(guild_id)

    async def blocked_notice(self, guild_id: int, *, untold_only: bool = True) -> str | None:
        return await self.blocked.notice(guild_id, untold_only=untold_only)

    async def mark_told(self, guild_id: int) -> bool:
        return await self.blocked.mark_told(guild_id)
