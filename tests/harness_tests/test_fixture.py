"""The ``fake_discord`` fixture fails a test whose bot broke Discord's contract."""

from __future__ import annotations

from pathlib import Path

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from tests.harness.discord import FakeDiscord

REPO = Path(__file__).resolve().parents[2]
pytest_plugins = ["pytester"]

INNER = """
import discord
import pytest
from discord.http import Route

from tests.harness.discord.fixtures import *  # noqa: F403


class Bot(discord.Client):
    def __init__(self):
        super().__init__(intents=discord.Intents.default(), guild_ready_timeout=0.05)


async def _send_too_long(fake_discord, start_client):
    running = await start_client(Bot())
    channel_id = fake_discord.guild.default_channel.id
    route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)
    with pytest.raises(discord.HTTPException):
        await running.client.http.request(route, json={"content": "x" * 2001})


async def test_unexpected(fake_discord, start_client):
    await _send_too_long(fake_discord, start_client)


async def test_expected(fake_discord, start_client):
    fake_discord.expect_violation("limit")
    await _send_too_long(fake_discord, start_client)


async def test_expected_but_absent(fake_discord, start_client):
    fake_discord.expect_violation("limit")
"""


def test_teardown_reports_unexpected_and_unmet_violations(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "-o",
        "asyncio_mode=auto",
        "-o",
        "asyncio_default_fixture_loop_scope=function",
    )
    result.assert_outcomes(passed=3, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*test_unexpected*",
            "*unexpected violation [[]limit[]] POST /channels/*/messages*",
            "*test_expected_but_absent*",
            "*unmet expect_violation(kind='limit') x1 (matched 0)*",
        ]
    )


async def test_pointing_the_client_is_undone() -> None:
    def current() -> tuple[str, str]:
        return Route.BASE, str(DiscordWebSocket.DEFAULT_GATEWAY)

    original = current()
    async with FakeDiscord() as fake:
        with fake.pointed():
            assert current() == (fake.api_url, fake.gateway_url)
    assert current() == original
