"""/help: a short tour of the bot's commands."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import ReadingGroupBot

EMBED_FIELD_LIMIT = 1024
EMBED_TOTAL_BUDGET = 5800  # Discord allows 6000 characters across a message's embeds


def _describe(command: app_commands.Command[Any, ..., Any] | app_commands.Group) -> list[str]:
    if isinstance(command, app_commands.Group):
        lines: list[str] = []
        for sub in command.commands:
            lines.extend(_describe(sub))
        return lines
    return [f"`/{command.qualified_name}` — {command.description}"]


class HelpCog(commands.Cog):
    def __init__(self, bot: ReadingGroupBot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="What this bot does and its commands")
    @app_commands.allowed_contexts(guilds=True, dms=True)  # the one command offered in DMs
    async def help(self, interaction: discord.Interaction) -> None:
        embed = discord.Embed(
            title="Reading group assistant",
            description=(
                "Schedules the group's sessions, reminds everyone, fetches arXiv metadata, "
                "logs the discussion and keeps the README-style schedule up to date."
            ),
            colour=discord.Colour.blurple(),
        )
        for top in sorted(self.bot.tree.get_commands(), key=lambda c: c.name):
            if not isinstance(top, app_commands.Command | app_commands.Group):
                continue
            lines = _describe(top)
            value = ""
            for line in lines:
                if len(value) + len(line) + 1 > EMBED_FIELD_LIMIT:
                    value += "…"
                    break
                value += line + "\n"
            value = value.strip() or "—"
            if (
                len(embed.fields) == 25
                or len(embed) + len(value) + len(top.name) + 1 > EMBED_TOTAL_BUDGET
            ):
                break
            embed.add_field(name=f"/{top.name}", value=value, inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: ReadingGroupBot) -> None:
    await bot.add_cog(HelpCog(bot))
