"""REST routes the bot uses, driven through discord.py's own API."""

from __future__ import annotations

import datetime as dt
import io

import discord
import pytest
from discord.http import Route

from tests.harness.discord import FakeDiscord
from tests.harness_tests.sample_bot import SampleBot


def _text_channel(bot: SampleBot, channel_id: int) -> discord.TextChannel:
    channel = bot.get_channel(channel_id)
    assert isinstance(channel, discord.TextChannel)
    return channel


async def test_history_pagination(fake_discord: FakeDiscord, bot: SampleBot) -> None:
    alice = fake_discord.guild.add_member("alice")
    general = fake_discord.guild.default_channel
    posted = [await fake_discord.post_message(general, alice, f"m{i}") for i in range(10)]
    ids = [int(m["id"]) for m in posted]
    channel = _text_channel(bot, general.id)

    newest = [m.content async for m in channel.history(limit=3)]
    assert newest == ["m9", "m8", "m7"]
    everything = [m.content async for m in channel.history(limit=None, oldest_first=True)]
    assert everything == [f"m{i}" for i in range(10)]
    before = [m.content async for m in channel.history(limit=2, before=discord.Object(ids[5]))]
    assert before == ["m4", "m3"]
    after = [m.content async for m in channel.history(limit=3, after=discord.Object(ids[2]))]
    assert after == ["m3", "m4", "m5"]
    around = [m.content async for m in channel.history(limit=4, around=discord.Object(ids[5]))]
    assert sorted(around) == ["m3", "m4", "m5", "m6"]
    assert (await channel.fetch_message(ids[1])).content == "m1"


async def test_send_edit_delete_with_files(fake_discord: FakeDiscord, bot: SampleBot) -> None:
    general = fake_discord.guild.default_channel
    channel = _text_channel(bot, general.id)

    sent = await channel.send(
        "report", file=discord.File(io.BytesIO(b"a,b\n1,2\n"), filename="report.csv")
    )
    assert sent.attachments[0].filename == "report.csv"
    assert await sent.attachments[0].read() == b"a,b\n1,2\n"
    stored = fake_discord.channel_messages(general)[-1]
    assert stored["attachments"][0]["content_type"] == "text/csv"

    edited = await sent.edit(content="report v2", embed=discord.Embed(title="Totals"))
    assert edited.content == "report v2"
    assert fake_discord.message(sent.id)["embeds"][0]["title"] == "Totals"
    assert [e["content"] for e in fake_discord.message_edits(sent.id)] == ["report"]

    await sent.delete()
    assert fake_discord.channel_messages(general) == []


async def test_bot_cannot_edit_someone_elses_message(
    fake_discord: FakeDiscord, bot: SampleBot
) -> None:
    alice = fake_discord.guild.add_member("alice")
    posted = await fake_discord.post_message(fake_discord.guild.default_channel, alice, "mine")
    message = await _text_channel(bot, fake_discord.guild.default_channel.id).fetch_message(
        int(posted["id"])
    )
    with pytest.raises(discord.Forbidden) as exc:
        await message.edit(content="hijacked")
    assert exc.value.code == 50005


async def test_pins(fake_discord: FakeDiscord, bot: SampleBot) -> None:
    general = fake_discord.guild.default_channel
    channel = _text_channel(bot, general.id)
    message = await channel.send("pin me")

    await message.pin()
    assert [m["content"] for m in fake_discord.pins(general)] == ["pin me"]
    assert fake_discord.channel_messages(general)[-1]["type"] == 6  # "pinned a message" notice
    assert [m.content async for m in channel.pins()] == ["pin me"]
    old_route = Route("GET", "/channels/{channel_id}/pins", channel_id=general.id)
    assert [m["content"] for m in await bot.http.request(old_route)] == ["pin me"]

    await message.unpin()
    assert fake_discord.pins(general) == []
    assert len(fake_discord.requests_matching("PUT", r"/channels/\d+/messages/pins/\d+")) == 1


async def test_threads(fake_discord: FakeDiscord, bot: SampleBot) -> None:
    general = fake_discord.guild.default_channel
    channel = _text_channel(bot, general.id)
    starter = await channel.send("Paper: Attention is all you need")

    thread = await starter.create_thread(name="Discussion")
    assert thread.id == starter.id
    await thread.send("first comment")
    assert [m["content"] for m in fake_discord.channel_messages(thread.id)] == ["first comment"]
    standalone = await channel.create_thread(
        name="Standalone", type=discord.ChannelType.public_thread
    )
    await fake_discord.wait_until_client(
        lambda: channel.guild.get_thread(standalone.id) is not None, what="THREAD_CREATE"
    )
    active = await channel.guild.active_threads()
    assert {t.name for t in active} == {"Discussion", "Standalone"}

    fake_discord.expect_violation(path=r"/threads$")
    with pytest.raises(discord.HTTPException):
        await channel.create_thread(name="n" * 101, type=discord.ChannelType.public_thread)


async def test_scheduled_events(fake_discord: FakeDiscord, bot: SampleBot) -> None:
    alice = fake_discord.guild.add_member("alice")
    reply = await fake_discord.slash(alice, "schedule", name="Paper club", description="RLHF")
    events = fake_discord.scheduled_events(fake_discord.guild)
    assert [(e["name"], e["description"], e["entity_type"]) for e in events] == [
        ("Paper club", "RLHF", 3)
    ]
    assert reply.content == f"event {events[0]['id']}"

    guild = bot.get_guild(fake_discord.guild.id)
    assert guild is not None
    event = await guild.fetch_scheduled_event(int(events[0]["id"]))
    assert event.location == "Room 101"
    await event.edit(name="Paper club #2")
    assert fake_discord.scheduled_events()[0]["name"] == "Paper club #2"
    await event.cancel()
    assert fake_discord.scheduled_events()[0]["status"] == 4
    await event.delete()
    assert fake_discord.scheduled_events() == []


async def test_scheduled_events_cannot_start_in_the_past(
    fake_discord: FakeDiscord, bot: SampleBot
) -> None:
    guild = bot.get_guild(fake_discord.guild.id)
    assert guild is not None
    past = discord.utils.utcnow() - dt.timedelta(days=1)
    fake_discord.expect_violation("limit", path="scheduled-events")
    with pytest.raises(discord.HTTPException, match="in the past"):
        await guild.create_scheduled_event(
            name="Too late",
            start_time=past,
            end_time=past + dt.timedelta(hours=1),
            entity_type=discord.EntityType.external,
            privacy_level=discord.PrivacyLevel.guild_only,
            location="Room 101",
        )
    fake_discord.set_clock(lambda: past - dt.timedelta(days=1))
    await guild.create_scheduled_event(
        name="Fine with a test clock",
        start_time=past,
        end_time=past + dt.timedelta(hours=1),
        entity_type=discord.EntityType.external,
        privacy_level=discord.PrivacyLevel.guild_only,
        location="Room 101",
    )


async def test_member_roles_and_hierarchy(fake_discord: FakeDiscord, bot: SampleBot) -> None:
    fake_guild = fake_discord.guild
    readers = fake_guild.add_role("Readers")
    mods = fake_guild.add_role("Mods", above_bot=True)
    alice = fake_guild.add_member("alice")
    guild = bot.get_guild(fake_guild.id)
    assert guild is not None

    member = await guild.fetch_member(alice.id)
    await member.add_roles(discord.Object(readers.id))
    assert alice.role_ids == [readers.id]
    with pytest.raises(discord.Forbidden):
        await member.add_roles(discord.Object(mods.id))
    await member.remove_roles(discord.Object(readers.id))
    assert alice.role_ids == []

    fake_discord.set_bot_permissions(fake_guild, deny=discord.Permissions(manage_roles=True))
    with pytest.raises(discord.Forbidden) as exc:
        await member.add_roles(discord.Object(readers.id))
    assert exc.value.code == 50013


async def test_guild_reads(fake_discord: FakeDiscord, bot: SampleBot) -> None:
    fake_discord.guild.add_role("Readers")
    fetched = await bot.fetch_guild(fake_discord.guild.id)
    assert fetched.name == "Reading Group"
    assert {r.name for r in await fetched.fetch_roles()} >= {"@everyone", "Readers", "ReadingBot"}
    assert [c.name for c in await fetched.fetch_channels()] == ["general"]
    me = await fetched.fetch_member(fake_discord.bot_user.id)
    assert me.bot
    channel = await bot.fetch_channel(fake_discord.guild.default_channel.id)
    assert channel.name == "general"  # type: ignore[union-attr]


async def test_reactions(fake_discord: FakeDiscord, bot: SampleBot) -> None:
    channel = _text_channel(bot, fake_discord.guild.default_channel.id)
    message = await channel.send("vote")
    await message.add_reaction("👍")
    alice = fake_discord.guild.add_member("alice")
    await fake_discord.react(alice, message.id, "👍")
    stored = fake_discord.message(message.id)
    assert stored["reactions"][0]["count"] == 2
    assert stored["reactions"][0]["me"] is True


async def test_scheduled_events_are_capped_per_server(
    fake_discord: FakeDiscord, bot: SampleBot
) -> None:
    guild = bot.get_guild(fake_discord.guild.id)
    assert guild is not None
    fake_discord.max_scheduled_events = 2
    start = discord.utils.utcnow() + dt.timedelta(days=1)

    async def create(name: str) -> discord.ScheduledEvent:
        return await guild.create_scheduled_event(
            name=name,
            start_time=start,
            end_time=start + dt.timedelta(hours=1),
            entity_type=discord.EntityType.external,
            privacy_level=discord.PrivacyLevel.guild_only,
            location="Room 101",
        )

    first = await create("One")
    await create("Two")
    with pytest.raises(discord.HTTPException) as refused:
        await create("Three")
    assert (refused.value.status, refused.value.code) == (400, 30038)
    await first.cancel()  # a cancelled event no longer counts
    await create("Three")
    assert len(fake_discord.scheduled_events()) == 3
