"""Per-server numbers: what members see and type (session #1, proposal #3, comment #12).

Rows keep their global primary keys for the internals (foreign keys, persistent button ids,
calendar UIDs, the reminder ledger); the ``number`` column counts within one server and is
unique per ``(guild_id, number)``. A new row takes the server's highest number plus one,
read and written inside one transaction that first takes the server's numbering lock, so
two inserts at the same time never read the same highest number:

- PostgreSQL: a transaction-scoped advisory lock per (table, server);
- SQLite: the database's write lock, taken by a write that changes nothing (SQLite has one
  writer at a time, and a transaction that holds the write lock reads the latest data).
"""

from __future__ import annotations

import zlib
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession


def _lock_key(table_name: str, guild_id: int) -> int:
    """A signed 64-bit advisory-lock key for one table and server (collisions only make
    two servers wait for each other, never share a number)."""
    key = (zlib.crc32(table_name.encode()) << 32) ^ (guild_id & 0xFFFFFFFF) ^ (guild_id >> 32)
    key &= 0xFFFFFFFFFFFFFFFF
    return key - (1 << 64) if key >= 1 << 63 else key


async def lock_numbers(tx: AsyncSession, table: Any, guild_id: int) -> None:
    """Hold the numbering lock of ``table`` in ``guild_id`` until ``tx`` ends."""
    dialect = tx.get_bind().dialect.name
    if dialect == "postgresql":
        await tx.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(table.name, guild_id)}
        )
    else:
        quote = tx.get_bind().dialect.identifier_preparer.quote
        # Begins the write transaction (and waits for another writer to finish) at once.
        await tx.execute(text(f"UPDATE {quote(table.name)} SET number = number WHERE 1 = 0"))


async def next_numbers(tx: AsyncSession, table: Any, guild_id: int) -> int:
    """The first free number of ``guild_id`` in ``table``, with the numbering lock held:
    the caller inserts its rows numbered from it within the same transaction."""
    await lock_numbers(tx, table, guild_id)
    highest = await tx.scalar(select(func.max(table.c.number)).where(table.c.guild_id == guild_id))
    return int(highest or 0) + 1
