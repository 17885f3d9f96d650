"""Snowflake ids and Discord-style timestamps."""

from __future__ import annotations

import time
from datetime import UTC, datetime

DISCORD_EPOCH_MS = 1_420_070_400_000


class SnowflakeFactory:
    """Hands out strictly increasing snowflakes built from the wall clock.

    Ids created later always compare greater, which is what message
    pagination (``before``/``after``/``around``) relies on.
    """

    def __init__(self, worker_id: int = 1) -> None:
        self._worker_id = worker_id & 0x1F
        self._last = 0

    def next(self) -> int:
        millis = int(time.time() * 1000) - DISCORD_EPOCH_MS
        candidate = (millis << 22) | (self._worker_id << 17)
        if candidate <= self._last:
            candidate = self._last + 1
        self._last = candidate
        return candidate

    def next_on_shard(self, shard_id: int, shard_count: int) -> int:
        """The next id that Discord would route to shard ``shard_id`` of ``shard_count``
        (``(id >> 22) % shard_count``): the time part is moved ahead by a few milliseconds."""
        candidate = self.next()
        millis = candidate >> 22
        ahead = (shard_id - millis) % shard_count
        if ahead:
            candidate = ((millis + ahead) << 22) | (self._worker_id << 17)
            self._last = candidate
        return candidate


def snowflake_time(snowflake: int) -> datetime:
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


def iso(moment: datetime) -> str:
    """Format like Discord does: ``2025-02-07T18:00:00.000000+00:00``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def now_iso() -> str:
    return iso(datetime.now(UTC))
