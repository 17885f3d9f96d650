"""``copy-db``: every server's data from the current database to a new one, verified.

The target (typically an empty PostgreSQL database) is migrated to the same schema
revision, refused unless every table is empty, and written in one transaction: rows are
copied table by table in foreign-key order with their ids (self-references are set once
every row of the table exists), PostgreSQL's id sequences are moved past the copied ids and
its planner statistics refreshed. Before the transaction commits the copy is verified: the
row count of every table, and each server's markdown export, byte for byte, against the
source. Any difference rolls everything back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import SQLModel, col

from bot.clock import Clock
from bot.events import EventBus
from bot.markdown.service import MarkdownService
from storage.db import Database, bound_to, describe_url
from storage.models import GuildConfig
from storage.repositories.base import insert_rows

CHUNK = 5000  # rows read from the source and written to the target at a time


class CopyRefused(Exception):
    """The copy cannot start or did not verify; one line, nothing was written."""


class _Frozen(Clock):
    """Both exports of the verification see the same "now" (exports never depend on it,
    but the comparison must not hinge on that)."""

    def __init__(self) -> None:
        self._now = datetime.now(UTC)

    def now(self) -> datetime:
        return self._now


@dataclass
class CopyReport:
    source: str
    target: str
    rows: dict[str, int] = field(default_factory=dict)
    exports: dict[int, str] = field(default_factory=dict)  # guild id → sha256 of its export

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def tables() -> list[Any]:
    """Every table of the schema, parents before children."""
    return list(SQLModel.metadata.sorted_tables)


def _self_references(table: Any) -> list[str]:
    return [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]


async def _counts(conn: AsyncConnection) -> dict[str, int]:
    counts = {}
    for table in tables():
        counts[table.name] = int(await conn.scalar(select(func.count()).select_from(table)) or 0)
    return counts


async def _copy_table(source: AsyncConnection, target: AsyncConnection, table: Any) -> int:
    later = _self_references(table)
    fixes: dict[str, list[dict[str, Any]]] = {name: [] for name in later}
    copied = 0
    key = list(table.primary_key.columns)
    result = await source.stream(select(table).order_by(*key))
    async for chunk in result.mappings().partitions(CHUNK):
        rows = [dict(row) for row in chunk]
        for row in rows:
            for name in later:
                if row[name] is not None:
                    fixes[name].append({"_id": row["id"], "_value": row[name]})
                    row[name] = None
        copied += await insert_rows(target, table, rows, analyze=False)
    for name, values in fixes.items():
        if values:
            statement = (
                update(table)
                .where(table.c.id == bindparam("_id"))
                .values({name: bindparam("_value")})
            )
            await target.execute(statement, values)
    return copied


async def _after_copy_postgresql(conn: AsyncConnection) -> None:
    quote = conn.dialect.identifier_preparer.quote
    for table in tables():
        columns = list(table.primary_key.columns)
        if len(columns) == 1 and columns[0].autoincrement in (True, "auto"):
            column = columns[0]
            if column.type.python_type is int and column.name == "id":
                name = quote(table.name)
                await conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"
                )
        await conn.exec_driver_sql(f"ANALYZE {quote(table.name)}")


async def _exports(db: Database, guild_ids: list[int], default_timezone: str) -> dict[int, bytes]:
    service = MarkdownService(db, EventBus(), _Frozen(), default_timezone=default_timezone)
    return {guild_id: (await service.export(guild_id)).data for guild_id in guild_ids}


async def copy_database(
    source: Database,
    target: Database,
    *,
    default_timezone: str = "UTC",
    progress: Callable[[str], None] | None = None,
) -> CopyReport:
    """Copy, verify, commit; raises :class:`CopyRefused` (nothing written) otherwise."""
    say = progress or (lambda _text: None)
    report = CopyReport(describe_url(source.url), describe_url(target.url))
    if describe_url(source.url) == describe_url(target.url):
        raise CopyRefused("the target is the current database: give another DATABASE URL")
    await target.migrate()
    source_revision = await source.current_revision()
    target_revision = await target.current_revision()
    if source_revision != target_revision:
        raise CopyRefused(
            f"the databases are at different schema revisions ({source_revision} and "
            f"{target_revision}): run `python -m bot migrate` on the older one"
        )
    async with source.engine.connect() as reader:
        # One read transaction over the source: every table from the same moment.
        await reader.begin()
        expected = await _counts(reader)
        guild_ids = sorted((await reader.execute(select(col(GuildConfig.guild_id)))).scalars())
        async with target.engine.connect() as writer:
            transaction = await writer.begin()
            try:
                found = {name: n for name, n in (await _counts(writer)).items() if n}
                if found:
                    name, count = next(iter(found.items()))
                    raise CopyRefused(
                        f"the target database is not empty ({name} has {count} rows): copy "
                        "into a new, empty database"
                    )
                for table in tables():
                    report.rows[table.name] = await _copy_table(reader, writer, table)
                    say(f"copied {report.rows[table.name]:>8} rows of {table.name}")
                if writer.dialect.name == "postgresql":
                    await _after_copy_postgresql(writer)
                await _verify(
                    reader, writer, source, target, expected, guild_ids, report, default_timezone
                )
            except BaseException:
                await transaction.rollback()
                raise
            await transaction.commit()
    say(f"verified {len(report.exports)} servers' exports and {len(report.rows)} tables' rows")
    return report


async def _verify(
    reader: AsyncConnection,
    writer: AsyncConnection,
    source: Database,
    target: Database,
    expected: dict[str, int],
    guild_ids: list[int],
    report: CopyReport,
    default_timezone: str,
) -> None:
    copied = await _counts(writer)
    for name, count in expected.items():
        if copied.get(name) != count or report.rows.get(name) != count:
            raise CopyRefused(
                f"verification failed: {name} has {count} rows in the source and "
                f"{copied.get(name)} in the copy; nothing was written"
            )
    async with bound_to(source, reader) as before_db, bound_to(target, writer) as after_db:
        before = await _exports(before_db, guild_ids, default_timezone)
        after = await _exports(after_db, guild_ids, default_timezone)
    for guild_id in guild_ids:
        if before[guild_id] != after[guild_id]:
            raise CopyRefused(
                f"verification failed: the markdown export of server {guild_id} differs "
                "after the copy; nothing was written"
            )
        report.exports[guild_id] = hashlib.sha256(after[guild_id]).hexdigest()
