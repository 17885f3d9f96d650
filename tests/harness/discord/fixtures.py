"""pytest fixtures for the fake Discord; import them with
``from tests.harness.discord.fixtures import *`` in a conftest.py."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import discord
import pytest

from .client import RunningClient
from .client import start_client as _start_client
from .server import FakeDiscord

__all__ = ["fake_discord", "start_client"]

StartClient = Callable[..., Awaitable[RunningClient]]


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A started :class:`FakeDiscord` with discord.py pointed at it.

    At teardown the URLs are restored and the test fails if the bot did
    anything Discord would reject that the test did not expect.
    """
    fake = FakeDiscord()
    await fake.start()
    try:
        with fake.pointed():
            yield fake
    finally:
        await fake.stop()
    problems = fake.violation_problems()
    if problems:
        pytest.fail("Discord contract violations:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
async def start_client(fake_discord: FakeDiscord) -> AsyncIterator[StartClient]:
    """``running = await start_client(client, token="test-token")``; stopped at teardown."""
    running: list[RunningClient] = []

    async def start(
        client: discord.Client, token: str = "test-token", **kwargs: Any
    ) -> RunningClient:
        started = await _start_client(fake_discord, client, token, **kwargs)
        running.append(started)
        return started

    yield start
    for started in reversed(running):
        await started.stop()
