"""Reminders: the weekly announcement and the reminders before each session, exactly once.

The database is the truth. What is due is computed from the server settings and the
schedule (``plan_guild``: pure, DST-proof through ``timeparse.next_weekly``); the reminder
ledger (``ReminderDelivery``) says what is done. The scheduler only wakes the bot: it calls
:meth:`ReminderService.run_due`, which reads the database and delivers what is due.

Exactly once, across restarts and processes, is "claim → send → mark sent":

1. Claim the ledger row ``(guild, dedupe_key)`` (kind + session + due time). The unique
   constraint makes the claim atomic; a claim carries a lease (``LEASE``).
2. Post the message (through a :class:`ReminderSender`, the only Discord-side part).
3. Mark the row sent with the message id.

A process that dies between 1 and 3 leaves a claimed row. Once its lease has expired, the
next run takes the claim over and first looks in the channel for a message carrying the
reminder's reference (in the embed footer) posted after that claim: found → marked sent,
nothing posted; not found → posted now. Never "mark, then send", so a crash loses nothing,
and the lease plus the look-up mean a second process or a reconnect posts nothing twice.

Catch-up: a reminder whose time passed while the bot was down is posted late with a note
if its session has not started yet; one whose session already started is marked skipped
and logged. Of several overdue reminders of one session only the last is posted.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot import notices
from bot.clock import Clock
from bot.dates import next_weekly, parse_time, weekly_clock_notes
from bot.errors import InvalidInput, NotConfigured, NotFound, ServiceUnavailable
from bot.events import (
    EventBus,
    GuildSettingsChanged,
    ScheduleImported,
    SessionAction,
    SessionAnnounced,
    SessionChanged,
)
from bot.reminders.plan import (
    LEAD,
    LOOKBACK,
    WEEKLY,
    Due,
    describe_leads,
    describe_weekly,
    format_lead,
    lead_key,
    parse_lead_times,
    plan_guild,
    reference,
    weekly_key,
    weekly_slot,
)
from bot.reminders.posts import ReminderPost, compose_lead, compose_weekly
from storage.db import Database
from storage.models import DeliveryStatus, GuildConfig, ReminderDelivery, SessionStatus, id_of

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # a claim older than this is taken over (its process died)
LATE_GRACE = timedelta(minutes=2)  # posted later than this after its time: "posted late"
WEEKLY_GRACE = timedelta(days=1)  # a weekly announcement later than this is skipped
RESYNC = timedelta(minutes=15)  # full re-read of every server (changes by other processes)
RETRY = timedelta(seconds=30)  # a reminder a run could not settle is looked at again after this
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

OPEN = (DeliveryStatus.CLAIMED, DeliveryStatus.BLOCKED)
BLOCKED_NOTICE = "reminders_blocked"
BLOCKED_TOLD = "reminders_blocked_told"


# --------------------------------------------------------------------------------------
# What the Discord side implements


class DeliveryBlocked(Exception):
    """Discord refused the post for lack of access or permission: keep it pending."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DeliveryRejected(Exception):
    """Discord refused the message itself (e.g. 400): retrying the same post cannot help."""


class DeliveryFailed(Exception):
    """A transient failure (5xx, network) after retries: the claim's lease decides the retry."""


class ReminderSender(Protocol):
    async def send(self, post: ReminderPost, channel_id: int) -> int:
        """Post ``post`` in the channel; return the message id. Raises the Delivery* errors."""
        ...

    async def find_posted(
        self, guild_id: int, channel_id: int, ref: str, after: datetime
    ) -> int | None:
        """The id of a message by the bot carrying ``ref``, posted after ``after``, if any."""
        ...


Waker = Callable[[datetime | None], None]


# --------------------------------------------------------------------------------------
# What gets posted (rendered by the Discord side; previews render the same object)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one run did with one reminder (for logs, tests and /reminders show)."""

    guild_id: int
    key: str
    result: str  # sent, recovered, skipped, blocked, held, failed
    detail: str = ""
    message_id: int | None = None


@dataclass(slots=True)
class Pending:
    """A reminder that still needs work, and when to look at it next."""

    due: Due
    wake_at: datetime
    status: str | None = None  # None (no ledger row yet), claimed or blocked
    claimed_at: datetime | None = None
    channel_id: int | None = None
    obsolete: bool = False  # a claimed/blocked row that is no longer planned


@dataclass(frozen=True, slots=True)
class ReminderStatus:
    config: GuildConfig
    next_weekly: datetime | None
    upcoming: list[Due]
    blocked: list[ReminderDelivery]
    last_sent: ReminderDelivery | None
    numbers: dict[int, int] = field(default_factory=dict)  # session id → number in the server


@dataclass(slots=True)
class _Loaded:
    configs: dict[int, GuildConfig]
    agenda: dict[int, list[Pending]]
    planned: int = 0  # reminders planned (due or upcoming), for logs and the benchmark


def _owner() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class ReminderService:
    def __init__(
        self,
        db: Database,
        events: EventBus,
        clock: Clock,
        *,
        schedule: Any,
        guilds: Any,
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
        self.guilds = guilds  # GuildSettingsService: saves settings and announces the change
        self.default_timezone = default_timezone
        self.lease = lease
        self.lookback = lookback
        self.resync = resync
        # The servers this process plans and posts for (its shards); None: every server.
        self.owns = owns
        self.owner = _owner()
        self.sender: ReminderSender | None = None
        self._waker: Waker | None = None
        self._agenda: dict[int, list[Pending]] = {}
        self._configs: dict[int, GuildConfig] = {}
        self._last_full: datetime | None = None
        self._run_lock = asyncio.Lock()
        self._attached = False

    # ----------------------------------------------------------------------------------
    # Wiring

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

    def next_wake(self) -> datetime | None:
        """When something is next due (or a claim's lease runs out), by the injected clock."""
        firsts = [items[0].wake_at for items in self._agenda.values() if items]
        return min(firsts) if firsts else None

    def planned_count(self) -> int:
        return sum(len(items) for items in self._agenda.values())

    def _arm(self) -> None:
        if self._waker is not None:
            self._waker(self.next_wake())

    # ----------------------------------------------------------------------------------
    # Planning from the database (a constant number of queries)

    async def _load(
        self,
        now: datetime,
        guild_ids: Collection[int] | None,
        unsettled_at: datetime | None = None,
    ) -> _Loaded:
        """Plan ``guild_ids`` (or every server) with three queries, whatever their number.

        After a run, ``unsettled_at`` is its end: what is still due then could not be claimed
        or posted right now, and is looked at again ``RETRY`` later instead of waking the bot
        in a tight loop.
        """
        since = now - self.lookback
        async with self.db.unit() as uow:
            if guild_ids is None:
                configs = await uow.guilds.all()
            else:
                configs = await uow.guilds.get_many(guild_ids)
            starts = await uow.sessions.start_times(since, guild_ids)
            ledger = await uow.reminders.ledger_since(since, guild_ids)
        if self.owns is not None:  # servers of other shards are another process's work
            owns = self.owns
            configs = [c for c in configs if owns(c.guild_id)]
            starts = [s for s in starts if owns(s[0])]
            ledger = [r for r in ledger if owns(r.guild_id)]
        sessions: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
        for guild_id, session_id, starts_at in starts:
            sessions[guild_id].append((session_id, starts_at))
        rows: dict[int, list[ReminderDelivery]] = defaultdict(list)
        for row in ledger:
            rows[row.guild_id].append(row)
        loaded = _Loaded(configs={c.guild_id: c for c in configs}, agenda={})
        for guild_id in set(loaded.configs) | set(rows):
            config = loaded.configs.get(guild_id)
            planned = []
            if config is not None:
                planned = plan_guild(config, sessions.get(guild_id, ()), now, self.lookback)
            loaded.planned += len(planned)
            items = self._pending(planned, rows.get(guild_id, []))
            if unsettled_at is not None:
                for item in items:
                    if item.wake_at <= unsettled_at:
                        item.wake_at = unsettled_at + RETRY
            if items:
                loaded.agenda[guild_id] = items
        return loaded

    def _pending(self, planned: list[Due], rows: list[ReminderDelivery]) -> list[Pending]:
        """What still needs work: planned reminders without a finished ledger row, and
        unfinished rows that are no longer planned (``obsolete``)."""
        by_ident = {(r.kind, r.session_id, r.due_at): r for r in rows}
        items: list[Pending] = []
        idents = set()
        for due in planned:
            ident = due.ident
            idents.add(ident)
            row = by_ident.get(ident)
            if row is None:
                items.append(Pending(due, due.due_at))
            elif row.status in OPEN:
                items.append(self._from_row(due, row))
        for row in rows:
            if row.status in OPEN and (row.kind, row.session_id, row.due_at) not in idents:
                due = Due(
                    row.guild_id, row.kind, row.due_at, row.session_id, stored_key=row.dedupe_key
                )
                items.append(replace(self._from_row(due, row), obsolete=True))
        items.sort(key=lambda p: p.wake_at)
        return items

    def _from_row(self, due: Due, row: ReminderDelivery) -> Pending:
        claimed_at = row.claimed_at or due.due_at
        return Pending(
            due,
            # Strictly after the lease: the take-over needs ``claimed_at < now - lease``.
            max(due.due_at, claimed_at + self.lease + timedelta(seconds=1)),
            status=row.status,
            claimed_at=claimed_at,
            channel_id=row.channel_id,
        )

    def _apply(self, loaded: _Loaded, guild_ids: Collection[int] | None) -> None:
        if guild_ids is None:
            self._agenda = loaded.agenda
            self._configs = loaded.configs
            return
        for guild_id in guild_ids:
            self._agenda.pop(guild_id, None)
            self._configs.pop(guild_id, None)
        self._agenda.update(loaded.agenda)
        self._configs.update(loaded.configs)

    async def rebuild(self) -> int:
        """Plan every server's reminders in one pass (at start-up); returns how many are
        pending (due or upcoming, including claims to recover)."""
        now = self.clock.now()
        loaded = await self._load(now, None)
        self._apply(loaded, None)
        self._last_full = now
        self._arm()
        pending = self.planned_count()
        log.info(
            "reminders planned: %d pending in %d servers (next at %s)",
            pending,
            len(self._agenda),
            self.next_wake(),
        )
        return pending

    # ----------------------------------------------------------------------------------
    # Running what is due

    async def run_due(self) -> list[Outcome]:
        """Deliver every reminder that is due now (the scheduler's wake-up calls this)."""
        if self.sender is None:
            raise NotConfigured("Reminders cannot be posted: the bot is not connected.")
        async with self._run_lock:
            now = self.clock.now()
            full = (
                self._last_full is None
                or now - self._last_full >= self.resync
                or now < self._last_full
            )
            if full:
                loaded = await self._load(now, None)
                self._apply(loaded, None)
                self._last_full = now
                guilds = [g for g, items in self._agenda.items() if items[0].wake_at <= now]
            else:
                guilds = [g for g, items in self._agenda.items() if items[0].wake_at <= now]
                if guilds:
                    self._apply(await self._load(now, guilds), guilds)
                    guilds = [g for g in guilds if g in self._agenda]
            outcomes: list[Outcome] = []
            if guilds:
                limit = asyncio.Semaphore(PARALLEL_GUILDS)

                async def one(guild_id: int) -> None:
                    async with limit:
                        outcomes.extend(await self._run_guild(guild_id, now))

                await asyncio.gather(*(one(g) for g in guilds))
                later = self.clock.now()
                self._apply(await self._load(later, guilds, unsettled_at=later), guilds)
            self._arm()
            return outcomes

    async def _run_guild(self, guild_id: int, now: datetime) -> list[Outcome]:
        items = [p for p in self._agenda.get(guild_id, []) if p.wake_at <= now]
        config = self._configs.get(guild_id)
        # Of several overdue reminders of one session only the last one is posted.
        latest: dict[int, datetime] = {}
        for p in items:
            if p.due.session_id is not None and not p.obsolete:
                sid = p.due.session_id
                latest[sid] = max(latest.get(sid, p.due.due_at), p.due.due_at)
        outcomes = []
        for p in items:
            try:
                outcomes.append(await self._process(config, p, now, latest))
            except Exception:
                log.exception("reminder %s of guild %s failed", p.due.key, guild_id)
                outcomes.append(Outcome(guild_id, p.due.key, "failed", "unexpected error"))
        return outcomes

    def _fate(self, p: Pending, now: datetime, latest: dict[int, datetime]) -> str | None:
        """Why the reminder must not be posted, or None to post it."""
        due = p.due
        if p.obsolete:
            return "no longer planned (its session was moved or cancelled, or settings changed)"
        if due.is_weekly:
            if now - due.due_at > WEEKLY_GRACE:
                return "more than a day late (the bot was offline or could not post)"
            return None
        if due.starts_at is not None and due.starts_at <= now:
            return "its session had already started (the bot was offline or could not post)"
        if due.session_id is not None and latest.get(due.session_id, due.due_at) > due.due_at:
            return "superseded by a later reminder of the same session"
        return None

    async def _process(
        self,
        config: GuildConfig | None,
        p: Pending,
        now: datetime,
        latest: dict[int, datetime],
    ) -> Outcome:
        due = p.due
        reason = self._fate(p, now, latest)
        if config is None and reason is None:
            reason = "the server has no settings any more"
        if reason is not None and p.status == DeliveryStatus.BLOCKED:
            async with self.db.unit() as uow:
                done = await uow.reminders.skip_blocked(due.guild_id, due.key, reason)
            if done:
                log.info("guild %s: blocked reminder %s dropped: %s", due.guild_id, due.key, reason)
                return Outcome(due.guild_id, due.key, "skipped", reason)
            return Outcome(due.guild_id, due.key, "held")
        channel_id = config.announcement_channel_id if config is not None else None
        claimed = await self._claim(due, now, channel_id)
        if claimed is None:
            return Outcome(due.guild_id, due.key, "held", "claimed elsewhere or already done")
        if p.status == DeliveryStatus.CLAIMED or claimed.attempts > 1:
            # An earlier attempt died after its claim: did it post before dying?
            found = await self._find_posted(due, p, channel_id)
            if found is not None:
                await self._mark(
                    due,
                    DeliveryStatus.SENT,
                    message_id=found[1],
                    channel_id=found[0],
                    sent_at=now,
                    detail="found in the channel after an interrupted attempt",
                )
                log.info("guild %s: reminder %s was already posted", due.guild_id, due.key)
                await self._clear_blocked_notice(due.guild_id)
                await self._announced(due, found[0], found[1])
                return Outcome(due.guild_id, due.key, "recovered", message_id=found[1])
        if reason is not None:
            await self._mark(due, DeliveryStatus.SKIPPED, detail=reason)
            log.info("guild %s: reminder %s skipped: %s", due.guild_id, due.key, reason)
            return Outcome(due.guild_id, due.key, "skipped", reason)
        assert config is not None and channel_id is not None
        late = now - due.due_at > LATE_GRACE
        post = await self.compose(config, due, at=now, late=late)
        if post is None:
            detail = (
                "nothing is scheduled in the coming week"
                if due.is_weekly
                else "its session was moved or cancelled in the meantime"
            )
            await self._mark(due, DeliveryStatus.SKIPPED, detail=detail)
            return Outcome(due.guild_id, due.key, "skipped", detail)
        assert self.sender is not None
        try:
            message_id = await self.sender.send(post, channel_id)
        except DeliveryBlocked as blocked:
            await self._mark(due, DeliveryStatus.BLOCKED, detail=blocked.reason)
            await self._note_blocked(due.guild_id, channel_id, blocked.reason)
            return Outcome(due.guild_id, due.key, "blocked", blocked.reason)
        except DeliveryRejected as rejected:
            detail = f"Discord refused the message: {rejected}"
            await self._mark(due, DeliveryStatus.SKIPPED, detail=detail)
            log.error("guild %s: reminder %s: %s", due.guild_id, due.key, detail)
            return Outcome(due.guild_id, due.key, "skipped", detail)
        except DeliveryFailed as failed:
            # The claim stays: after its lease the next run looks for the post, then retries.
            log.warning("guild %s: reminder %s not posted yet: %s", due.guild_id, due.key, failed)
            return Outcome(due.guild_id, due.key, "failed", str(failed))
        await self._mark(
            due,
            DeliveryStatus.SENT,
            message_id=message_id,
            channel_id=channel_id,
            sent_at=self.clock.now(),
            late=late,
        )
        if p.status == DeliveryStatus.BLOCKED:
            log.info("guild %s: blocked reminder %s delivered", due.guild_id, due.key)
        await self._clear_blocked_notice(due.guild_id)
        await self._announced(due, channel_id, message_id)
        return Outcome(due.guild_id, due.key, "sent", "late" if late else "", message_id)

    async def _announced(self, due: Due, channel_id: int, message_id: int) -> None:
        """A reminder before a session announces it (the discussion side may open the
        session's thread on that message)."""
        if due.session_id is not None and not due.is_weekly:
            await self.events.publish(
                SessionAnnounced(due.guild_id, due.session_id, channel_id, message_id)
            )

    async def _claim(
        self, due: Due, now: datetime, channel_id: int | None
    ) -> ReminderDelivery | None:
        async with self.db.unit() as uow:
            row = await uow.reminders.try_claim(
                guild_id=due.guild_id,
                dedupe_key=due.key,
                kind=due.kind,
                due_at=due.due_at,
                session_id=due.session_id,
                owner=self.owner,
                now=now,
                lease_expired_before=now - self.lease,
            )
            if row is not None and channel_id is not None and row.channel_id != channel_id:
                # Remember where this attempt posts, for the look-up after a crash.
                await uow.reminders.mark(row, row.status, channel_id=channel_id)
            return row

    async def _mark(self, due: Due, status: str, **values: Any) -> None:
        async with self.db.unit() as uow:
            row = await uow.reminders.get(due.guild_id, due.key)
            if row is not None:
                await uow.reminders.mark(row, status, **values)

    async def _find_posted(
        self, due: Due, p: Pending, channel_id: int | None
    ) -> tuple[int, int] | None:
        assert self.sender is not None
        channels = [c for c in dict.fromkeys([p.channel_id, channel_id]) if c is not None]
        # Any post of this reminder came after its latest claim, and every claim comes at or
        # after the due time: both bound the part of the channel to look at.
        after = (p.claimed_at or due.due_at) - timedelta(minutes=1)
        for channel in channels:
            try:
                found = await self.sender.find_posted(due.guild_id, channel, due.ref, after)
            except (DeliveryBlocked, DeliveryFailed) as exc:
                log.warning("guild %s: cannot read channel %s: %s", due.guild_id, channel, exc)
                continue
            if found is not None:
                return channel, found
        return None

    # ----------------------------------------------------------------------------------
    # Telling organizers once that reminders are blocked

    async def _note_blocked(self, guild_id: int, channel_id: int, reason: str) -> None:
        async with self.db.unit() as uow:
            first = await uow.notices.first_time(guild_id, BLOCKED_NOTICE)
        if first:
            log.warning(
                "guild %s: reminders cannot be posted in channel %s (%s); they stay pending "
                "and are posted once the permission is granted",
                guild_id,
                channel_id,
                reason,
            )

    async def _clear_blocked_notice(self, guild_id: int) -> None:
        async with self.db.unit() as uow:
            if await uow.notices.exists(guild_id, BLOCKED_NOTICE):
                await uow.notices.clear(guild_id, BLOCKED_NOTICE)
                await uow.notices.clear(guild_id, BLOCKED_TOLD)

    async def blocked_notice(self, guild_id: int, *, untold_only: bool = True) -> str | None:
        """The one-line notice for organizers while reminders are blocked; with
        ``untold_only`` only if it was not shown yet (see :meth:`mark_told`)."""
        async with self.db.unit() as uow:
            if not await uow.notices.exists(guild_id, BLOCKED_NOTICE):
                return None
            if untold_only and await uow.notices.exists(guild_id, BLOCKED_TOLD):
                return None
            blocked = await uow.reminders.blocked(guild_id)
            config = await uow.guilds.get(guild_id)
        if not blocked:
            return None
        channel = (
            f"<#{config.announcement_channel_id}>"
            if config and config.announcement_channel_id
            else "the announcement channel"
        )
        count = len(blocked)
        return (
            f"{count} reminder{'s are' if count != 1 else ' is'} waiting: I cannot post in "
            f"{channel} ({blocked[-1].detail or 'missing access'}). Give my role View Channel, "
            "Send Messages, Embed Links and Read Message History there, and I will post "
            f"{'them' if count != 1 else 'it'} then."
        )

    async def mark_told(self, guild_id: int) -> bool:
        """Record that organizers were shown the blocked notice; False if already recorded."""
        async with self.db.unit() as uow:
            return await uow.notices.first_time(guild_id, BLOCKED_TOLD)

    async def _tell_organizers(self, guild_id: int) -> None:
        """Inside an organizer's command, add the blocked notice to its reply (once)."""
        message = await self.blocked_notice(guild_id)
        if message is not None and notices.add(message):
            await self.mark_told(guild_id)

    # ----------------------------------------------------------------------------------
    # Following the schedule and the settings

    async def _on_session_changed(self, event: SessionChanged) -> None:
        fresh = event.action in (SessionAction.CREATED, SessionAction.MOVED)
        await self.reconcile(event.guild_id, session_id=event.session_id, drop_overdue=fresh)
        await self._tell_organizers(event.guild_id)

    async def _on_settings_changed(self, event: GuildSettingsChanged) -> None:
        if event.fields & RELEVANT_SETTINGS:
            await self.reconcile(event.guild_id, session_id=None, drop_overdue=True)
        await self._tell_organizers(event.guild_id)

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
        loaded = await self._load(now, [guild_id])
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
                if await self._claim(due, now, None) is not None:
                    await self._mark(due, DeliveryStatus.SKIPPED, detail=reason)
                    outcomes.append(Outcome(guild_id, due.key, "skipped", reason))
        if outcomes:
            loaded = await self._load(now, [guild_id])
        self._apply(loaded, [guild_id])
        self._arm()
        return outcomes

    # ----------------------------------------------------------------------------------
    # Composing posts

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
    # For /reminders: status, preview, test, settings

    async def _config(self, guild_id: int) -> GuildConfig:
        return await self.guilds.fresh(guild_id)  # type: ignore[no-any-return]

    async def upcoming(self, guild_id: int, limit: int = 5) -> list[Due]:
        """The next reminders of a server that are not done yet, soonest first."""
        now = self.clock.now()
        loaded = await self._load(now, [guild_id])
        items = [
            p.due for p in loaded.agenda.get(guild_id, []) if not p.obsolete and p.due.due_at > now
        ]
        return sorted(items, key=lambda d: d.due_at)[:limit]

    async def status(self, guild_id: int) -> ReminderStatus:
        config = await self._config(guild_id)
        upcoming = await self.upcoming(guild_id, limit=25)
        async with self.db.unit() as uow:
            blocked = await uow.reminders.blocked(guild_id)
            last_sent = await uow.reminders.last_sent(guild_id)
            leads = [d for d in upcoming if not d.is_weekly][:5]
            sessions = await uow.sessions.get_many(
                guild_id, [d.session_id for d in leads if d.session_id is not None]
            )
        weekly = next((d.due_at for d in upcoming if d.is_weekly), None)
        if weekly is None and config.weekly_enabled:
            weekly = next_weekly(self.clock.now(), weekly_slot(config), config.timezone)
        numbers = {id_of(s): s.number for s in sessions}
        return ReminderStatus(config, weekly, leads, blocked, last_sent, numbers)

    async def preview(
        self, guild_id: int, kind: str, session_id: int | None = None, *, test: bool = False
    ) -> ReminderPost:
        """Exactly what would be posted next for ``kind`` (weekly or lead)."""
        config = await self._config(guild_id)
        now = self.clock.now()
        if kind == WEEKLY:
            moment = next_weekly(now, weekly_slot(config), config.timezone)
            due = Due(guild_id, WEEKLY, moment)
            post = await self.compose(config, due, at=moment)
            if post is None:
                post = ReminderPost(
                    guild_id=guild_id,
                    kind=WEEKLY,
                    key=due.key,
                    ref=due.ref,
                    config=config,
                    due_at=moment,
                    sessions=[],
                    offer_ping_button=config.ping_role_id is not None,
                )
        else:
            due = await self._next_lead(config, session_id, now)
            post = await self.compose(config, due, at=now)
            if post is None:
                raise NotFound("That session is not scheduled any more.")
        if test:
            key = f"test:{uuid.uuid4().hex[:12]}"
            post = replace(
                post, key=key, ref=reference(guild_id, key), test=True, ping_role_id=None
            )
        return post

    async def _next_lead(self, config: GuildConfig, session_id: int | None, now: datetime) -> Due:
        leads = sorted({int(m) for m in config.lead_times_minutes or [] if int(m) > 0}) or [60]
        async with self.db.unit() as uow:
            if session_id is not None:
                row = await uow.sessions.get(config.guild_id, session_id)
                if row is None:
                    raise NotFound("That session is not in this server (any more).")
                if row.status != SessionStatus.SCHEDULED:
                    raise InvalidInput(f"Session #{row.number} is cancelled.")
            else:
                row = await uow.sessions.next_after(config.guild_id, now)
                if row is None:
                    raise NotFound(
                        "Nothing is scheduled yet, so there is no reminder to show. Add a "
                        "session with /session add."
                    )
        assert row.id is not None
        # The next lead reminder still ahead, else the last one (the one closest to the start).
        ahead = [m for m in reversed(leads) if row.starts_at - timedelta(minutes=m) > now]
        minutes = ahead[0] if ahead else leads[0]
        due_at = row.starts_at - timedelta(minutes=minutes)
        return Due(config.guild_id, f"{LEAD}:{minutes}", due_at, row.id, row.starts_at, minutes)

    async def post_test(self, post: ReminderPost) -> tuple[int, int]:
        """Post a preview now (``/reminders test``): not recorded, never pings."""
        if self.sender is None:
            raise NotConfigured("Reminders cannot be posted: the bot is not connected.")
        channel_id = post.config.announcement_channel_id
        if channel_id is None:
            raise NotConfigured(
                "No announcement channel is set: choose one with /reminders set channel:…"
            )
        try:
            return channel_id, await self.sender.send(post, channel_id)
        except DeliveryBlocked as blocked:
            raise NotConfigured(
                f"I cannot post in <#{channel_id}> ({blocked.reason}). Give my role View "
                "Channel, Send Messages and Embed Links there."
            ) from None
        except (DeliveryRejected, DeliveryFailed) as failed:
            raise ServiceUnavailable(f"Discord did not take the post: {failed}") from None

    async def configure(
        self,
        guild_id: int,
        *,
        weekday: int | None = None,
        time_text: str | None = None,
        weekly: bool | None = None,
        lead_times: str | None = None,
        ping_role_id: int | None = None,
        clear_ping_role: bool = False,
        channel_id: int | None = None,
    ) -> GuildConfig:
        """Validate and save reminder settings; the settings service announces the change,
        so the plan follows at once."""
        changes: dict[str, Any] = {}
        if weekday is not None:
            if not 0 <= weekday <= 6:
                raise InvalidInput("The weekday must be Monday … Sunday.")
            changes["weekly_weekday"] = weekday
        if time_text is not None:
            changes["weekly_time"] = parse_time(time_text)
        if weekly is not None:
            changes["weekly_enabled"] = weekly
        elif weekday is not None or time_text is not None:
            changes["weekly_enabled"] = True
        if lead_times is not None:
            minutes = parse_lead_times(lead_times)
            if minutes:
                changes["lead_times_minutes"] = minutes
            changes["lead_reminders_enabled"] = bool(minutes)
        if clear_ping_role:
            changes["ping_role_id"] = None
        elif ping_role_id is not None:
            changes["ping_role_id"] = ping_role_id
        if channel_id is not None:
            changes["announcement_channel_id"] = channel_id
        if not changes:
            return await self._config(guild_id)
        config: GuildConfig = await self.guilds.update(guild_id, **changes)
        if config.weekly_enabled and {"weekly_weekday", "weekly_time"} & changes.keys():
            slot, zone = weekly_slot(config), config.timezone
            for note in weekly_clock_notes(self.clock.now(), slot, zone, "the weekly announcement"):
                notices.add(note)
        return config

    async def turn_off(self, guild_id: int) -> GuildConfig:
        return await self.guilds.update(  # type: ignore[no-any-return]
            guild_id, weekly_enabled=False, lead_reminders_enabled=False
        )


__all__ = [
    "LEAD",
    "WEEKLY",
    "DeliveryBlocked",
    "DeliveryFailed",
    "DeliveryRejected",
    "Due",
    "Outcome",
    "ReminderPost",
    "ReminderSender",
    "ReminderService",
    "ReminderStatus",
    "describe_leads",
    "describe_weekly",
    "format_lead",
    "lead_key",
    "parse_lead_times",
    "plan_guild",
    "reference",
    "weekly_key",
]
