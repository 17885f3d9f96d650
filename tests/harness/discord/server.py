"""``FakeDiscord``: the loopback server, its state and the test-facing API."""

# Waits take explicit timeouts so a failure can say what it was waiting for.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

from aiohttp import web

from ..loopback import serve_on_loopback
from . import routes_channels, routes_commands, routes_core, routes_guilds, routes_interactions
from .actions import UserActions
from .faults import FaultRegistry
from .gateway import Gateway, strip_content
from .interactions import CommandResolver, InteractionBuilder, InteractionRecord
from .models import JSON, Channel, Guild, StoredMessage, emoji_payload
from .permissions import PermissionsLike
from .recording import HarnessTimeout, RecordedRequest, Violation, ViolationLog
from .rest import API_PREFIX, make_middleware, unknown_route
from .state import World
from .validation import load_document

T = TypeVar("T")


class _ErrorLogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


class FakeDiscord(UserActions):
    """A Discord REST API + gateway on 127.0.0.1, shaped after discord.py 2.7.

    Create it, ``await start()``, point the client at it (see
    :func:`tests.harness.discord.client.pointed_at`), drive it with the
    user-action methods, then ``await stop()``.
    """

    api_prefix = API_PREFIX

    def __init__(
        self,
        *,
        token: str = "test-token",
        bot_name: str = "ReadingBot",
        guild_name: str = "Reading Group",
        interaction_deadline: float = 3.0,
        default_guild: bool = True,
    ) -> None:
        load_document()  # fail early (and once per process) if the document is missing
        self.token = token
        self.world = World(bot_name=bot_name)
        self.violation_log = ViolationLog()
        self.requests: list[RecordedRequest] = []
        self.faults = FaultRegistry()
        self.interaction_deadline = interaction_deadline
        self.max_pins = 250
        self.max_scheduled_events = 100  # scheduled or active events per server
        self.shard_count = 1  # what GET /gateway/bot recommends
        self.reject_past_events = True
        self.interactions: dict[int, InteractionRecord] = {}
        self.interactions_by_token: dict[str, InteractionRecord] = {}
        self.resolver = CommandResolver(self.world)
        self.builder = InteractionBuilder(self.world, self.resolver)
        self.gateway = Gateway(self.world, self.violation_log, lambda: self.token)
        self.client_tasks: list[asyncio.Task[Any]] = []
        self._errors = _ErrorLogCapture()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.guild: Guild = self.add_guild(guild_name) if default_guild else None  # type: ignore[assignment]

    # ------------------------------------------------------------- lifecycle

    async def start(self) -> FakeDiscord:
        app = web.Application(middlewares=[make_middleware(self)], client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/gateway/resume", self.gateway.handle)
        for module in (
            routes_core,
            routes_commands,
            routes_interactions,
            routes_channels,
            routes_guilds,
        ):
            module.register(app, self)
        app.router.add_route("*", "/{tail:.*}", unknown_route(self))
        self._runner, self.port = await serve_on_loopback(app)
        self.world.base_url = self.base_url
        logging.getLogger("discord").addHandler(self._errors)
        return self

    async def stop(self) -> None:
        logging.getLogger("discord").removeHandler(self._errors)
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @contextmanager
    def pointed(self) -> Iterator[FakeDiscord]:
        """Point discord.py at this server for the duration of the block."""
        from .client import pointed_at

        with pointed_at(self.port):
            yield self

    # ----------------------------------------------------------------- world

    @property
    def bot_user(self) -> Any:
        return self.world.bot

    @property
    def application_id(self) -> int:
        return self.world.application_id

    def add_guild(self, name: str, *, shard: tuple[int, int] | None = None) -> Guild:
        """A guild with @everyone, ``#general`` and the bot (with its managed role);
        ``shard=(shard_id, shard_count)`` gives it an id on that shard."""
        return self.world.add_guild(name, shard=shard)

    def set_bot_permissions(
        self,
        guild: Guild,
        channel: Channel | None = None,
        allow: PermissionsLike = 0,
        deny: PermissionsLike = 0,
    ) -> None:
        """Change what the bot may do, guild-wide (its role) or in one channel (overwrite)."""
        self.world.set_bot_permissions(guild, channel, allow, deny)

    def use_command_tree(self, tree: Any) -> None:
        """Fallback command definitions for when the bot registered none."""
        self.resolver.fallback_tree = tree

    def register_commands(self, definitions: list[JSON], guild: Guild | None = None) -> list[JSON]:
        """Pre-register commands, as if an earlier run of the bot had synced them.

        ``definitions`` are registration bodies, e.g. ``[c.to_dict(tree) for c in
        tree.get_commands()]``. Returns the stored command objects.
        """
        overwrite = routes_commands.overwrite_commands
        if guild is None:
            return overwrite(self.world, self.world.global_commands, definitions, None)
        commands = self.world.guild_commands.setdefault(guild.id, {})
        return overwrite(self.world, commands, definitions, guild.id)

    def set_clock(self, clock: Callable[[], Any]) -> None:
        """What "now" is when checking that scheduled events are not in the past."""
        self.world.clock = clock

    # ------------------------------------------------------------ violations

    @property
    def violations(self) -> list[Violation]:
        return self.violation_log.items

    def expect_violation(
        self, kind: str | None = None, *, path: str | None = None, times: int | None = 1
    ) -> None:
        """Declare that this test provokes a violation (``kind`` e.g. "limit", "deadline").

        It accepts up to ``times`` matching violations (``None``: any number) and
        fails the test at teardown if fewer than ``times`` (or none) happened.
        """
        self.violation_log.expect(kind, path=path, times=times)

    def expecting_violations(self) -> Any:
        """``with fake.expecting_violations() as caught:`` accepts (and collects) violations."""
        return self.violation_log.expecting()

    def violation_problems(self) -> list[str]:
        return self.violation_log.problems()

    def assert_no_violations(self) -> None:
        problems = self.violation_problems()
        assert not problems, "\n".join(problems)

    @property
    def client_errors(self) -> list[str]:
        """ERROR records discord.py logged (e.g. exceptions in command handlers)."""
        return self._errors.records

    # ----------------------------------------------------------- inspection

    def _channel_id(self, channel: Channel | int) -> int:
        return channel.id if isinstance(channel, Channel) else int(channel)

    def channel_messages(self, channel: Channel | int) -> list[JSON]:
        """Messages in the channel, oldest first, as Discord returns them."""
        return [m.payload() for m in self.world.history.get(self._channel_id(channel), [])]

    def stored_message(self, message: JSON | StoredMessage | int | Any) -> StoredMessage:
        if isinstance(message, StoredMessage):
            return message
        if hasattr(message, "record") and hasattr(message, "message"):
            payload = message.message
            if payload is None:
                raise LookupError(f"{message!r} has no message")
            message = payload
        message_id = int(message["id"]) if isinstance(message, dict) else int(message)
        stored = self.world.messages.get(message_id)
        if stored is None:
            raise LookupError(f"no message {message_id}")
        return stored

    def message(self, message: JSON | int) -> JSON:
        return self.stored_message(message).payload()

    def message_edits(self, message: JSON | int) -> list[JSON]:
        """Earlier versions of a message, oldest first."""
        return list(self.stored_message(message).edits)

    def pins(self, channel: Channel | int) -> list[JSON]:
        return [m.payload() for m in self.world.pins(self._channel_id(channel))]

    def scheduled_events(self, guild: Guild | int | None = None) -> list[JSON]:
        guild_id = (guild.id if isinstance(guild, Guild) else guild) or self.guild.id
        return [e.payload() for e in self.world.events.get(guild_id, {}).values()]

    def registered_commands(self, guild: Guild | int | None = None) -> list[JSON]:
        """Commands the bot registered: global ones, or one guild's."""
        if guild is None:
            return list(self.world.global_commands.values())
        guild_id = guild.id if isinstance(guild, Guild) else guild
        return list(self.world.guild_commands.get(guild_id, {}).values())

    def requests_matching(self, method: str, path_regex: str) -> list[RecordedRequest]:
        pattern = re.compile(path_regex)
        return [
            r
            for r in self.requests
            if (method == "*" or r.method == method.upper()) and pattern.fullmatch(r.path)
        ]

    def visible(self, message: StoredMessage) -> JSON:
        """A message as the bot's REST calls see it (MESSAGE_CONTENT intent applied)."""
        intents = [s.intents for s in self.gateway.sessions.values() if not s.invalidated]
        payload = message.payload()
        return strip_content(payload, intents[-1], self.world.bot.id) if intents else payload

    def reaction_event(
        self, guild: Guild, message: StoredMessage, user_id: int, emoji: str
    ) -> JSON:
        event: JSON = {
            "user_id": str(user_id),
            "channel_id": str(message.channel_id),
            "message_id": str(message.id),
            "guild_id": str(guild.id),
            "emoji": emoji_payload(emoji),
            "burst": False,
            "type": 0,
            "message_author_id": str(message.author.id),
        }
        member = guild.members.get(user_id)
        if member is not None:
            event["member"] = member.payload()
        return event

    # --------------------------------------------------------------- waiting

    def _check_clients(self) -> None:
        for task in self.client_tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise HarnessTimeout(f"the client task crashed: {task.exception()!r}")

    async def wait_for(
        self,
        probe: Callable[[], T | None],
        timeout: float,
        describe: Callable[[], str] | str,
        *,
        poll: float | None = None,
    ) -> T:
        """Wait until ``probe()`` returns non-None, re-checking on every change of
        the fake's state (and every ``poll`` seconds if given)."""

        def checked() -> T | None:
            self._check_clients()
            return probe()

        def description() -> str:
            text = describe() if callable(describe) else describe
            if self.client_errors:
                text += "\nerrors logged by discord.py:\n" + "\n".join(self.client_errors[-3:])
            return text

        return await self.world.notifier.wait_for(checked, timeout, description, poll)

    async def wait_until_client(
        self, predicate: Callable[[], bool], timeout: float = 2.0, what: str = "the client"
    ) -> None:
        """Wait for client-side state (its cache, its own records).

        The fake cannot see inside the client, so this re-checks every 5 ms as
        well as on every change of the fake's state.
        """
        await self.wait_for(
            lambda: True if predicate() else None, timeout, f"{what} to catch up", poll=0.005
        )

    async def wait_for_request(
        self,
        method: str,
        path_regex: str,
        timeout: float = 5.0,
        *,
        count: int = 1,
    ) -> RecordedRequest:
        """The ``count``-th answered request matching (full match on the path after /api/v10)."""

        def probe() -> RecordedRequest | None:
            done = [r for r in self.requests_matching(method, path_regex) if r.status is not None]
            return done[count - 1] if len(done) >= count else None

        return await self.wait_for(
            probe,
            timeout,
            lambda: (
                f"request #{count} {method} {path_regex}; seen: "
                f"{[f'{r.method} {r.path} {r.status}' for r in self.requests[-8:]]}"
            ),
        )

    async def wait_for_message(
        self,
        channel: Channel | int,
        predicate: Callable[[JSON], bool] | None = None,
        timeout: float = 5.0,
    ) -> JSON:
        """The first message in the channel (existing or new) that satisfies ``predicate``."""
        channel_id = self._channel_id(channel)

        def probe() -> JSON | None:
            for message in self.world.history.get(channel_id, []):
                payload = message.payload()
                if predicate is None or predicate(payload):
                    return payload
            return None

        return await self.wait_for(
            probe,
            timeout,
            lambda: (
                f"a matching message in channel {channel_id}; have "
                f"{[m.content[:60] for m in self.world.history.get(channel_id, [])]}"
            ),
        )

    async def wait_ready(self, count: int = 1, timeout: float = 5.0) -> None:
        """Until READY and every GUILD_CREATE have been sent ``count`` times in total."""
        await self.wait_for(
            lambda: True if self.gateway.ready_count >= count else None,
            timeout,
            f"READY #{count} (sent so far: {self.gateway.ready_count})",
        )

    async def wait_resumed(self, count: int = 1, timeout: float = 5.0) -> None:
        await self.wait_for(
            lambda: True if self.gateway.resumed_count >= count else None,
            timeout,
            f"RESUMED #{count} (sent so far: {self.gateway.resumed_count})",
        )

    # ------------------------------------------------------- gateway control

    async def drop_gateway(self) -> None:
        """Close the websocket like a network blip; discord.py RESUMEs on its own."""
        await self.gateway.drop()

    async def request_reconnect(self) -> None:
        """Send RECONNECT (op 7); the client closes and RESUMEs."""
        await self.gateway.reconnect_request()

    async def invalidate_session(self, resumable: bool = False) -> None:
        """Send INVALID_SESSION (op 9); with ``resumable=False`` the client re-IDENTIFIES."""
        await self.gateway.invalidate(resumable)

    @asynccontextmanager
    async def gateway_outage(self, timeout: float = 5.0) -> AsyncIterator[None]:
        """Drop the connection and refuse reconnects inside the block; events
        dispatched meanwhile are replayed on RESUME. Waits for RESUMED on exit."""
        resumed = self.gateway.resumed_count
        self.gateway.accepting.clear()
        try:
            await self.gateway.drop()
            yield
        finally:
            self.gateway.accepting.set()
        await self.wait_resumed(resumed + 1, timeout)
