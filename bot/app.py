"""The Bot subclass: start-up, extensions, command sync and shutdown.

Start-up is one readable path (``setup_hook``): open the database, migrate, build the
services, load every extension in ``cogs/``, start the scheduler, and sync the command tree
only when it changed since the last sync (and, when several processes share the token as
shards, only from the one holding shard 0). :func:`build_bot` picks the sharded variant
when SHARD_COUNT is set.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import pkgutil
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord.ext import commands

import cogs
from bot.clock import Clock, SystemClock
from bot.container import Services
from bot.events import Connection
from bot.ops.stopping import STOP_GRACE, DrainingExecutor
from bot.settings import Settings
from bot.ui.cog import FeatureCog
from bot.ui.errors import ReportingTree
from bot.ui.paging import PageButton, PageSources
from bot.ui.reactions import Reactions
from storage.db import Database

if TYPE_CHECKING:  # prometheus_client loads only when metrics are kept (HEALTH_PORT)
    from bot.ops.health import HealthServer
    from bot.ops.metrics import BotMetrics

log = logging.getLogger(__name__)

COMMAND_HASH_KEY = "command_tree_hash"
HEALTH_LINE_JOB = "health-line"
HEALTH_LINE_MINUTES = 10


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


def point_discord_at(settings: Settings) -> None:
    """Send REST calls to DISCORD_API_BASE (e.g. a nirn-proxy that shares rate-limit
    buckets between processes) and open the gateway at DISCORD_GATEWAY_URL (a gateway
    proxy); unset, discord.py's own Discord addresses stay. Process-wide, as discord.py
    keeps them."""
    if settings.discord_api_base:
        discord.http.Route.BASE = settings.discord_api_base
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def _response_tracer(metrics: BotMetrics) -> aiohttp.TraceConfig:
    """Counts every answer of Discord's REST API (429s included) for ``/metrics``."""
    trace = aiohttp.TraceConfig()

    async def on_end(_session: Any, _ctx: Any, params: aiohttp.TraceRequestEndParams) -> None:
        metrics.discord_answered(params.response.status)

    trace.on_request_end.append(on_end)
    return trace


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
        # Metrics are kept when they are served (HEALTH_PORT) or asked for by the caller.
        self.metrics: BotMetrics | None = options.pop("metrics", None)
        if self.metrics is None and settings.health_port:
            from bot.ops.metrics import BotMetrics

            self.metrics = BotMetrics()
        if self.metrics is not None:
            options.setdefault("http_trace", _response_tracer(self.metrics))
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
        self._jobs = DrainingExecutor()
        self.scheduler = AsyncIOScheduler(timezone="UTC", executors={"default": self._jobs})
        self.stop_grace = STOP_GRACE
        self._stopping = False
        self._services: Services | None = None
        self._subscriptions: Connection | None = None
        self.reactions: Reactions
        self._service_overrides = dict(service_overrides or {})
        self._health: HealthServer | None = None
        if self.metrics is not None:
            self._count_commands(self.metrics)

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
            self._database = await Database.open(
                self.settings.database_url, **self.settings.pool_options()
            )
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
        self.scheduler.add_job(
            self.log_health,
            "interval",
            minutes=HEALTH_LINE_MINUTES,
            id=HEALTH_LINE_JOB,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )
        shards = self._services.shards
        if not shards.everything:
            log.info("serving %s", shards.describe())
        if self.metrics is not None:
            self.metrics.follow_gateway(self.gateway_connected)
            if "reminders" in self._services.__dict__:
                self.metrics.follow_pending(self._services.reminders.planned_count)
        if self.settings.health_port:
            await self._start_health(self.settings.health_port)
        if self._sync_on_start:
            if shards.holds_first_shard:
                await self.sync_commands_if_changed()
            else:
                log.info("commands are synced by the process holding shard 0")

    async def log_health(self) -> str | None:
        """The INFO line every ten minutes: servers, gateway latency, pending reminders."""
        from bot.ops.heartbeat import log_heartbeat

        services = self.services
        planned = services.reminders.planned_count() if "reminders" in services.__dict__ else None
        try:
            return await log_heartbeat(
                services.db, servers=len(self.guilds), latency=self.latency, planned=planned
            )
        except Exception as exc:  # the line itself must never take the bot down
            log.warning("health: not measured (%s)", exc.__class__.__name__)
            return None

    def gateway_connected(self) -> bool:
        """Every shard of this process has a live gateway connection."""
        if self.is_closed() or not self.is_ready():
            return False
        shards = getattr(self, "shards", None)
        if isinstance(shards, dict):
            return bool(shards) and not any(info.is_closed() for info in shards.values())
        ws: Any = self.ws  # None until the first connection
        return ws is not None and bool(ws.open)

    async def _database_answers(self) -> bool:
        db = self._database
        if db is None:
            return False
        async with db.engine.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")
        return True

    async def _start_health(self, port: int) -> None:
        from bot.ops.health import HealthServer

        assert self.metrics is not None
        self._health = HealthServer(
            self.metrics,
            gateway_ok=self.gateway_connected,
            database_ok=self._database_answers,
            port=port,
        )
        try:
            await self._health.start()
        except OSError as exc:
            self._health = None
            log.error("HEALTH_PORT %d cannot be opened (%s); running without it", port, exc)

    def _count_commands(self, metrics: BotMetrics) -> None:
        """Feed the command counters and latency: start on arrival, stop at the handler's
        end (success) or in the tree's one error path."""

        async def on_interaction(interaction: discord.Interaction) -> None:
            if interaction.type is discord.InteractionType.application_command:
                metrics.command_started(interaction.id)

        async def on_app_command_completion(interaction: discord.Interaction, command: Any) -> None:
            metrics.command_finished(interaction.id, command.qualified_name, "ok")

        self.add_listener(on_interaction, "on_interaction")
        self.add_listener(on_app_command_completion, "on_app_command_completion")
        report = self.tree.on_error

        async def on_error(
            interaction: discord.Interaction[Any], error: discord.app_commands.AppCommandError
        ) -> None:
            command = interaction.command.qualified_name if interaction.command else "unknown"
            metrics.command_finished(interaction.id, command, "error")
            await report(interaction, error)

        # discord.py documents replacing CommandTree.on_error as the way to handle errors
        self.tree.on_error = on_error  # type: ignore[method-assign]

    async def _finish_work(self) -> None:
        """Start nothing new and let running jobs end (see :mod:`bot.ops.stopping`)."""
        self._stopping = True
        if self.scheduler.running:
            self.scheduler.pause()
        for cog in list(self.cogs.values()):
            if isinstance(cog, FeatureCog):
                cog.stop_work()
        await self._jobs.drain(self.stop_grace)

    async def close(self) -> None:
        if self._health is not None:
            await self._health.close()
            self._health = None
        if not self._stopping:
            await self._finish_work()
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


class ShardedReadingGroupBot(ReadingGroupBot, commands.AutoShardedBot):
    """The same bot over several gateway shards (SHARD_COUNT, SHARD_IDS): discord.py's
    ``AutoShardedBot`` runs one connection per shard of this process."""


def build_bot(settings: Settings, **options: Any) -> ReadingGroupBot:
    """The bot the settings ask for: sharded when SHARD_COUNT is set."""
    if settings.shard_count is None:
        return ReadingGroupBot(settings, **options)
    options.setdefault("shard_count", settings.shard_count)
    if settings.shard_id_list is not None:
        options.setdefault("shard_ids", settings.shard_id_list)
    return ShardedReadingGroupBot(settings, **options)
