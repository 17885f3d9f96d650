"""Running a real discord.py client against :class:`FakeDiscord`."""

# Waits take explicit timeouts so a failure can say what it was waiting for.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl

from .recording import HarnessTimeout
from .server import FakeDiscord


@contextlib.contextmanager
def pointed_at(port: int) -> Iterator[None]:
    """Send discord.py's REST calls and gateway connection to 127.0.0.1:``port``.

    Restores the real URLs on exit.
    """
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = f"http://127.0.0.1:{port}/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(f"ws://127.0.0.1:{port}/gateway")
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


async def _no_identify_delay(shard_id: int | None, *, initial: bool = False) -> None:
    return None


_DEFAULT_HOOKS = {
    discord.Client.before_identify_hook,
    discord.AutoShardedClient.before_identify_hook,
}


@dataclass
class RunningClient:
    """A client started by :func:`start_client`; ``await stop()`` shuts it down cleanly."""

    client: discord.Client
    task: asyncio.Task[None]
    fake: FakeDiscord

    async def stop(self, timeout: float = 10.0) -> None:
        if not self.client.is_closed():
            try:
                await asyncio.wait_for(self.client.close(), timeout)
            except TimeoutError:
                self.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self.task
                raise AssertionError(f"the client did not close within {timeout} s") from None
        if not self.task.done():
            try:
                await asyncio.wait_for(self.task, timeout)
            except TimeoutError:
                self.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self.task
        if self.task in self.fake.client_tasks:
            self.fake.client_tasks.remove(self.task)
        if not self.task.cancelled() and self.task.exception() is not None:
            raise self.task.exception()  # type: ignore[misc]


async def start_client(
    fake: FakeDiscord,
    client: discord.Client,
    token: str = "test-token",
    *,
    timeout: float = 10.0,
    skip_identify_delay: bool = True,
) -> RunningClient:
    """Start ``client`` (any :class:`discord.Client`) as a background task.

    Returns once the fake has sent READY and every GUILD_CREATE and the client
    reports ready. discord.py waits ``guild_ready_timeout`` (2 s by default)
    after the last GUILD_CREATE before it is ready, so build test clients with
    ``guild_ready_timeout=0.05``. ``skip_identify_delay`` replaces discord.py's
    default ``before_identify_hook`` (a 5 s sleep before every re-IDENTIFY)
    on this instance; a client that overrides the hook keeps its own.

    A client with a ``tree`` (``commands.Bot``) lends it to the fake as the
    fallback command definitions for when it registers none.
    """
    tree = getattr(client, "tree", None)
    if tree is not None and fake.resolver.fallback_tree is None:
        fake.use_command_tree(tree)
    hook = getattr(type(client), "before_identify_hook", None)
    if skip_identify_delay and hook in _DEFAULT_HOOKS:
        client.before_identify_hook = _no_identify_delay  # type: ignore[method-assign]
    ready_before = fake.gateway.ready_count
    task = asyncio.create_task(client.start(token), name=f"discord-client-{id(client)}")
    fake.client_tasks.append(task)
    running = RunningClient(client, task, fake)

    async def ready() -> None:
        await fake.wait_ready(ready_before + 1, timeout)
        await client.wait_until_ready()

    waiter = asyncio.create_task(ready())
    done, _ = await asyncio.wait(
        {task, waiter}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
    )
    if waiter in done and waiter.exception() is None:
        return running
    waiter.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await waiter
    if task in done:
        fake.client_tasks.remove(task)
        error = task.exception()
        raise HarnessTimeout(f"the client stopped before it was ready: {error!r}") from error
    await running.stop()
    raise HarnessTimeout(
        f"the client was not ready within {timeout} s (READY sent: {fake.gateway.ready_count}); "
        "did you pass guild_ready_timeout=0.05?"
    )


def fast_client_options(**overrides: Any) -> dict[str, Any]:
    """Options that make a test client start quickly against the fake."""
    options: dict[str, Any] = {"guild_ready_timeout": 0.05}
    options.update(overrides)
    return options
