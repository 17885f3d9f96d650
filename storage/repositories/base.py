"""Shared base of the repositories."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any, cast

from sqlalchemy import CursorResult, Result, Table, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlmodel import SQLModel


def escape_like(text: str) -> str:
    """``text`` matched literally inside a LIKE pattern (with ``escape="\\"``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Repository:
    """A repository works inside the transaction of the unit of work that made it.

    Every method that reads or writes server data takes the ``guild_id`` and filters by it:
    one server never sees another's rows.
    """

    def __init__(self, tx: AsyncSession) -> None:
        self.tx = tx


def table_of(model: type[SQLModel]) -> Table:
    """The table of a table model (SQLModel sets ``__table__`` when the class is made)."""
    table: Table = model.__table__  # type: ignore[attr-defined]  # set on table models only
    return table


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE touched (its result is a cursor result)."""
    return cast("CursorResult[Any]", result).rowcount


def dialect_insert(tx: AsyncSession, table: Any) -> Any:
    """``INSERT`` with ``ON CONFLICT`` support for the transaction's backend."""
    # Each dialect's module is loaded by the first insert on it (PostgreSQL's is ~2 MB).
    if tx.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


async def bulk_insert(tx: AsyncSession, table: Any, rows: Iterable[dict[str, Any]]) -> int:
    """Insert many rows with one executemany; every row has the same keys. Returns the count.

    See :func:`insert_rows`; this runs inside the transaction ``tx``.
    """
    return await insert_rows(await tx.connection(), table, rows)


# Placeholders of the drivers' parameter styles the fast path speaks.
_PLACEHOLDERS: dict[str, Callable[[int], str]] = {
    "qmark": lambda _i: "?",  # aiosqlite
    "numeric_dollar": lambda i: f"${i}",  # asyncpg
    "format": lambda _i: "%s",
}

# A bulk write at least this large refreshes the table's planner statistics on PostgreSQL:
# right after a bulk import it has none and picks plans that reread whole tables.
ANALYZE_AFTER_ROWS = 1000


async def insert_rows(
    conn: AsyncConnection, table: Any, rows: Iterable[dict[str, Any]], *, analyze: bool = True
) -> int:
    """The one bulk-write path of both databases: pre-converted rows, one executemany.

    The rows go to the driver directly (SQLite's executemany, asyncpg's pipelined
    executemany), converted by the columns' own bind processors: what SQLAlchemy would do,
    minus its per-row bookkeeping, which dominates an import of thousands of rows. Values
    repeated across rows, such as one ``created_at``, are converted once. ``rows`` may be a
    generator: each row is converted as it comes. On PostgreSQL a large write is followed
    by ``ANALYZE`` of the table (inside the same transaction, which sees its own rows)
    unless ``analyze`` is False (a caller writing many chunks analyses once at the end).
    """
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return 0
    dialect = conn.dialect
    placeholder = _PLACEHOLDERS.get(dialect.paramstyle)
    if placeholder is None:  # pragma: no cover - a driver neither SQLite nor asyncpg
        batch = [first, *iterator]
        await conn.execute(insert(table), batch)
        return len(batch)
    names = list(first)
    converters = []
    for name in names:
        processor = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        converters.append(_memoised(processor) if processor is not None else None)
    quote = dialect.identifier_preparer.quote
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
        f"VALUES ({', '.join(placeholder(i) for i in range(1, len(names) + 1))})"
    )
    pairs = list(zip(names, converters, strict=True))
    params = [
        tuple([row[name] if convert is None else convert(row[name]) for name, convert in pairs])
        for row in itertools.chain((first,), iterator)
    ]
    await conn.exec_driver_sql(sql, params)
    if analyze and dialect.name == "postgresql" and len(params) >= ANALYZE_AFTER_ROWS:
        await conn.exec_driver_sql(f"ANALYZE {quote(table.name)}")
    return len(params)


def _memoised(processor: Callable[[Any], Any]) -> Callable[[Any], Any]:
    cache: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        if value is None:
            return processor(value)
        if type(value) is list or type(value) is dict:  # JSON, unhashable
            return processor(value) if value else empty(value)
        try:
            return cache[value]
        except KeyError:
            result = cache[value] = processor(value)
            return result
        except TypeError:  # unhashable: JSON lists and dicts; empty ones are common
            return processor(value) if value else empty(value)

    def empty(value: Any) -> Any:
        key = ("empty", type(value))
        if key not in cache:
            cache[key] = processor(value)
        return cache[key]

    return convert
