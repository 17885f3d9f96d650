"""Run-time permission checks for interactions (never only Discord's default permissions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.container import Services
from bot.errors import InvalidInput
from bot.guilds import is_organizer, require_organizer
from bot.llm.cooldown import CoolingDown
from bot.ui.autocomplete import services_of
from bot.ui.errors import undo_on_error
from storage.models import GuildConfig

T = TypeVar("T")


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


def llm_turn(
    what: str, *, when: Callable[[app_commands.Namespace], bool] | None = None
) -> Callable[[T], T]:
    """A command that makes the model work: one use per member per LLM_COOLDOWN_SECONDS
    (organizers are not limited; ``when`` limits it to some uses, e.g. ``refresh:true``).
    The turn is given back if the command fails."""

    async def predicate(interaction: discord.Interaction) -> bool:
        if when is not None and not when(interaction.namespace):
            return True
        services = services_of(interaction)
        organizer = await member_is_organizer(interaction, services)
        member = None if organizer else interaction.user.id
        cooldown = services.llm.cooldown
        try:
            turn = cooldown.claim(guild_id_of(interaction), member, what)
        except CoolingDown as exc:
            raise app_commands.CheckFailure(str(exc)) from exc
        if turn is not None:
            undo_on_error(interaction, lambda: cooldown.release(turn))
        return True

    check: Callable[[T], T] = app_commands.check(predicate)
    return check


def option_set(name: str) -> Callable[[app_commands.Namespace], bool]:
    """``when`` for :func:`llm_turn`: the boolean option ``name`` is true."""

    def chosen(namespace: app_commands.Namespace) -> bool:
        value: Any = getattr(namespace, name, None)
        return bool(value)

    return chosen
