"""The services of one running bot, built once and shared by every cog.

Nothing here imports discord: the same container serves the CLI (export, import,
calendar) on the embedded database without logging in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from bot.clock import Clock, SystemClock
from bot.events import EventBus
from bot.services.guilds import GuildSettingsService
from bot.settings import Settings
from storage.db import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    events: EventBus = field(default_factory=EventBus)

    @cached_property
    def guilds(self) -> GuildSettingsService:
        return GuildSettingsService(
            self.db, self.events, self.clock, self.settings.default_timezone
        )
