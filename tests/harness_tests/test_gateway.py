"""Gateway behaviour: heartbeats, resuming after drops, invalid sessions, intents."""

from __future__ import annotations

import discord
import pytest

from tests.harness.discord import FakeDiscord, InteractionFailed
from tests.harness.discord.fixtures import StartClient
from tests.harness_tests.sample_bot import SampleBot

HEARTBEAT, IDENTIFY, RESUME, HEARTBEAT_ACK = 1, 2, 6, 11


def _ops(fake: FakeDiscord, direction: str) -> list[int]:
    return [f.op for f in fake.gateway.frames if f.direction == direction]


async def test_heartbeats_are_acknowledged(fake_discord: FakeDiscord, bot: SampleBot) -> None:
    assert HEARTBEAT in _ops(fake_discord, "in")  # discord.py beats once right after HELLO
    await fake_discord.wait_until_client(lambda: bot.latency != float("inf"), what="latency")
    assert HEARTBEAT_ACK in _ops(fake_discord, "out")


async def test_events_sent_while_disconnected_are_replayed_on_resume(
    fake_discord: FakeDiscord, bot: SampleBot
) -> None:
    guild = fake_discord.guild
    alice = guild.add_member("alice")
    general = guild.default_channel

    async with fake_discord.gateway_outage():
        await fake_discord.post_message(general, alice, "while you were away")
        papers = guild.add_text_channel("papers")

    await fake_discord.wait_until_client(
        lambda: any(m.content == "while you were away" for m in bot.seen_messages),
        what="the replayed MESSAGE_CREATE",
    )
    assert bot.get_channel(papers.id) is not None
    assert fake_discord.gateway.identifies == 1
    assert fake_discord.gateway.resumes == 1
    assert _ops(fake_discord, "in").count(RESUME) == 1
    resumed_on = [c.path for c in fake_discord.gateway.connections]
    assert resumed_on == ["/gateway/resume"]  # READY's resume_gateway_url was used

    reply = await fake_discord.slash(alice, "guildping")
    assert reply.content == "guild pong"


async def test_plain_drop_resumes(fake_discord: FakeDiscord, bot: SampleBot) -> None:
    await fake_discord.drop_gateway()
    await fake_discord.wait_resumed()
    alice = fake_discord.guild.add_member("alice")
    assert (await fake_discord.slash(alice, "guildping")).content == "guild pong"


async def test_reconnect_request_resumes(fake_discord: FakeDiscord, bot: SampleBot) -> None:
    await fake_discord.request_reconnect()
    await fake_discord.wait_resumed()
    assert fake_discord.gateway.identifies == 1


async def test_invalid_session_makes_the_client_identify_again(
    fake_discord: FakeDiscord, bot: SampleBot
) -> None:
    await fake_discord.invalidate_session()
    await fake_discord.wait_ready(2)

    assert fake_discord.gateway.identifies == 2
    assert fake_discord.gateway.resumes == 0
    await fake_discord.wait_until_client(bot.is_ready, what="the second READY")
    alice = fake_discord.guild.add_member("alice")
    assert (await fake_discord.slash(alice, "guildping")).content == "guild pong"


async def test_state_changes_reach_the_client_cache(
    fake_discord: FakeDiscord, bot: SampleBot
) -> None:
    guild = fake_discord.guild
    readers = guild.add_role("Readers")
    voice = guild.add_voice_channel("Voice room")
    stage = guild.add_stage_channel("Stage")
    thread = guild.add_thread(guild.default_channel, "Paper 1")
    alice = guild.add_member("alice")
    cached = bot.get_guild(guild.id)
    assert cached is not None

    await fake_discord.wait_until_client(lambda: cached.get_thread(thread.id) is not None)
    assert cached.get_role(readers.id) is not None
    assert isinstance(cached.get_channel(voice.id), discord.VoiceChannel)
    assert isinstance(cached.get_channel(stage.id), discord.StageChannel)
    assert cached.get_member(alice.id) is not None

    member = cached.get_member(alice.id)
    assert member is not None
    await member.add_roles(cached.get_role(readers.id))  # type: ignore[arg-type]
    assert alice.role_ids == [readers.id]
    await fake_discord.wait_until_client(
        lambda: [r.id for r in member.roles[1:]] == [readers.id], what="GUILD_MEMBER_UPDATE"
    )


async def test_message_content_needs_the_intent(
    fake_discord: FakeDiscord, start_client: StartClient
) -> None:
    seen: list[discord.Message] = []

    class Plain(discord.Client):
        async def on_message(self, message: discord.Message) -> None:
            seen.append(message)

    await start_client(Plain(intents=discord.Intents.default(), guild_ready_timeout=0.05))
    alice = fake_discord.guild.add_member("alice")
    general = fake_discord.guild.default_channel
    await fake_discord.post_message(general, alice, "secret")
    await fake_discord.post_message(general, alice, f"hey {fake_discord.bot_user.mention}")

    await fake_discord.wait_until_client(lambda: len(seen) == 2, what="two messages")
    assert [m.content for m in seen] == ["", f"hey {fake_discord.bot_user.mention}"]
    guild = seen[0].guild
    assert guild is not None
    assert guild.get_member(alice.id) is None  # no members intent: not in GUILD_CREATE either


async def test_interactions_need_a_connected_client(
    fake_discord: FakeDiscord, start_client: StartClient
) -> None:
    alice = fake_discord.guild.add_member("alice")
    fake_discord.register_commands([{"name": "vote", "description": "Start a vote"}])
    with pytest.raises(InteractionFailed, match="no client has identified"):
        await fake_discord.slash(alice, "vote")

    running = await start_client(SampleBot())
    await running.stop()
    await fake_discord.wait_for(
        lambda: True if not fake_discord.gateway.live_connections() else None, 2, "the close"
    )
    fake_discord.interaction_deadline = 0.1
    with pytest.raises(InteractionFailed, match="no client is connected"):
        await fake_discord.slash(alice, "vote")


async def test_member_queries_are_answered_with_chunks(
    fake_discord: FakeDiscord, bot: SampleBot
) -> None:
    fake_discord.guild.add_member("alice")
    fake_discord.guild.add_member("albert")
    fake_discord.guild.add_member("bob")
    guild = bot.get_guild(fake_discord.guild.id)
    assert guild is not None

    found = await guild.query_members(query="al", limit=10)

    assert sorted(m.name for m in found) == ["albert", "alice"]
    assert 8 in _ops(fake_discord, "in")  # REQUEST_GUILD_MEMBERS
