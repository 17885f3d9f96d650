"""/comment and the "Log as discussion comment" message menu: the discussion log of a session.

Thin: read the interaction → call the discussion service → reply. A comment is saved before
any reply, so a Discord failure afterwards never loses it. The message menu needs no
privileged intent: the interaction carries the message it was used on, text included.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot import notices
from bot.app import ReadingGroupBot
from bot.discussion.service import IMPORT_LIMIT, ImportResult, IncomingMessage, comment_preview
from bot.errors import NotFound, PermissionDenied, ServiceUnavailable
from bot.guilds import is_organizer
from bot.schedule.service import headline
from bot.ui import options
from bot.ui.autocomplete import services_of, session_choices
from bot.ui.checks import ensure_organizer, guild_id_of, manages_server, member_role_ids
from bot.ui.cog import FeatureCog
from bot.ui.comment_form import CommentModal
from bot.ui.discussion import comment_choice, comments_embed, plain, session_title
from bot.ui.errors import send_ephemeral
from bot.ui.paging import PageRenderer, send_paged
from bot.ui.reactions.thread_opener import THREAD_PERMISSION_NOTICE, thread_name

log = logging.getLogger(__name__)

MENU_NAME = "Log as discussion comment"
PREVIEW = 300  # characters of a comment quoted in a confirmation
PAGE_SOURCE = "comments"


async def comment_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[int]]:
    if interaction.guild_id is None:
        return []
    found = await services_of(interaction).discussion.search(interaction.guild_id, current)
    return [app_commands.Choice(name=comment_choice(c), value=c.number) for c in found][:25]


def message_text(message: discord.Message) -> str:
    """The text of a message as members read it: mentions shown as names (never pinging),
    attachments as their file names."""
    text = message.clean_content
    files = [f"📎 {a.filename}" for a in message.attachments]
    return "\n".join([text, *files]).strip() if files else text


def incoming(message: discord.Message, guild_id: int) -> IncomingMessage:
    author = message.author
    return IncomingMessage(
        message_id=message.id,
        author_id=author.id,
        author_name=getattr(author, "display_name", None) or author.name,
        text=message_text(message),
        channel_id=message.channel.id,
        jump_url=f"https://discord.com/channels/{guild_id}/{message.channel.id}/{message.id}",
        created_at=message.created_at,
        from_bot=author.bot or message.is_system(),
    )


def import_report(result: ImportResult) -> str:
    lines = [
        f"Imported {result.added} message{'s' if result.added != 1 else ''} from the thread "
        f"into the log of session {session_title(result.session)}."
    ]
    if result.already:
        lines.append(f"{result.already} were already in the log (kept once).")
    if result.skipped_bots:
        lines.append(f"{result.skipped_bots} bot or system messages were left out.")
    if result.too_long:
        lines.append(f"{result.too_long} messages were too long to log.")
    if result.without_text:
        lines.append(
            f"⚠️ Discord gave me no text for {result.without_text} messages: reading a "
            "thread's history needs the Message Content intent (Developer Portal → Bot, then "
            "MESSAGE_CONTENT_INTENT=true). Without it, log messages one by one with the "
            f"message menu Apps → {MENU_NAME}, which needs no intent."
        )
    return "\n".join(lines)


class DiscussionCog(
    FeatureCog, group_name="comment", group_description="The discussion log of a session"
):
    page_source = PAGE_SOURCE

    def __init__(self, bot: ReadingGroupBot) -> None:
        self.menu = app_commands.guild_only(
            app_commands.ContextMenu(name=MENU_NAME, callback=self.log_message)
        )
        super().__init__(bot)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)
        await super().cog_load()

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)
        await super().cog_unload()

    async def _confirm(self, interaction: discord.Interaction, text: str) -> None:
        """Answer after the comment was saved; a Discord failure here loses nothing."""
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.response.send_message(text, ephemeral=True)
        except discord.HTTPException as exc:
            log.warning(
                "comment saved, but the confirmation failed (guild %s, HTTP %s)",
                interaction.guild_id,
                exc.status,
            )

    # ------------------------------------------------------------------ logging

    async def log_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        guild_id = guild_id_of(interaction)
        logged = await self.services.discussion.log_message(
            guild_id,
            incoming(message, guild_id),
            logged_by=interaction.user.id,
            thread_id=interaction.channel_id,
        )
        where = session_title(logged.session)
        if logged.created:
            text = (
                f"Logged {plain(logged.comment.author_name)}'s message as comment "
                f"#{logged.comment.number} on session {where}."
            )
        else:
            text = (
                f"That message is already in the log as comment #{logged.comment.number} on "
                f"session {where}; nothing was added."
            )
        await self._confirm(interaction, text)

    @app_commands.command(name="add", description="Log a comment on a session")
    @app_commands.describe(
        text="Your comment, e.g. 'Fig. 2 is unclear.' Leave it out for a form for long notes",
        session=options.SESSION_DEFAULT,
    )
    @app_commands.autocomplete(session=session_choices)
    async def add(
        self,
        interaction: discord.Interaction,
        text: options.CommentText | None = None,
        session: int | None = None,
    ) -> None:
        if text is not None:
            await self._add(interaction, text, session)
            return
        # The session is settled before the form opens: a wrong one is said before typing.
        guild_id = guild_id_of(interaction)
        view = await self.services.discussion.resolve_session(
            guild_id, await self._session_id(guild_id, session), thread_id=interaction.channel_id
        )

        async def submitted(form: discord.Interaction, long_text: str) -> None:
            await self._add(form, long_text, view.number)

        label = f"#{view.number} · {headline(view)}"
        await interaction.response.send_modal(CommentModal(label, on_submit=submitted))

    async def _add(self, interaction: discord.Interaction, text: str, session: int | None) -> None:
        user = interaction.user
        guild_id = guild_id_of(interaction)
        logged = await self.services.discussion.add(
            guild_id,
            text=text,
            author_id=user.id,
            author_name=getattr(user, "display_name", None) or user.name,
            session_id=await self._session_id(guild_id, session),
            thread_id=interaction.channel_id,
        )
        length = len(logged.comment.text)
        size = f" ({length:,} characters)" if length > PREVIEW else ""
        await self._confirm(
            interaction,
            f"Logged comment #{logged.comment.number}{size} on session "
            f"{session_title(logged.session)}:\n> "
            f"{plain(comment_preview(logged.comment, PREVIEW))}",
        )

    # ------------------------------------------------------------------ reading

    @app_commands.command(name="list", description="The comments logged on a session")
    @app_commands.describe(
        session=options.SESSION_DEFAULT,
        private=options.PRIVATE_LIST,
    )
    @app_commands.autocomplete(session=session_choices)
    async def list_(
        self,
        interaction: discord.Interaction,
        session: int | None = None,
        private: bool = False,
    ) -> None:
        guild_id = guild_id_of(interaction)
        view = await self.services.discussion.resolve_session(
            guild_id, await self._session_id(guild_id, session), thread_id=interaction.channel_id
        )
        render = self._pages(guild_id, view.id)
        await send_paged(interaction, PAGE_SOURCE, str(view.id), render, ephemeral=private)

    async def _session_id(self, guild_id: int, number: int | None) -> int | None:
        """The session a member named by its number, if any (else the service picks one)."""
        return None if number is None else await self.services.schedule.id_for(guild_id, number)

    def _pages(self, guild_id: int, session_id: int) -> PageRenderer:
        async def render(number: int) -> tuple[discord.Embed, int, int]:
            page = await self.services.discussion.page(guild_id, session_id, number=number)
            return comments_embed(page), page.number, page.pages

        return render

    async def pages_of_state(self, interaction: discord.Interaction, state: str) -> PageRenderer:
        """The list a page button of /comment list shows (the session id)."""
        if not state.isdigit():
            raise NotFound("This list can no longer be paged; run /comment list again.")
        return self._pages(guild_id_of(interaction), int(state))

    # ------------------------------------------------------------------ changing

    @app_commands.command(name="remove", description="Remove a comment (its author or organizers)")
    @app_commands.describe(comment="The comment to remove")
    @app_commands.autocomplete(comment=comment_choices)
    async def remove(self, interaction: discord.Interaction, comment: int) -> None:
        guild_id = guild_id_of(interaction)
        config = await self.services.guilds.get(guild_id)
        organizer = is_organizer(
            config, member_role_ids(interaction), manages_server=manages_server(interaction)
        )
        removed = await self.services.discussion.remove(
            guild_id,
            await self.services.discussion.id_for(guild_id, comment),
            actor_id=interaction.user.id,
            organizer=organizer,
        )
        await self._confirm(
            interaction,
            f"Removed comment #{removed.number}:\n> {plain(comment_preview(removed, 300))}",
        )

    @app_commands.command(
        name="pin", description="Pin a comment to the exported schedule's Comments column"
    )
    @app_commands.describe(comment="The comment", unpin="Unpin it instead")
    @app_commands.autocomplete(comment=comment_choices)
    async def pin(
        self, interaction: discord.Interaction, comment: int, unpin: bool = False
    ) -> None:
        await ensure_organizer(interaction, self.services)
        with notices.collect() as collected:
            guild_id = guild_id_of(interaction)
            pinned, changed = await self.services.discussion.set_pinned(
                guild_id, await self.services.discussion.id_for(guild_id, comment), not unpin
            )
        state = "unpinned" if unpin else "pinned"
        if not changed:
            text = f"Comment #{pinned.number} was already {state}."
        elif unpin:
            text = f"Unpinned comment #{pinned.number}: it leaves the exported schedule."
        else:
            text = (
                f"Pinned comment #{pinned.number}: it goes to the Comments column of the exported "
                f"schedule.\n> {plain(comment_preview(pinned, 300))}"
            )
        await self._confirm(interaction, notices.appended(text, collected))

    # ------------------------------------------------------------------ threads

    @app_commands.command(
        name="threads", description="Open a discussion thread on each session announcement"
    )
    @app_commands.describe(enabled="On: announcements open a thread per session")
    async def threads(self, interaction: discord.Interaction, enabled: bool) -> None:
        await ensure_organizer(interaction, self.services)
        await self.services.guilds.update(guild_id_of(interaction), threads_enabled=enabled)
        if enabled:
            text = (
                "Per-session threads are on: each session announcement opens a discussion "
                "thread. `/comment open-thread` opens one now; `/comment import-thread` "
                "copies a thread's messages into the log afterwards."
            )
        else:
            text = "Per-session threads are off; existing threads stay as they are."
        await send_ephemeral(interaction, text)

    @app_commands.command(
        name="open-thread", description="Open the discussion thread of a session here"
    )
    @app_commands.describe(session=options.SESSION_DEFAULT)
    @app_commands.autocomplete(session=session_choices)
    async def open_thread(
        self, interaction: discord.Interaction, session: int | None = None
    ) -> None:
        await ensure_organizer(interaction, self.services)
        guild_id = guild_id_of(interaction)
        view = await self.services.discussion.resolve_session(
            guild_id, await self._session_id(guild_id, session)
        )
        if view.session.thread_id:
            await send_ephemeral(
                interaction,
                f"Session {session_title(view)} already has its thread: "
                f"<#{view.session.thread_id}>.",
            )
            return
        channel = interaction.channel
        if not isinstance(channel, discord.TextChannel):
            raise PermissionDenied(
                "Run this in a text channel (not a thread or a voice channel): the thread "
                "opens there."
            )
        await interaction.response.defer(thinking=True)
        try:
            thread = await channel.create_thread(
                name=thread_name(view),
                type=discord.ChannelType.public_thread,
                auto_archive_duration=10080,
            )
        except discord.Forbidden:
            raise PermissionDenied(THREAD_PERMISSION_NOTICE) from None
        await self.services.discussion.attach_thread(guild_id, view.id, thread.id)
        try:
            await thread.send(
                f"Discussion of session {session_title(view)}: write here. Organizers copy "
                "this thread into the log with `/comment import-thread`."
            )
        except discord.HTTPException as exc:
            log.warning("thread %s opened, but the intro failed (HTTP %s)", thread.id, exc.status)
        await interaction.followup.send(
            f"Opened {thread.mention} for the discussion of session {session_title(view)}."
        )

    @app_commands.command(
        name="import-thread", description="Copy a session thread's messages into the log"
    )
    @app_commands.describe(session="The session (default: the thread you are in, or the last one)")
    @app_commands.autocomplete(session=session_choices)
    async def import_thread(
        self, interaction: discord.Interaction, session: int | None = None
    ) -> None:
        await ensure_organizer(interaction, self.services)
        guild_id = guild_id_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        view = await self.services.discussion.resolve_session(
            guild_id, await self._session_id(guild_id, session), thread_id=interaction.channel_id
        )
        thread_id = view.session.thread_id
        if not thread_id:
            raise NotFound(
                f"Session {session_title(view)} has no discussion thread: open one with "
                "`/comment open-thread`."
            )
        thread = await self._thread(thread_id)
        guild = interaction.guild
        if guild is not None and not thread.permissions_for(guild.me).read_message_history:
            raise PermissionDenied(
                f"I cannot read <#{thread_id}>: give my role View Channel and Read Message "
                "History there."
            )
        try:
            messages = [
                incoming(m, guild_id)
                async for m in thread.history(limit=IMPORT_LIMIT, oldest_first=True)
            ]
        except discord.Forbidden:
            raise PermissionDenied(
                f"I cannot read <#{thread_id}>: give my role View Channel and Read Message "
                "History there."
            ) from None
        result = await self.services.discussion.import_messages(
            guild_id, view.id, messages, logged_by=interaction.user.id
        )
        await self._confirm(interaction, import_report(result))

    async def _thread(self, thread_id: int) -> discord.Thread:
        cached = self.bot.get_channel(thread_id)
        if isinstance(cached, discord.Thread):
            return cached
        try:
            channel = await self.bot.fetch_channel(thread_id)
        except discord.NotFound:
            raise NotFound("The session's thread no longer exists.") from None
        except discord.Forbidden:
            raise PermissionDenied(
                "I cannot see the session's thread: give my role View Channel there."
            ) from None
        except discord.HTTPException as exc:
            raise ServiceUnavailable(
                f"Discord did not give me the thread (HTTP {exc.status}); try again later."
            ) from None
        if not isinstance(channel, discord.Thread):
            raise NotFound("The session's thread is not a thread any more.")
        return channel
