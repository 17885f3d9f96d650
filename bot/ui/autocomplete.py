"""Autocomplete callbacks backed by the repositories, scoped by server, ≤ 25 choices."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import discord
from discord import app_commands

from bot.dates import search_timezones
from bot.ui.render import choice_name

if TYPE_CHECKING:
    from bot.app import ReadingGroupBot
    from bot.container import Services

MAX_CHOICES = 25


def bot_of(interaction: discord.Interaction) -> ReadingGroupBot:
    """The bot that received the interaction (always ours: it is the only client)."""
    return cast("ReadingGroupBot", interaction.client)


def services_of(interaction: discord.Interaction) -> Services:
    """The services of the bot that received the interaction."""
    return bot_of(interaction).services


async def session_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[int]]:
    if interaction.guild_id is None:
        return []
    services = services_of(interaction)
    config = await services.guilds.get(interaction.guild_id)
    text = current.strip().lstrip("#")
    views = []
    if text.isdigit():
        try:
            views = [await services.schedule.by_number(interaction.guild_id, int(text))]
        except Exception:
            views = []
    views += await services.schedule.search(interaction.guild_id, current, limit=MAX_CHOICES)
    seen: set[int] = set()
    choices = []
    for view in views:
        if view.id in seen:
            continue
        seen.add(view.id)
        choices.append(app_commands.Choice(name=choice_name(view, config), value=view.number))
    return choices[:MAX_CHOICES]


async def block_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    if interaction.guild_id is None:
        return []
    names = await services_of(interaction).schedule.block_names(interaction.guild_id, current)
    return [app_commands.Choice(name=n[:100], value=n[:100]) for n in names[:MAX_CHOICES]]


async def timezone_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=n, value=n) for n in search_timezones(current, MAX_CHOICES)]
