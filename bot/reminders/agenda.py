"""The agenda: what still needs work, planned from the database in a constant number of queries.

What is due comes from the server settings and the schedule (``plan_guild``, pure); the
reminder ledger says what is done. The agenda keeps, per server, the reminders that still
need work and when to look at each next: at its due time, or for a claim another process
holds, once that claim's lease has run out. A claim left by this instance's own earlier
run (a crash, see :mod:`bot.reminders.owner`) is looked at again at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.reminders.owner import ClaimOwner
from bot.reminders.plan import Due, plan_guild
from storage.db import Database
from storage.models import DeliveryStatus, GuildConfig, ReminderDelivery
from storage.repositories.reminders import OPEN_STATUSES

RETRY = timedelta(seconds=30)  # a reminder a run could not settle is looked at again after this


@dataclass(slots=True)
class Pending:
    """A reminder that still needs work, and when to look at it next."""

    due: Due
    wake_at: datetime
    status: str | None = None  # None (no ledger row yet), claimed or blocked
    claimed_at: datetime | None = None
    channel_id: int | None = None
    obsolete: bool = False  # a claimed/blocked row that is no longer planned
    own_earlier: bool = False  # claimed by this instance before a crash: taken over at once


@dataclass(slots=True)
class Loaded:
    configs: dict[int, GuildConfig]
    agenda: dict[int, list[Pending]]
    planned: int = 0  # reminders planned (due or upcoming), for logs and the benchmark


@dataclass(slots=True)
class Agenda:
    """The per-server list of pending reminders of this process (its shards' servers)."""

    db: Database
    lease: timedelta
    lookback: timedelta
    owns: Callable[[int], bool] | None = None  # None: every server
    owner: ClaimOwner | None = None  # who claims; recognises its own earlier claims
    items: dict[int, list[Pending]] = field(default_factory=dict)
    configs: dict[int, GuildConfig] = field(default_factory=dict)

    def next_wake(self) -> datetime | None:
        """When something is next due (or a claim's lease runs out)."""
        firsts = [items[0].wake_at for items in self.items.values() if items]
        return min(firsts) if firsts else None

    def planned_count(self) -> int:
        return sum(len(items) for items in self.items.values())

    def due_guilds(self, now: datetime) -> list[int]:
        return [g for g, items in self.items.items() if items[0].wake_at <= now]

    async def load(
        self,
        now: datetime,
        guild_ids: Collection[int] | None,
        unsettled_at: datetime | None = None,
    ) -> Loaded:
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
        loaded = Loaded(configs={c.guild_id: c for c in configs}, agenda={})
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
            elif row.status in OPEN_STATUSES:
                items.append(self._from_row(due, row))
        for row in rows:
            if row.status in OPEN_STATUSES and (row.kind, row.session_id, row.due_at) not in idents:
                due = Due(
                    row.guild_id, row.kind, row.due_at, row.session_id, stored_key=row.dedupe_key
                )
                items.append(replace(self._from_row(due, row), obsolete=True))
        items.sort(key=lambda p: p.wake_at)
        return items

    def _from_row(self, due: Due, row: ReminderDelivery) -> Pending:
        claimed_at = row.claimed_at or due.due_at
        own_earlier = (
            row.status == DeliveryStatus.CLAIMED
            and self.owner is not None
            and self.owner.is_earlier_self(row.claimed_by)
        )
        # Another's claim: strictly after its lease (the take-over needs
        # ``claimed_at < now - lease``); this instance's own earlier claim: at once.
        wake_at = due.due_at if own_earlier else claimed_at + self.lease + timedelta(seconds=1)
        return Pending(
            due,
            max(due.due_at, wake_at),
            status=row.status,
            claimed_at=claimed_at,
            channel_id=row.channel_id,
            own_earlier=own_earlier,
        )

    def apply(self, loaded: Loaded, guild_ids: Collection[int] | None) -> None:
        if guild_ids is None:
            self.items = loaded.agenda
            self.configs = loaded.configs
            return
        for guild_id in guild_ids:
            self.items.pop(guild_id, None)
            self.configs.pop(guild_id, None)
        self.items.update(loaded.agenda)
        self.configs.update(loaded.configs)
