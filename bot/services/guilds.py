"""Per-server settings and the organizer rule."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.clock import Clock
from bot.errors import PermissionDenied
from bot.events import EventBus, GuildSettingsChanged
from storage.db import Database
from storage.models import GuildConfig


class GuildSettingsService:
    def __init__(self, db: Database, events: EventBus, clock: Clock, default_timezone: str):
        self.db = db
        self.events = events
        self.clock = clock
        self.default_timezone = default_timezone

    async def get(self, guild_id: int) -> GuildConfig:
        async with self.db.unit() as uow:
            return await uow.guilds.get_or_create(guild_id, default_timezone=self.default_timezone)

    async def update(self, guild_id: int, **changes: Any) -> GuildConfig:
        async with self.db.unit() as uow:
            config = await uow.guilds.update(
                guild_id, default_timezone=self.default_timezone, **changes
            )
        await self.events.publish(GuildSettingsChanged(guild_id, frozenset(changes)))
        return config

    async def first_notice(self, guild_id: int, key: str) -> bool:
        """True the first time a notice ``key`` is due for a server (tell organizers once)."""
        async with self.db.unit() as uow:
            return await uow.notices.first_time(guild_id, key)

    async def clear_notice(self, guild_id: int, key: str) -> None:
        async with self.db.unit() as uow:
            await uow.notices.clear(guild_id, key)


def is_organizer(config: GuildConfig, role_ids: Iterable[int], *, manages_server: bool) -> bool:
    """Organizers hold the configured organizer role, or may manage the server."""
    if manages_server:
        return True
    return config.organizer_role_id is not None and config.organizer_role_id in set(role_ids)


def require_organizer(
    config: GuildConfig, role_ids: Iterable[int], *, manages_server: bool
) -> None:
    if not is_organizer(config, role_ids, manages_server=manages_server):
        role = (
            f"the <@&{config.organizer_role_id}> role"
            if config.organizer_role_id
            else "the Manage Server permission (no organizer role is set yet: see /setup)"
        )
        raise PermissionDenied(f"Only organizers can do this: it needs {role}.")
