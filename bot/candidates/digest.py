"""The weekly digest of candidates: posted exactly once per week and server.

At the server's weekday and time (its time zone, across DST) the top papers of the past
week for the group go to the digest channel. Exactly once, across restarts and processes, is
the reminders' "claim → post → mark sent" on their ledger (``ReminderDelivery``, kind
``digest``, one key per weekly slot):

1. claim the week's row (the unique key makes the claim atomic; a claim has a lease);
2. read the feed and rank; post (through a :class:`DigestSender`, the Discord side);
3. mark the row sent with the message id.

When the feed is down, answers 429 or nonsense, or Discord fails, the claim stays with the
reason and is taken over once its lease ran out: the digest is retried then. A take-over
first looks in the channel for the digest's reference (in the embed footer), so a digest
posted just before a crash is marked sent, never posted twice. A week whose digest could not
be posted within a day is given up and recorded as skipped.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.candidates.service import Candidate, CandidateList, CandidateService
from bot.clock import Clock
from bot.dates import Period, WeeklySlot, next_weekly, utc_to_local
from bot.errors import ServiceUnavailable
from bot.guilds import GuildSettingsService
from bot.reminders.delivery import Outcome  # one shape for what a run did, on the shared ledger
from storage.db import Database
from storage.models import CandidateDigestConfig, DeliveryStatus

log = logging.getLogger(__name__)

DIGEST = "digest"  # the ledger kind (left out of the reminders' own planning)
LEASE = timedelta(minutes=10)  # a claim older than this is taken over: the retry interval
GRACE = timedelta(days=1)  # a digest later than this is given up
PERIOD_DAYS = 7


class DigestBlocked(Exception):
    """Discord refused the post for lack of access: kept pending, retried after the lease."""


class DigestRejected(Exception):
    """Discord refused the message itself: retrying the same post cannot help."""


class DigestFailed(Exception):
    """A transient failure after retries (5xx, network)."""


@dataclass(frozen=True, slots=True)
class Digest:
    guild_id: int
    due_at: datetime
    key: str
    ref: str
    config: CandidateDigestConfig
    listing: CandidateList
    candidates: list[Candidate]  # the top papers, with details


class DigestSender(Protocol):
    async def send(self, digest: Digest, channel_id: int) -> int:
        """Post it; the message id. Raises the Digest* errors."""
        ...

    async def find_posted(
        self, guild_id: int, channel_id: int, ref: str, after: datetime
    ) -> int | None:
        """A message by the bot carrying ``ref`` posted after ``after``, if any."""
        ...


def digest_key(due_at: datetime) -> str:
    return f"{DIGEST}:{due_at.isoformat()}"


def digest_ref(guild_id: int, key: str) -> str:
    return "dg-" + hashlib.blake2b(f"{guild_id}:{key}".encode(), digest_size=5).hexdigest()


def slot_of(config: CandidateDigestConfig) -> WeeklySlot:
    return WeeklySlot(config.weekday, config.at)


def last_slot(now: datetime, config: CandidateDigestConfig, zone: str) -> datetime:
    """The latest weekly slot at or before ``now``."""
    return next_weekly(now - timedelta(days=7, seconds=1), slot_of(config), zone)


def _owner() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class DigestService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        candidates: CandidateService,
        guilds: GuildSettingsService,
        *,
        lease: timedelta = LEASE,
        grace: timedelta = GRACE,
    ) -> None:
        self.db = db
        self.clock = clock
        self.candidates = candidates
        self.guilds = guilds  # GuildSettingsService (the server's time zone)
        self.lease = lease
        self.grace = grace
        self.owner = _owner()
        self.sender: DigestSender | None = None

    def attach(self, sender: DigestSender) -> None:
        self.sender = sender

    async def _zone(self, guild_id: int) -> str:
        config = await self.guilds.get(guild_id)
        return config.timezone

    async def next_due(self, guild_id: int) -> datetime | None:
        config = await self.candidates.digest_config(guild_id)
        if not config.enabled or config.channel_id is None:
            return None
        return next_weekly(self.clock.now(), slot_of(config), await self._zone(guild_id))

    async def compose(
        self, config: CandidateDigestConfig, due_at: datetime, key: str | None = None
    ) -> Digest:
        """The digest for the week ending at ``due_at``: read from the feed now."""
        zone = await self._zone(config.guild_id)
        end = utc_to_local(due_at, zone).date()
        period = Period("days", end - timedelta(days=PERIOD_DAYS - 1), end)
        listing = await self.candidates.listing(config.guild_id, period)
        top = await self.candidates.with_details(listing.fresh[: config.count])
        key = key or digest_key(due_at)
        return Digest(
            guild_id=config.guild_id,
            due_at=due_at,
            key=key,
            ref=digest_ref(config.guild_id, key),
            config=config,
            listing=listing,
            candidates=top,
        )

    async def run_due(self) -> list[Outcome]:
        """Post every digest whose weekly slot has come (the scheduler's tick calls this)."""
        if self.sender is None:
            return []
        now = self.clock.now()
        async with self.db.unit() as uow:
            configs = await uow.candidates.enabled_digests()
        outcomes = []
        for config in configs:
            try:
                outcome = await self._run_one(config, now)
            except Exception:
                log.exception("digest of guild %s failed", config.guild_id)
                outcome = Outcome(config.guild_id, "", "failed", "unexpected error")
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    async def _run_one(self, config: CandidateDigestConfig, now: datetime) -> Outcome | None:
        assert self.sender is not None and config.channel_id is not None
        due_at = last_slot(now, config, await self._zone(config.guild_id))
        if due_at < config.updated_at - timedelta(minutes=1):
            return None  # the slot passed before the digest was set up: wait for the next
        key = digest_key(due_at)
        guild_id = config.guild_id
        async with self.db.unit() as uow:
            row = await uow.reminders.get(guild_id, key)
            if row is not None and row.status in (DeliveryStatus.SENT, DeliveryStatus.SKIPPED):
                return None
            if row is not None and row.claimed_at and row.claimed_at >= now - self.lease:
                return None  # someone is on it (or retries after the lease)
            claimed = await uow.reminders.try_claim(
                guild_id=guild_id,
                dedupe_key=key,
                kind=DIGEST,
                due_at=due_at,
                session_id=None,
                owner=self.owner,
                now=now,
                lease_expired_before=now - self.lease,
            )
            if claimed is None:
                return Outcome(guild_id, key, "held", "claimed elsewhere or done")
            earlier_channel = claimed.channel_id
            attempts = claimed.attempts
            await uow.reminders.mark(claimed, DeliveryStatus.CLAIMED, channel_id=config.channel_id)
        ref = digest_ref(guild_id, key)
        if attempts > 1:
            after = due_at - timedelta(minutes=1)
            for channel in dict.fromkeys([earlier_channel, config.channel_id]):
                if channel is None:
                    continue
                try:
                    found = await self.sender.find_posted(guild_id, channel, ref, after)
                except (DigestBlocked, DigestFailed) as error:
                    log.warning("guild %s: cannot read channel %s: %s", guild_id, channel, error)
                    continue
                if found is not None:
                    await self._mark(guild_id, key, DeliveryStatus.SENT, message_id=found)
                    return Outcome(guild_id, key, "recovered", message_id=found)
        if now - due_at > self.grace:
            detail = "not posted within a day (the feed or Discord kept failing)"
            await self._mark(guild_id, key, DeliveryStatus.SKIPPED, detail=detail)
            return Outcome(guild_id, key, "skipped", detail)
        try:
            digest = await self.compose(config, due_at, key)
        except ServiceUnavailable as error:
            await self._mark(guild_id, key, DeliveryStatus.CLAIMED, detail=str(error))
            log.warning("guild %s: digest waits for the feed: %s", guild_id, error)
            return Outcome(guild_id, key, "failed", str(error))
        if not digest.candidates:
            detail = "nothing new in the feed this week"
            await self._mark(guild_id, key, DeliveryStatus.SKIPPED, detail=detail)
            return Outcome(guild_id, key, "skipped", detail)
        try:
            message_id = await self.sender.send(digest, config.channel_id)
        except (DigestBlocked, DigestFailed) as error:
            await self._mark(guild_id, key, DeliveryStatus.CLAIMED, detail=str(error))
            log.warning("guild %s: digest not posted yet: %s", guild_id, error)
            return Outcome(guild_id, key, "failed", str(error))
        except DigestRejected as error:
            detail = f"Discord refused the message: {error}"
            await self._mark(guild_id, key, DeliveryStatus.SKIPPED, detail=detail)
            return Outcome(guild_id, key, "skipped", detail)
        await self._mark(guild_id, key, DeliveryStatus.SENT, message_id=message_id)
        return Outcome(guild_id, key, "sent", message_id=message_id)

    async def _mark(
        self,
        guild_id: int,
        key: str,
        status: str,
        *,
        message_id: int | None = None,
        detail: str | None = None,
    ) -> None:
        async with self.db.unit() as uow:
            row = await uow.reminders.get(guild_id, key)
            if row is not None:
                sent_at = self.clock.now() if status == DeliveryStatus.SENT else None
                await uow.reminders.mark(
                    row, status, message_id=message_id, sent_at=sent_at, detail=detail
                )
