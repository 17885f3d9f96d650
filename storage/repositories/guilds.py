"""Per-server settings, one-time notices and process-wide state."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import delete, select
from sqlmodel import col

from storage.models import BotState, GuildConfig, GuildNotice
from storage.repositories.base import Repository, dialect_insert, rowcount, table_of
from storage.types import utcnow


class GuildConfigRepository(Repository):
    async def get(self, guild_id: int) -> GuildConfig | None:
        return await self.tx.get(GuildConfig, guild_id)

    async def get_or_create(self, guild_id: int, *, default_timezone: str = "UTC") -> GuildConfig:
        config = await self.get(guild_id)
        if config is not None:
            return config
        # Two first commands of a new server at once: the second insert is a no-op, and
        # both read the one row (a plain INSERT would fail the second on the primary key).
        values = {"guild_id": guild_id, "timezone": default_timezone}
        stmt = dialect_insert(self.tx, table_of(GuildConfig)).values(values)
        await self.tx.execute(stmt.on_conflict_do_nothing())
        created = await self.tx.get(GuildConfig, guild_id, populate_existing=True)
        assert created is not None, "the row was just inserted or found"
        return created

    async def update(
        self, guild_id: int, *, default_timezone: str = "UTC", **changes: Any
    ) -> GuildConfig:
        config = await self.get_or_create(guild_id, default_timezone=default_timezone)
        for name, value in changes.items():
            if not hasattr(config, name) or name in ("guild_id", "created_at"):
                raise AttributeError(f"GuildConfig has no setting {name!r}")
            setattr(config, name, value)
        config.updated_at = utcnow()
        await self.tx.flush()
        return config

    async def all(self) -> list[GuildConfig]:
        return list((await self.tx.scalars(select(GuildConfig))).all())

    async def get_many(self, guild_ids: Collection[int]) -> list[GuildConfig]:
        if not guild_ids:
            return []
        rows = await self.tx.scalars(
            select(GuildConfig).where(col(GuildConfig.guild_id).in_(list(guild_ids)))
        )
        return list(rows.all())


class NoticeRepository(Repository):
    """Remembers which notices a server's organizers were already given."""

    async def first_time(self, guild_id: int, key: str) -> bool:
        """Record the notice; True only the first time for this server and key."""
        values = {"guild_id": guild_id, "key": key, "created_at": utcnow()}
        stmt = dialect_insert(self.tx, table_of(GuildNotice)).values(values)
        result = await self.tx.execute(stmt.on_conflict_do_nothing())
        return bool(rowcount(result))

    async def exists(self, guild_id: int, key: str) -> bool:
        return await self.tx.get(GuildNotice, (guild_id, key)) is not None

    async def clear(self, guild_id: int, key: str) -> None:
        await self.tx.execute(
            delete(GuildNotice).where(
                col(GuildNotice.guild_id) == guild_id, col(GuildNotice.key) == key
            )
        )


class BotStateRepository(Repository):
    async def get(self, key: str) -> str | None:
        row = await self.tx.get(BotState, key)
        return None if row is None else row.value

    async def set(self, key: str, value: str) -> None:
        row = await self.tx.get(BotState, key)
        if row is None:
            self.tx.add(BotState(key=key, value=value))
        else:
            row.value = value
            row.updated_at = utcnow()
        await self.tx.flush()
