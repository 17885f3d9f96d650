"""Per-server settings and the organizer rule."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from bot.clock import Clock
from bot.errors import PermissionDenied
from bot.events import EventBus, GuildSettingsChanged
from storage.db import Database
from storage.models import GuildConfig

GROUP_NAME_LIMIT = 200  # guild_settings.group_name
EVENT_LOCATION_LIMIT = 100  # guild_settings.event_location (a Discord event's location)


class GuildSettingsService:
    """Reads are served from memory for ``cache_seconds`` (every command needs the settings);
    changes made through :meth:`update` are seen at once, changes by another process after
    at most ``cache_seconds``."""

    def __init__(
        self,
        db: Database,
        events: EventBus,
        clock: Clock,
        default_timezone: str,
        cache_seconds: float = 30.0,
    ) -> None:
        self.db = db
        self.events = events
        self.clock = clock
        self.default_timezone = default_timezone
        self.cache_seconds = cache_seconds
        self._cache: dict[int, tuple[float, GuildConfig]] = {}

    async def get(self, guild_id: int) -> GuildConfig:
        cached = self._cache.get(guild_id)
        if cached is not None and time.monotonic() - cached[0] <= self.cache_seconds:
            return cached[1]
        async with self.db.unit() as uow:
            config = await uow.guilds.get_or_create(
                guild_id, default_timezone=self.default_timezone
            )
        self._cache[guild_id] = (time.monotonic(), config)
        return config

    async def fresh(self, guild_id: int) -> GuildConfig:
        """The settings as stored right now (for decisions that must not act on stale data)."""
        self._cache.pop(guild_id, None)
        return await self.get(guild_id)

    async def update(self, guild_id: int, **changes: Any) -> GuildConfig:
        self._cache.pop(guild_id, None)
        async with self.db.unit() as uow:
            config = await uow.guilds.update(
                guild_id, default_timezone=self.default_timezone, **changes
            )
        self._cache[guild_id] = (time.monotonic(), config)
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
