"""The fake drives a real discord.py bot through every kind of interaction."""

from __future__ import annotations

import discord
import pytest

from tests.harness.discord import CommandUnavailable, FakeDiscord, Upload
from tests.harness.discord.fixtures import StartClient
from tests.harness_tests.sample_bot import SESSIONS, SampleBot


async def test_client_logs_in_receives_its_guild_and_syncs(
    fake_discord: FakeDiscord, bot: SampleBot
) -> None:
    assert bot.user is not None
    assert bot.user.id == fake_discord.bot_user.id
    guild = bot.get_guild(fake_discord.guild.id)
    assert guild is not None
    assert guild.name == "Reading Group"
    assert guild.me.guild_permissions.manage_events
    assert [c.name for c in guild.text_channels] == ["general"]
    assert bot.application_id == fake_discord.application_id
    names = {c["name"] for c in fake_discord.registered_commands()}
    assert {"session", "inspect", "upload", "vote", "Log as discussion comment"} <= names
    guild_names = {c["name"] for c in fake_discord.registered_commands(fake_discord.guild)}
    assert guild_names == {"guildping"}
    gateway_ops = [f.op for f in fake_discord.gateway.frames if f.direction == "in"]
    assert 2 in gateway_ops  # IDENTIFY
    assert fake_discord.requests_matching("PUT", r"/applications/\d+/commands")[0].status == 200


async def test_slash_with_sub_command_and_typed_options(
    fake_discord: FakeDiscord, bot: SampleBot
) -> None:
    alice = fake_discord.guild.add_member("alice")
    bob = fake_discord.guild.add_member("bob", global_name="Bob B")

    reply = await fake_discord.slash(
        alice,
        "session add",
        date="2025-02-07",
        kind="paper",
        host=bob,
        duration=90,
        weight=2.5,
        online=True,
    )

    assert reply.type == 4
    assert not reply.deferred
    assert not reply.ephemeral
    assert reply.content == (
        "paper on 2025-02-07 hosted by Bob B for 90 min (weight 2.5, online=True, host type Member)"
    )
    callback = await fake_discord.wait_for_request("POST", r"/interactions/\d+/[^/]+/callback")
    assert callback.status == 200
    assert callback.query == {"with_response": "1"}
    assert reply.record.callback_at is not None
    assert reply.record.callback_at - reply.record.created_at < 3.0
    message = fake_discord.channel_messages(fake_discord.guild.default_channel)[-1]
    assert message["type"] == 20
    assert message["interaction_metadata"]["name"] == "session add"


async def test_options_are_typed_from_the_registered_definitions(
    fake_discord: FakeDiscord, bot: SampleBot
) -> None:
    alice = fake_discord.guild.add_member("alice")
    with pytest.raises(CommandUnavailable, match="duration"):
        await fake_discord.slash(alice, "session add", date="d", kind="paper", duration="90")
    with pytest.raises(CommandUnavailable, match="below the minimum"):
        await fake_discord.slash(alice, "session add", date="d", kind="paper", duration=5)
    with pytest.raises(CommandUnavailable, match="not one of"):
        await fake_discord.slash(alice, "session add", date="d", kind="poster")
    with pytest.raises(CommandUnavailable, match="required option 'date'"):
        await fake_discord.slash(alice, "session add", kind="paper")
    with pytest.raises(CommandUnavailable, match="no option"):
        await fake_discord.slash(alice, "session add", date="d", kind="paper", colour="red")
    with pytest.raises(CommandUnavailable, match="not registered"):
        await fake_discord.slash(alice, "nonexistent")


async def test_sub_command_group(fake_discord: FakeDiscord, bot: SampleBot) -> None:
    alice = fake_discord.guild.add_member("alice")
    reply = await fake_discord.slash(alice, "session admin reset", confirm=True)
    assert reply.content == "reset confirmed=True"
    assert reply.ephemeral
    options = reply.record.payload["data"]["options"]
    assert options[0]["type"] == 2
    assert options[0]["options"][0]["type"] == 1
    with pytest.raises(CommandUnavailable, match="needs a sub-command"):
        await fake_discord.slash(alice, "session admin")


async def test_default_member_permissions_hide_commands(
    fake_discord: FakeDiscord, bot: SampleBot
) -> None:
    guild = fake_discord.guild
    alice = guild.add_member("alice")
    with pytest.raises(CommandUnavailable, match="lacks the permissions"):
        await fake_discord.slash(alice, "purge")

    boss = guild.add_member("boss", permissions=discord.Permissions(manage_guild=True))
    assert (await fake_discord.slash(boss, "purge")).content == "purged"

    root = guild.add_member("root", admin=True)
    assert (await fake_discord.slash(root, "purge")).ephemeral


async def test_role_channel_and_member_options_are_resolved(
    fake_discord: FakeDiscord, bot: SampleBot
) -> None:
    guild = fake_discord.guild
    readers = guild.add_role("Readers")
    papers = guild.add_text_channel("papers")
    boss = guild.add_member(
        "boss", roles=[readers], permissions=discord.Permissions(manage_guild=True)
    )

    reply = await fake_discord.slash(boss, "inspect", role=readers, where=papers, who=boss)

    assert reply.content == "role=Readers where=papers who=boss manage_guild=True"
    payload = reply.record.payload
    assert set(payload["data"]["resolved"]) == {"roles", "channels", "users", "members"}
    assert payload["member"]["permissions"] != "0"
    assert bot.get_channel(papers.id) is not None  # CHANNEL_CREATE reached the cache
    member = bot.get_guild(guild.id).get_member(boss.id)  # type: ignore[union-attr]
    assert member is not None
    assert {r.name for r in member.roles} >= {"Readers"}


async def test_guild_command_carries_data_guild_id(
    fake_discord: FakeDiscord, bot: SampleBot
) -> None:
    alice = fake_discord.guild.add_member("alice")
    reply = await fake_discord.slash(alice, "guildping")
    assert reply.content == "guild pong"
    assert reply.record.payload["data"]["guild_id"] == str(fake_discord.guild.id)


async def test_autocomplete_returns_the_bots_choices(
    fake_discord: FakeDiscord, bot: SampleBot
) -> None:
    alice = fake_discord.guild.add_member("alice")
    choices = await fake_discord.autocomplete(alice, "session show", focused="session", value="rl")
    assert [c["value"] for c in choices] == ["rlhf-survey", "rl-basics"]
    everything = await fake_discord.autocomplete(alice, "session show", focused="session")
    assert len(everything) == len(SESSIONS)


async def test_button_click_updates_the_message(fake_discord: FakeDiscord, bot: SampleBot) -> None:
    alice = fake_discord.guild.add_member("alice")
    bob = fake_discord.guild.add_member("bob")
    reply = await fake_discord.slash(alice, "vote")
    assert reply.content == "Yes: 0 / No: 0"
    assert reply.component(label="Yes")["custom_id"] == "vote:yes"

    first = await fake_discord.click(alice, reply, label="Yes")
    second = await fake_discord.click(bob, reply, custom_id="vote:no")

    assert first.type == 7
    assert second.type == 7
    assert second.content == "Yes: 1 / No: 1"
    assert reply.content == "Yes: 1 / No: 1"  # the same message, edited twice
    assert len(fake_discord.message_edits(reply.message["id"])) == 2  # type: ignore[index]


async def test_select_menu(fake_discord: FakeDiscord, bot: SampleBot) -> None:
    alice = fake_discord.guild.add_member("alice")
    reply = await fake_discord.slash(alice, "vote")
    picked = await fake_discord.select(alice, reply, "vote:paper", ["rl-basics"])
    assert picked.content == "You picked rl-basics"
    assert picked.ephemeral
    with pytest.raises(CommandUnavailable, match="no option"):
        await fake_discord.select(alice, reply, "vote:paper", ["unknown"])


async def test_user_select(fake_discord: FakeDiscord, bot: SampleBot) -> None:
    alice = fake_discord.guild.add_member("alice")
    bob = fake_discord.guild.add_member("bob", global_name="Bob B")
    reply = await fake_discord.slash(alice, "vote")
    picked = await fake_discord.select(alice, reply, "vote:host", [bob])
    assert picked.content == "Host: Bob B"


async def test_modal_with_labels_radio_checkbox_and_file_upload(
    fake_discord: FakeDiscord, bot: SampleBot
) -> None:
    alice = fake_discord.guild.add_member("alice")
    reply = await fake_discord.slash(alice, "propose")
    assert reply.modal is not None
    assert [c["type"] for c in reply.modal["components"]] == [18, 18, 18, 18]

    submitted = await fake_discord.submit_modal(
        alice,
        reply,
        {"paper": "Attention", "kind": "survey", "online": True, "pdf": [("a.pdf", b"%PDF")]},
    )

    assert submitted.content == "Attention (survey, online=True, files=['a.pdf'])"


async def test_modal_submit(fake_discord: FakeDiscord, bot: SampleBot) -> None:
    alice = fake_discord.guild.add_member("alice")
    reply = await fake_discord.slash(alice, "feedback")
    assert reply.type == 9
    assert reply.modal is not None
    assert reply.modal["title"] == "Session feedback"

    thanks = await fake_discord.submit_modal(alice, reply, {"comment": "Great paper"})
    assert thanks.content == "Thanks for: Great paper"
    with pytest.raises(CommandUnavailable, match="no input"):
        await fake_discord.submit_modal(alice, reply, {"comment": "ok", "other": "x"})
    with pytest.raises(CommandUnavailable, match="is required"):
        await fake_discord.submit_modal(alice, reply, {})


async def test_message_and_user_context_menus(fake_discord: FakeDiscord, bot: SampleBot) -> None:
    alice = fake_discord.guild.add_member("alice", global_name="Alice A")
    posted = await fake_discord.post_message(
        fake_discord.guild.default_channel, alice, "Nice paper"
    )

    logged = await fake_discord.message_command(alice, "Log as discussion comment", posted)
    assert logged.content == "Logged: Nice paper by Alice A"
    assert logged.ephemeral
    data = logged.record.payload["data"]
    assert data["type"] == 3
    assert data["target_id"] == posted["id"]
    assert posted["id"] in data["resolved"]["messages"]

    greeted = await fake_discord.user_command(alice, "Greet", alice)
    assert greeted.content == "Hi Alice A"


async def test_deferred_command_completed_by_follow_up(
    fake_discord: FakeDiscord, bot: SampleBot
) -> None:
    alice = fake_discord.guild.add_member("alice")
    reply = await fake_discord.slash(alice, "slow")
    assert reply.deferred
    assert reply.type == 5
    assert reply.content == ""

    bot.release_slow.set()
    await reply.final()
    followups = await reply.wait_followups(2)

    assert reply.content == "followed up"  # the first follow-up replaces "thinking..."
    assert [m["content"] for m in followups] == ["followed up", "second follow-up"]
    assert followups[1]["flags"] & 64  # ephemeral


async def test_deferred_command_completed_by_editing_the_original(
    fake_discord: FakeDiscord, bot: SampleBot
) -> None:
    alice = fake_discord.guild.add_member("alice")
    reply = await fake_discord.slash(alice, "slow", edit=True)
    bot.release_slow.set()
    assert (await reply.final()).content == "edited answer"
    assert reply.followups == []


async def test_attachment_option_is_readable_and_files_come_back(
    fake_discord: FakeDiscord, bot: SampleBot
) -> None:
    alice = fake_discord.guild.add_member("alice")
    reply = await fake_discord.slash(alice, "upload", file=("notes.txt", b"hello"))
    assert reply.content == "notes.txt: hello"
    assert [(f.name, f.data) for f in reply.files] == [("reversed.txt", b"olleh")]
    multipart = await fake_discord.wait_for_request("POST", r"/interactions/.*/callback")
    assert multipart.files
    assert multipart.json["data"]["attachments"][0]["id"] == 0

    again = await fake_discord.slash(alice, "upload", file=Upload("a.md", b"# hi", "text/markdown"))
    assert again.content == "a.md: # hi"


async def test_fallback_to_the_tree_when_nothing_was_registered(
    fake_discord: FakeDiscord, start_client: StartClient
) -> None:
    class Unsynced(discord.Client):
        def __init__(self) -> None:
            super().__init__(intents=discord.Intents.default(), guild_ready_timeout=0.05)
            self.tree = discord.app_commands.CommandTree(self)

            @self.tree.command(description="echo")
            async def echo(interaction: discord.Interaction, text: str, times: int = 1) -> None:
                await interaction.response.send_message(text * times)

    client = Unsynced()
    await start_client(client)
    assert fake_discord.registered_commands() == []
    alice = fake_discord.guild.add_member("alice")
    assert (await fake_discord.slash(alice, "echo", text="ab", times=2)).content == "abab"


class SyncsWhenChanged(discord.Client):
    """Syncs its tree only when the registered commands differ, like a careful bot."""

    def __init__(self) -> None:
        super().__init__(intents=discord.Intents.default(), guild_ready_timeout=0.05)
        self.tree = discord.app_commands.CommandTree(self)

        @self.tree.command(description="ping")
        async def ping(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("pong")

    def local(self) -> list[dict[str, object]]:
        return [c.to_dict(self.tree) for c in self.tree.get_commands()]

    async def setup_hook(self) -> None:
        remote = await self.tree.fetch_commands()
        if sorted(c.name for c in remote) != sorted(str(c["name"]) for c in self.local()):
            await self.tree.sync()


@pytest.mark.parametrize("registered", [["ping"], ["old"]], ids=["unchanged", "changed"])
async def test_pre_registered_commands(
    fake_discord: FakeDiscord, start_client: StartClient, registered: list[str]
) -> None:
    client = SyncsWhenChanged()
    fake_discord.register_commands([{**client.local()[0], "name": n} for n in registered])

    await start_client(client)

    puts = fake_discord.requests_matching("PUT", r"/applications/\d+/commands")
    assert len(puts) == (0 if registered == ["ping"] else 1)
    alice = fake_discord.guild.add_member("alice")
    assert (await fake_discord.slash(alice, "ping")).content == "pong"
