"""/summarize: an LLM summary of a session's papers and discussion, with open research
questions.

Checks what it can first, then defers (the model may take far longer than Discord's 3 s)
and posts the stored result split into messages within Discord's limits; errors are shown
only to the member who asked. The text is model output: it is escaped
and sent with mentions disabled.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import ReadingGroupBot
from bot.container import Services
from bot.ui import options
from bot.ui.autocomplete import session_choices
from bot.ui.checks import guild_id_of, llm_turn, option_set
from bot.ui.discussion import summary_messages


class SummariesCog(commands.Cog):
    def __init__(self, bot: ReadingGroupBot) -> None:
        self.bot = bot

    @property
    def services(self) -> Services:
        return self.bot.services

    @app_commands.command(
        name="summarize", description="Summary and open research questions of a session (LLM)"
    )
    @app_commands.describe(
        session=options.SESSION_DEFAULT,
        refresh="Ask the model again even if the papers and comments did not change",
    )
    @app_commands.autocomplete(session=session_choices)
    @app_commands.guild_only()
    @llm_turn("a fresh summary", when=option_set("refresh"))
    async def summarize(
        self, interaction: discord.Interaction, session: int | None = None, refresh: bool = False
    ) -> None:
        guild_id = guild_id_of(interaction)
        # What can be refused at once is, before deferring: answers only the member sees.
        self.services.llm.require_enabled()
        session_id = (
            None if session is None else await self.services.schedule.id_for(guild_id, session)
        )
        view = await self.services.discussion.resolve_session(
            guild_id, session_id, thread_id=interaction.channel_id
        )
        await interaction.response.defer(thinking=True)
        # A failure from here on reaches only the member too (bot.ui.errors removes the
        # public "thinking…" placeholder before answering).
        result = await self.services.llm.summarize(guild_id, view.id, refresh=refresh)
        for text in summary_messages(result.session, result.summary, cached=result.cached):
            await interaction.followup.send(text, allowed_mentions=discord.AllowedMentions.none())
