"""The Bot subclass: start-up, extensions, command sync and shutdown.

Start-up is one readable path (``setup_hook``): open the database, migrate, build the
services, load every extension in ``cogs/``, start the scheduler, and sync the command tree
only when it changed since the last sync.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import pkgutil
from typing import Any

import discord
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord.ext import commands

import cogs
from bot.clock import Clock, SystemClock
from bot.container import Services
from bot.events import Connection
from bot.settings import Settings
from bot.ui.errors import ReportingTree
from bot.ui.paging import PageButton, PageSources
from bot.ui.reactions import Reactions
from storage.db import Database

log = logging.getLogger(__name__)

COMMAND_HASH_KEY = "command_tree_hash"


def discover_extensions() -> list[str]:
    """Every module of the ``cogs`` package that defines ``setup`` (helpers start with _)."""
    names = []
    for info in pkgutil.iter_modules(cogs.__path__, prefix=f"{cogs.__name__}."):
        if info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        module = importlib.import_module(info.name)
        if callable(getattr(module, "setup", None)):
            names.append(info.name)
    return sorted(names)


def default_intents(*, message_content: bool = False) -> discord.Intents:
    """Only what the bot needs: servers, their channels and roles. No privileged intent
    unless the operator opted in to Message Content (only importing a thread's history
    needs it; the "Log as discussion comment" menu does not)."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.message_content = message_content
    return intents


class ReadingGroupBot(commands.Bot):
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        database: Database | None = None,
        sync_commands: bool = True,
        service_overrides: dict[str, Any] | None = None,
        **options: Any,
    ) -> None:
        options.setdefault(
            "intents", default_intents(message_content=settings.message_content_intent)
        )
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            tree_cls=ReportingTree,
            **options,
        )
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self._database = database
        self._owns_database = database is None
        self._sync_on_start = sync_commands
        # The lists the ◀ / ▶ buttons page through; cogs add theirs when they load.
        self.page_sources = PageSources()
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self._services: Services | None = None
        self._subscriptions: Connection | None = None
        self.reactions: Reactions
        self._service_overrides = dict(service_overrides or {})

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("services are available once setup_hook has run")
        return self._services

    # ----------------------------------------------------------------------------------
    # Start-up and shutdown

    async def setup_hook(self) -> None:
        if self._database is None:
            # The command line hands in a database it opened and migrated; else open it here.
            self._database = await Database.open(self.settings.database_url)
            await self._database.migrate()
        self._services = Services(
            settings=self.settings,
            db=self._database,
            clock=self.clock,
            overrides=self._service_overrides,
        )
        # Page buttons of every list ever posted dispatch here, also after a restart.
        self.add_dynamic_items(PageButton)
        self.reactions = Reactions.of(self)
        for name in discover_extensions():
            await self.load_extension(name)
        log.info("loaded %d extensions", len(self.extensions))
        # Every follower of the event bus, connected here and nowhere else.
        self._subscriptions = self.services.events.connect(
            *self.services.subscribers(), *self.reactions.subscribers()
        )
        self.scheduler.start()
        if self._sync_on_start:
            await self.sync_commands_if_changed()

    async def close(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self._subscriptions is not None:
            self._subscriptions.close()
            self._subscriptions = None
        await super().close()
        if self._services is not None:
            await self._services.aclose()
        if self._owns_database and self._database is not None:
            await self._database.close()
            self._database = None

    async def on_ready(self) -> None:
        # Runs again after every reconnect: keep it to logging, never to posting.
        log.info("ready as %s in %d servers", self.user, len(self.guilds))

    # ----------------------------------------------------------------------------------
    # Command sync: explicit, or when the tree changed (Discord rate-limits syncing)

    def _sync_target(self) -> discord.Object | None:
        dev = self.settings.dev_guild_id
        return discord.Object(id=dev) if dev else None

    def command_tree_hash(self) -> str:
        guild = self._sync_target()
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        payload = [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]
        payload.sort(key=lambda c: (c.get("type", 1), c["name"]))
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        return f"{guild.id if guild else 'global'}:{digest}"

    async def sync_commands(self) -> int:
        guild = self._sync_target()
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        synced = await self.tree.sync(guild=guild)
        async with self.services.db.unit() as uow:
            await uow.state.set(COMMAND_HASH_KEY, self.command_tree_hash())
        log.info(
            "synced %d commands %s", len(synced), f"to guild {guild.id}" if guild else "globally"
        )
        return len(synced)

    async def sync_commands_if_changed(self) -> bool:
        current = self.command_tree_hash()
        async with self.services.db.unit() as uow:
            stored = await uow.state.get(COMMAND_HASH_KEY)
        if stored == current:
            log.info("command tree unchanged since the last sync; not syncing")
            return False
        await self.sync_commands()
        return True
