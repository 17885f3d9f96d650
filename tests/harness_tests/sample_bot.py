"""A small bot that exercises every kind of interaction the fake supports."""

from __future__ import annotations

import asyncio
import datetime as dt
import io

import discord
from discord import app_commands
from discord.ext import commands

SESSIONS = ["rlhf-survey", "rl-basics", "retrieval-augmented", "transformers"]


class VoteView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=60)
        self.votes = {"yes": 0, "no": 0}

    @discord.ui.button(label="Yes", custom_id="vote:yes", style=discord.ButtonStyle.success)
    async def yes(
        self, interaction: discord.Interaction, button: discord.ui.Button[VoteView]
    ) -> None:
        self.votes["yes"] += 1
        await interaction.response.edit_message(content=self.summary(), view=self)

    @discord.ui.button(label="No", custom_id="vote:no", style=discord.ButtonStyle.danger)
    async def no(
        self, interaction: discord.Interaction, button: discord.ui.Button[VoteView]
    ) -> None:
        self.votes["no"] += 1
        await interaction.response.edit_message(content=self.summary(), view=self)

    @discord.ui.select(
        custom_id="vote:paper",
        placeholder="Pick a paper",
        options=[discord.SelectOption(label=s, value=s) for s in SESSIONS],
    )
    async def paper(
        self, interaction: discord.Interaction, select: discord.ui.Select[VoteView]
    ) -> None:
        await interaction.response.send_message(f"You picked {select.values[0]}", ephemeral=True)

    @discord.ui.select(cls=discord.ui.UserSelect, custom_id="vote:host", placeholder="Host")
    async def host(
        self, interaction: discord.Interaction, select: discord.ui.UserSelect[VoteView]
    ) -> None:
        await interaction.response.send_message(f"Host: {select.values[0].display_name}")

    def summary(self) -> str:
        return f"Yes: {self.votes['yes']} / No: {self.votes['no']}"


class FeedbackModal(discord.ui.Modal, title="Session feedback"):
    comment: discord.ui.TextInput[FeedbackModal] = discord.ui.TextInput(
        label="Comment", custom_id="comment", max_length=200
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Thanks for: {self.comment.value}")


class ProposalModal(discord.ui.Modal, title="Propose a paper"):
    """A modal built from labels, with the newer input kinds."""

    def __init__(self) -> None:
        super().__init__()
        self.paper = discord.ui.TextInput(custom_id="paper", style=discord.TextStyle.paragraph)
        self.kind = discord.ui.RadioGroup(
            custom_id="kind",
            options=[
                discord.RadioGroupOption(label="Paper", value="paper"),
                discord.RadioGroupOption(label="Survey", value="survey"),
            ],
        )
        self.online = discord.ui.Checkbox(custom_id="online")
        self.pdf = discord.ui.FileUpload(custom_id="pdf", required=False)
        self.add_item(discord.ui.Label(text="Paper title", component=self.paper))
        self.add_item(discord.ui.Label(text="Kind", component=self.kind))
        self.add_item(discord.ui.Label(text="Online?", component=self.online))
        self.add_item(discord.ui.Label(text="PDF", component=self.pdf))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        files = [a.filename for a in self.pdf.values]
        await interaction.response.send_message(
            f"{self.paper.value} ({self.kind.value}, online={self.online.value}, files={files})"
        )


class SessionGroup(app_commands.Group, name="session", description="Reading sessions"):
    admin = app_commands.Group(name="admin", description="Session administration")

    @app_commands.command(name="add", description="Add a session")
    @app_commands.describe(date="ISO date", kind="What kind of session")
    @app_commands.choices(
        kind=[
            app_commands.Choice(name="Paper", value="paper"),
            app_commands.Choice(name="Discussion", value="discussion"),
        ]
    )
    async def add(
        self,
        interaction: discord.Interaction,
        date: str,
        kind: app_commands.Choice[str],
        host: discord.Member | None = None,
        duration: app_commands.Range[int, 15, 240] = 60,
        weight: float = 1.0,
        online: bool = False,
    ) -> None:
        who = host.display_name if host else "nobody"
        await interaction.response.send_message(
            f"{kind.value} on {date} hosted by {who} for {duration} min "
            f"(weight {weight:.1f}, online={online}, host type {type(host).__name__})"
        )

    @app_commands.command(name="show", description="Show a session")
    async def show(self, interaction: discord.Interaction, session: str) -> None:
        await interaction.response.send_message(f"Session {session}", ephemeral=True)

    @show.autocomplete("session")
    async def show_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=s, value=s) for s in SESSIONS if s.startswith(current)]

    @admin.command(name="reset", description="Reset everything")
    async def reset(self, interaction: discord.Interaction, confirm: bool) -> None:
        await interaction.response.send_message(f"reset confirmed={confirm}", ephemeral=True)


class SampleBot(commands.Bot):
    """Records what it saw so tests can assert on the client's side too."""

    def __init__(self, guild_id: int | None = None, **options: object) -> None:
        intents = discord.Intents.default()
        intents.message_content = True
        intents.members = True
        super().__init__(
            command_prefix="!",
            intents=intents,
            guild_ready_timeout=0.05,
            allowed_mentions=discord.AllowedMentions.none(),
            **options,  # type: ignore[arg-type]
        )
        self.guild_id = guild_id
        self.seen_messages: list[discord.Message] = []
        self.errors: list[BaseException] = []
        self.release_slow = asyncio.Event()
        self.slowpoke_delay = 0.3

    async def setup_hook(self) -> None:
        self.tree.add_command(SessionGroup())
        self.tree.on_error = self.on_tree_error
        self._add_commands()
        if self.guild_id is not None:
            guild = discord.Object(self.guild_id)

            @self.tree.command(name="guildping", description="Guild-only ping", guild=guild)
            async def guildping(interaction: discord.Interaction) -> None:
                await interaction.response.send_message("guild pong")

            await self.tree.sync(guild=guild)
        await self.tree.sync()

    def _add_commands(self) -> None:
        tree = self.tree

        @tree.command(description="Delete all sessions")
        @app_commands.default_permissions(manage_guild=True)
        async def purge(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("purged", ephemeral=True)

        @tree.command(description="Inspect a role, a channel and a member")
        async def inspect(
            interaction: discord.Interaction,
            role: discord.Role,
            where: discord.TextChannel,
            who: discord.Member,
        ) -> None:
            await interaction.response.send_message(
                f"role={role.name} where={where.name} who={who.display_name} "
                f"manage_guild={interaction.permissions.manage_guild}"
            )

        @tree.command(description="Upload a file")
        async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
            data = await file.read()
            await interaction.response.send_message(
                f"{file.filename}: {data.decode()}",
                file=discord.File(fp=io.BytesIO(data[::-1]), filename="reversed.txt"),
            )

        @tree.command(description="Start a vote")
        async def vote(interaction: discord.Interaction) -> None:
            view = VoteView()
            await interaction.response.send_message(view.summary(), view=view)

        @tree.command(description="Give feedback")
        async def feedback(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(FeedbackModal())

        @tree.command(description="Propose a paper")
        async def propose(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(ProposalModal())

        @tree.command(description="Think, then answer")
        async def slow(interaction: discord.Interaction, edit: bool = False) -> None:
            await interaction.response.defer(thinking=True)
            await self.release_slow.wait()
            if edit:
                await interaction.edit_original_response(content="edited answer")
            else:
                await interaction.followup.send("followed up")
                await interaction.followup.send("second follow-up", ephemeral=True)

        @tree.command(description="Answer too late")
        async def slowpoke(interaction: discord.Interaction) -> None:
            await asyncio.sleep(self.slowpoke_delay)
            await interaction.response.send_message("too late")

        @tree.command(description="Post something in a channel")
        async def announce(
            interaction: discord.Interaction, where: discord.TextChannel, text: str
        ) -> None:
            channel = self.get_channel(where.id)
            assert isinstance(channel, discord.TextChannel)
            try:
                message = await channel.send(text)
            except discord.Forbidden as exc:
                await interaction.response.send_message(f"forbidden {exc.code}", ephemeral=True)
                return
            except discord.HTTPException as exc:
                await interaction.response.send_message(f"failed {exc.status}", ephemeral=True)
                return
            await message.pin()
            await interaction.response.send_message(f"posted {message.id}", ephemeral=True)

        @tree.command(description="Schedule an event")
        async def schedule(
            interaction: discord.Interaction, name: str, description: str = ""
        ) -> None:
            assert interaction.guild is not None
            start = discord.utils.utcnow() + dt.timedelta(days=2)
            try:
                event = await interaction.guild.create_scheduled_event(
                    name=name,
                    description=description,
                    start_time=start,
                    end_time=start + dt.timedelta(hours=1),
                    entity_type=discord.EntityType.external,
                    privacy_level=discord.PrivacyLevel.guild_only,
                    location="Room 101",
                )
            except discord.Forbidden as exc:
                await interaction.response.send_message(f"forbidden {exc.code}")
                return
            await interaction.response.send_message(f"event {event.id}")

        @tree.command(description="Send a message that is too long")
        async def long(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("x" * 2001)

        @tree.context_menu(name="Log as discussion comment")
        async def log_comment(interaction: discord.Interaction, message: discord.Message) -> None:
            await interaction.response.send_message(
                f"Logged: {message.content} by {message.author.display_name}", ephemeral=True
            )

        @tree.context_menu(name="Greet")
        async def greet(interaction: discord.Interaction, member: discord.Member) -> None:
            await interaction.response.send_message(f"Hi {member.display_name}")

    async def on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        self.errors.append(error)
        text = f"Something went wrong: {type(getattr(error, 'original', error)).__name__}"
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)

    async def on_message(self, message: discord.Message) -> None:
        self.seen_messages.append(message)
