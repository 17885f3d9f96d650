"""Which servers a process is responsible for when the bot runs as several shards.

Discord routes a server's events to shard ``(guild_id >> 22) % shard_count``. A process that
runs a subset of the shards plans and posts reminders, pinned schedules and scheduled-event
updates only for the servers of its shards; everything else (commands, buttons) reaches it
through Discord's own routing. Two processes that overlap for a while (a re-shard, a rolling
restart) both think they own a server: the reminder ledger keeps every post exactly once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord routes ``guild_id`` to."""
    return (guild_id >> 22) % shard_count


@dataclass(frozen=True, slots=True)
class ShardSet:
    """The shards of one process; ``count`` None means one unsharded process owns everything."""

    count: int | None = None
    ids: frozenset[int] | None = None  # None: every shard of ``count``

    @classmethod
    def of(cls, count: int | None, ids: Iterable[int] | None = None) -> ShardSet:
        return cls(count, frozenset(ids) if ids is not None else None)

    @property
    def everything(self) -> bool:
        return self.count is None or self.count == 1 or self.ids is None

    def owns(self, guild_id: int) -> bool:
        """True when this process serves ``guild_id``."""
        if self.everything:
            return True
        assert self.count is not None and self.ids is not None
        return shard_of(guild_id, self.count) in self.ids

    def __call__(self, guild_id: int) -> bool:
        return self.owns(guild_id)

    @property
    def holds_first_shard(self) -> bool:
        """The process holding shard 0 (or the only process) syncs the command tree."""
        return self.everything or 0 in (self.ids or ())

    def describe(self) -> str:
        if self.count is None:
            return "unsharded"
        ids = sorted(self.ids) if self.ids is not None else list(range(self.count))
        return f"shards {', '.join(map(str, ids))} of {self.count}"


EVERYTHING = ShardSet()
