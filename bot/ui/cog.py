"""The base of the bot's slash-command groups.

A cog gets the bot and its services; its commands are offered inside servers only (never
in DMs: every command works on a server's data; only ``/help`` is offered everywhere).
When it shows a list with ◀ / ▶ buttons, names
its page source (``page_source``) and answers :meth:`pages_of_state`: the buttons of every
list it ever posted reach it, also after a restart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.ui.paging import PageRenderer

if TYPE_CHECKING:
    from bot.app import ReadingGroupBot
    from bot.container import Services


@app_commands.guild_only()
class FeatureCog(commands.GroupCog):
    page_source: ClassVar[str | None] = None

    def __init__(self, bot: ReadingGroupBot) -> None:
        self.bot = bot
        super().__init__()

    @property
    def services(self) -> Services:
        return self.bot.services

    async def cog_load(self) -> None:
        if self.page_source is not None:
            self.bot.page_sources.add(self.page_source, self.pages_of_state)

    async def cog_unload(self) -> None:
        if self.page_source is not None:
            self.bot.page_sources.remove(self.page_source)

    async def pages_of_state(self, interaction: discord.Interaction, state: str) -> PageRenderer:
        """The pages a button's ``state`` (what the list was) shows now."""
        raise NotImplementedError
