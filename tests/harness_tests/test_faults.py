"""Injected faults, and how the real client copes with them."""

from __future__ import annotations

import discord
import pytest

from tests.harness.discord import FakeDiscord
from tests.harness_tests.sample_bot import SampleBot

MESSAGES = r"/channels/\d+/messages"


async def _announce(fake: FakeDiscord, text: str = "hello") -> str:
    alice = fake.guild.add_member("alice")
    reply = await fake.slash(
        alice, "announce", where=fake.guild.default_channel, text=text, timeout=5
    )
    return reply.content


@pytest.mark.parametrize("global_", [False, True], ids=["per-route", "global"])
async def test_429_is_waited_out_and_retried(
    fake_discord: FakeDiscord, bot: SampleBot, global_: bool
) -> None:
    fault = fake_discord.faults.add(
        "POST", "/channels/{channel_id}/messages", status=429, retry_after=0.05, global_=global_
    )

    assert (await _announce(fake_discord)).startswith("posted")

    limited, passed = fake_discord.requests_matching("POST", MESSAGES)
    assert fault.hits == 1
    assert limited.status == 429
    assert limited.response == {
        "message": "You are being rate limited.",
        "retry_after": 0.05,
        "global": global_,
        **({"code": 0} if global_ else {}),
    }
    assert passed.status == 200
    assert passed.time - limited.time >= 0.05
    assert [
        m["content"] for m in fake_discord.channel_messages(fake_discord.guild.default_channel)
    ] == [
        "hello",
        "",  # the "pinned a message" system message
    ]


async def test_429_carries_via_and_rate_limit_headers(fake_discord: FakeDiscord) -> None:
    import aiohttp

    fake_discord.faults.add("GET", "/users/@me", status=429, retry_after=0.5)
    fake_discord.faults.add("GET", "/users/@me", status=429, retry_after=0.5, global_=True)
    headers = {"Authorization": f"Bot {fake_discord.token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.get(fake_discord.api_url + "/users/@me") as per_route:
            assert per_route.headers["Via"]
            assert per_route.headers["X-RateLimit-Remaining"] == "0"
            assert per_route.headers["Content-Type"] == "application/json"
        async with session.get(fake_discord.api_url + "/users/@me") as global_limit:
            assert global_limit.headers["X-RateLimit-Global"] == "true"
        async with session.get(fake_discord.api_url + "/users/@me") as fine:
            assert fine.status == 200


async def test_429_on_an_interaction_follow_up_is_retried(
    fake_discord: FakeDiscord, bot: SampleBot
) -> None:
    fake_discord.faults.add("POST", r"/webhooks/\d+/[^/]+", status=429, retry_after=0.05)
    alice = fake_discord.guild.add_member("alice")
    reply = await fake_discord.slash(alice, "slow")
    bot.release_slow.set()
    await reply.wait_followups(2)
    statuses = [r.status for r in fake_discord.requests_matching("POST", r"/webhooks/\d+/[^/]+")]
    assert statuses == [429, 200, 200]


@pytest.mark.parametrize("status", [500, 502])
async def test_server_errors_are_retried(
    fake_discord: FakeDiscord, bot: SampleBot, status: int
) -> None:
    # discord.py sleeps 1 s before retrying a 5xx; this test takes that long.
    fake_discord.faults.add("POST", "/channels/{channel_id}/messages", status=status)
    assert (await _announce(fake_discord)).startswith("posted")
    assert [r.status for r in fake_discord.requests_matching("POST", MESSAGES)] == [status, 200]


async def test_503_is_not_retried_by_the_rest_client(
    fake_discord: FakeDiscord, bot: SampleBot
) -> None:
    # discord.py 2.7 retries 500/502/504/524 only; a 503 surfaces as DiscordServerError.
    fake_discord.faults.add("POST", "/channels/{channel_id}/messages", status=503)
    assert await _announce(fake_discord) == "failed 503"
    assert [r.status for r in fake_discord.requests_matching("POST", MESSAGES)] == [503]


async def test_503_on_a_follow_up_is_retried_by_the_webhook_client(
    fake_discord: FakeDiscord, bot: SampleBot
) -> None:
    fake_discord.faults.add("POST", r"/webhooks/\d+/[^/]+", status=503)
    alice = fake_discord.guild.add_member("alice")
    reply = await fake_discord.slash(alice, "slow")
    bot.release_slow.set()
    await reply.final(timeout=5)
    statuses = [r.status for r in fake_discord.requests_matching("POST", r"/webhooks/\d+/[^/]+")]
    assert statuses[:2] == [503, 200]


@pytest.mark.parametrize("code", [50013, 50001])
async def test_injected_403_surfaces_as_forbidden(
    fake_discord: FakeDiscord, bot: SampleBot, code: int
) -> None:
    fake_discord.faults.add("POST", "/channels/{channel_id}/messages", status=403, code=code)
    assert await _announce(fake_discord) == f"forbidden {code}"


async def test_channel_permissions_are_enforced(fake_discord: FakeDiscord, bot: SampleBot) -> None:
    guild = fake_discord.guild
    general = guild.default_channel
    fake_discord.set_bot_permissions(guild, general, deny=discord.Permissions(send_messages=True))
    assert await _announce(fake_discord) == "forbidden 50013"

    fake_discord.set_bot_permissions(guild, general, deny=discord.Permissions(view_channel=True))
    assert await _announce(fake_discord) == "forbidden 50001"

    cached = bot.get_channel(general.id)
    assert isinstance(cached, discord.TextChannel)
    assert not cached.permissions_for(cached.guild.me).view_channel  # CHANNEL_UPDATE arrived

    fake_discord.set_bot_permissions(
        guild, general, allow=discord.Permissions(view_channel=True, send_messages=True)
    )
    assert (await _announce(fake_discord)).startswith("posted")


async def test_guild_permissions_are_enforced(fake_discord: FakeDiscord, bot: SampleBot) -> None:
    guild = fake_discord.guild
    alice = guild.add_member("alice")
    fake_discord.set_bot_permissions(
        guild, deny=discord.Permissions(manage_events=True, create_events=True)
    )
    cached = bot.get_guild(guild.id)
    assert cached is not None
    await fake_discord.wait_until_client(
        lambda: not cached.me.guild_permissions.manage_events, what="GUILD_ROLE_UPDATE"
    )

    reply = await fake_discord.slash(alice, "schedule", name="Paper club")

    assert reply.content == "forbidden 50013"
    assert fake_discord.scheduled_events(guild) == []
    assert reply.record.payload["app_permissions"] == str(
        fake_discord.world.bot_permissions(guild, guild.default_channel)
    )
