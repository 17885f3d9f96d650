"""Delivering one reminder exactly once: claim → send → mark sent.

1. Claim the ledger row ``(guild, dedupe_key)`` (kind + session + due time). The unique
   constraint makes the claim atomic; a claim records its owner (:mod:`bot.reminders.owner`)
   and carries a lease (``LEASE``).
2. Post the message (through a :class:`ReminderSender`, the only Discord-side part).
3. Mark the row sent with the message id.

A process that dies between 1 and 3 leaves a claimed row. The instance that restarts in its
slot takes its own earlier claims over at once; any other process only once the lease has
expired. Either way the taker first looks in the channel for a message carrying the
reminder's reference (in the embed footer) posted after that claim: found → marked sent,
nothing posted; not found → posted now. Never "mark, then send", so a crash loses nothing,
and the claim plus the look-up mean a second process or a reconnect posts nothing twice.

A reminder whose session already started, a weekly announcement more than a day late, or
one no longer planned is marked skipped instead (after the same look-up).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.clock import Clock
from bot.events import EventBus, SessionAnnounced
from bot.reminders.agenda import Pending
from bot.reminders.blocked import BlockedNotices
from bot.reminders.owner import ClaimOwner
from bot.reminders.plan import Due
from bot.reminders.posts import ReminderPost
from storage.db import Database
from storage.models import DeliveryStatus, GuildConfig, ReminderDelivery

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # another owner's claim older than this is taken over
LATE_GRACE = timedelta(minutes=2)  # posted later than this after its time: "posted late"
WEEKLY_GRACE = timedelta(days=1)  # a weekly announcement later than this is skipped


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


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one run did with one reminder (for logs, tests and /reminders show)."""

    guild_id: int
    key: str
    result: str  # sent, recovered, skipped, blocked, held, failed
    detail: str = ""
    message_id: int | None = None


Compose = Callable[..., Awaitable[ReminderPost | None]]


class Delivery:
    """Claims, posts and marks one reminder at a time; owned by the reminder service."""

    def __init__(
        self,
        db: Database,
        events: EventBus,
        clock: Clock,
        *,
        lease: timedelta,
        owner: ClaimOwner,
        compose: Compose,
        blocked: BlockedNotices,
    ) -> None:
        self.db = db
        self.events = events
        self.clock = clock
        self.lease = lease
        self.owner = owner
        self.compose = compose  # (config, due, *, at, late) → the post, read fresh
        self.blocked = blocked
        self.sender: ReminderSender | None = None

    def fate(self, p: Pending, now: datetime, latest: dict[int, datetime]) -> str | None:
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

    async def process(
        self,
        config: GuildConfig | None,
        p: Pending,
        now: datetime,
        latest: dict[int, datetime],
    ) -> Outcome:
        due = p.due
        reason = self.fate(p, now, latest)
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
        claimed = await self.claim(due, now, channel_id)
        if claimed is None:
            return Outcome(due.guild_id, due.key, "held", "claimed elsewhere or already done")
        if p.status == DeliveryStatus.CLAIMED or claimed.attempts > 1:
            # An earlier attempt died after its claim: did it post before dying?
            found = await self._find_posted(due, p, channel_id)
            if found is not None:
                await self.mark(
                    due,
                    DeliveryStatus.SENT,
                    message_id=found[1],
                    channel_id=found[0],
                    sent_at=now,
                    detail="found in the channel after an interrupted attempt",
                )
                log.info("guild %s: reminder %s was already posted", due.guild_id, due.key)
                await self.blocked.clear(due.guild_id)
                await self._announced(due, found[0], found[1])
                return Outcome(due.guild_id, due.key, "recovered", message_id=found[1])
            if p.own_earlier:
                log.info(
                    "guild %s: reminder %s taken over from this instance's earlier run",
                    due.guild_id,
                    due.key,
                )
        if reason is not None:
            await self.mark(due, DeliveryStatus.SKIPPED, detail=reason)
            log.info("guild %s: reminder %s skipped: %s", due.guild_id, due.key, reason)
            return Outcome(due.guild_id, due.key, "skipped", reason)
        assert config is not None and channel_id is not None
        return await self._post(config, p, channel_id, now)

    async def _post(
        self, config: GuildConfig, p: Pending, channel_id: int, now: datetime
    ) -> Outcome:
        due = p.due
        late = now - due.due_at > LATE_GRACE
        post = await self.compose(config, due, at=now, late=late)
        if post is None:
            detail = (
                "nothing is scheduled in the coming week"
                if due.is_weekly
                else "its session was moved or cancelled in the meantime"
            )
            await self.mark(due, DeliveryStatus.SKIPPED, detail=detail)
            return Outcome(due.guild_id, due.key, "skipped", detail)
        assert self.sender is not None
        try:
            message_id = await self.sender.send(post, channel_id)
        except DeliveryBlocked as blocked:
            await self.mark(due, DeliveryStatus.BLOCKED, detail=blocked.reason)
            await self.blocked.note(due.guild_id, channel_id, blocked.reason)
            return Outcome(due.guild_id, due.key, "blocked", blocked.reason)
        except DeliveryRejected as rejected:
            detail = f"Discord refused the message: {rejected}"
            await self.mark(due, DeliveryStatus.SKIPPED, detail=detail)
            log.error("guild %s: reminder %s: %s", due.guild_id, due.key, detail)
            return Outcome(due.guild_id, due.key, "skipped", detail)
        except DeliveryFailed as failed:
            # The claim stays: after its lease the next run looks for the post, then retries.
            log.warning("guild %s: reminder %s not posted yet: %s", due.guild_id, due.key, failed)
            return Outcome(due.guild_id, due.key, "failed", str(failed))
        await self.mark(
            due,
            DeliveryStatus.SENT,
            message_id=message_id,
            channel_id=channel_id,
            sent_at=self.clock.now(),
            late=late,
        )
        log.info("guild %s: reminder %s posted as message %s", due.guild_id, due.key, message_id)
        if p.status == DeliveryStatus.BLOCKED:
            log.info("guild %s: blocked reminder %s delivered", due.guild_id, due.key)
        await self.blocked.clear(due.guild_id)
        await self._announced(due, channel_id, message_id)
        return Outcome(due.guild_id, due.key, "sent", "late" if late else "", message_id)

    async def _announced(self, due: Due, channel_id: int, message_id: int) -> None:
        """A reminder before a session announces it (the discussion side may open the
        session's thread on that message)."""
        if due.session_id is not None and not due.is_weekly:
            await self.events.publish(
                SessionAnnounced(due.guild_id, due.session_id, channel_id, message_id)
            )

    async def claim(
        self, due: Due, now: datetime, channel_id: int | None
    ) -> ReminderDelivery | None:
        async with self.db.unit() as uow:
            row = await uow.reminders.try_claim(
                guild_id=due.guild_id,
                dedupe_key=due.key,
                kind=due.kind,
                due_at=due.due_at,
                session_id=due.session_id,
                owner=self.owner.name,
                now=now,
                lease_expired_before=now - self.lease,
                earlier_self=self.owner.prefix,
            )
            if row is not None and channel_id is not None and row.channel_id != channel_id:
                # Remember where this attempt posts, for the look-up after a crash.
                await uow.reminders.mark(row, row.status, channel_id=channel_id)
            return row

    async def mark(self, due: Due, status: str, **values: Any) -> None:
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
