"""Run-time permission checks for interactions (never only Discord's default permissions)."""

from __future__ import annotations

import discord

from bot.container import Services
from bot.errors import InvalidInput
from bot.guilds import is_organizer, require_organizer
from storage.models import GuildConfig


def guild_id_of(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:
        raise InvalidInput("This command works only inside a server.")
    return interaction.guild_id


def member_role_ids(interaction: discord.Interaction) -> list[int]:
    user = interaction.user
    if isinstance(user, discord.Member):
        return [role.id for role in user.roles]
    return []


def manages_server(interaction: discord.Interaction) -> bool:
    perms = interaction.permissions
    return bool(perms.manage_guild or perms.administrator)


async def ensure_organizer(interaction: discord.Interaction, services: Services) -> GuildConfig:
    """The server's settings, once the member is known to be an organizer."""
    config = await services.guilds.get(guild_id_of(interaction))
    require_organizer(
        config, member_role_ids(interaction), manages_server=manages_server(interaction)
    )
    return config


async def member_is_organizer(interaction: discord.Interaction, services: Services) -> bool:
    """Whether the member is an organizer (for actions open to organizers *or* owners)."""
    config = await services.guilds.get(guild_id_of(interaction))
    return is_organizer(
        config, member_role_ids(interaction), manages_server=manages_server(interaction)
    )
