"""An in-memory snapshot of a server's schedule for the read commands.

``/session list``, ``/session next`` and ``/session show`` run far more often than the
schedule changes, and a server may hold years of sessions. A snapshot is loaded with two
queries, answers pages by bisecting the sorted start times, and is dropped whenever this
process changes the server's schedule. Changes made by another process (a second bot, the
``import`` command) show after at most ``max_age`` seconds. Writes and reminders never read
from it: they always go to the database.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.schedule.readmodels import Page, SessionInfo
from storage.models import SessionStatus

# The longest session accepted: anything that started earlier than this has ended.
LONGEST_SESSION = timedelta(hours=12)


@dataclass
class Snapshot:
    """One server's sessions, scheduled ones sorted by start time."""

    scheduled: list[SessionInfo]
    starts: list[datetime]
    by_id: dict[int, SessionInfo]
    loaded_at: float = field(default_factory=time.monotonic)

    @classmethod
    def of(cls, views: list[SessionInfo]) -> Snapshot:
        scheduled = sorted(
            (v for v in views if v.session.status == SessionStatus.SCHEDULED),
            key=lambda v: (v.starts_at, v.id),
        )
        return cls(scheduled, [v.starts_at for v in scheduled], {v.id: v for v in views})

    def _upcoming_start(self, now: datetime) -> int:
        return bisect.bisect_right(self.starts, now - LONGEST_SESSION)

    def upcoming(self, now: datetime, offset: int, limit: int) -> tuple[list[SessionInfo], int]:
        """Sessions not yet ended (the running one first), and how many there are."""
        first = self._upcoming_start(now)
        started = bisect.bisect_right(self.starts, now)
        running = [v for v in self.scheduled[first:started] if v.ends_at > now]
        total = len(running) + len(self.scheduled) - started
        items = running[offset : offset + limit]
        rest = limit - len(items)
        if rest > 0:
            begin = started + max(0, offset - len(running))
            items += self.scheduled[begin : begin + rest]
        return items, total

    def running(self, now: datetime) -> list[SessionInfo]:
        first = self._upcoming_start(now)
        started = bisect.bisect_right(self.starts, now)
        return [v for v in self.scheduled[first:started] if v.ends_at > now]

    def past(self, now: datetime, offset: int, limit: int) -> tuple[list[SessionInfo], int]:
        """Sessions that have started, most recent first."""
        started = bisect.bisect_right(self.starts, now)
        end = started - offset
        items = self.scheduled[max(0, end - limit) : max(0, end)][::-1]
        return items, started

    def everything(self, offset: int, limit: int) -> tuple[list[SessionInfo], int]:
        return self.scheduled[offset : offset + limit], len(self.scheduled)

    def block(self, name: str) -> list[SessionInfo]:
        key = block_name_key(name)
        parts = [
            v
            for v in self.scheduled
            if v.session.block_name and v.session.block_name.lower() == key
        ]
        return sorted(parts, key=lambda v: (v.session.block_part or 0, v.starts_at))

    def last_started(self, now: datetime) -> SessionInfo | None:
        started = bisect.bisect_right(self.starts, now)
        return self.scheduled[started - 1] if started else None


def block_name_key(name: str) -> str:
    """What makes two spellings of a block name the same block ("RLHF Block." = "rlhf block")."""
    return name.strip().rstrip(".").strip().lower()


def page_of(items: list[SessionInfo], number: int, per_page: int, total: int) -> Page:
    pages = max(1, -(-total // per_page))
    return Page(items, min(number, pages - 1), pages, total)


class SnapshotCache:
    """Per-server snapshots with a maximum age; one load at a time per server."""

    def __init__(self, loader: Callable[[int], Awaitable[Snapshot]], max_age: float = 30.0):
        self._loader = loader
        self._max_age = max_age
        self._snapshots: dict[int, Snapshot] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        # Bumped by every invalidation: a load that started before it is not kept.
        self._generation: dict[int, int] = {}

    def fresh(self, guild_id: int) -> Snapshot | None:
        snapshot = self._snapshots.get(guild_id)
        if snapshot is None or time.monotonic() - snapshot.loaded_at > self._max_age:
            return None
        return snapshot

    async def get(self, guild_id: int) -> Snapshot:
        snapshot = self.fresh(guild_id)
        if snapshot is not None:
            return snapshot
        lock = self._locks.setdefault(guild_id, asyncio.Lock())
        async with lock:
            snapshot = self.fresh(guild_id)
            if snapshot is None:
                generation = self._generation.get(guild_id, 0)
                snapshot = await self._loader(guild_id)
                if self._generation.get(guild_id, 0) == generation:
                    self._snapshots[guild_id] = snapshot
            return snapshot

    def invalidate(self, guild_id: int) -> None:
        self._generation[guild_id] = self._generation.get(guild_id, 0) + 1
        self._snapshots.pop(guild_id, None)
