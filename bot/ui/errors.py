"""The one path by which interaction failures reach a member.

Every app-command error, and every error of a view or modal, ends in :func:`report_error`:
a :class:`~bot.errors.UserError` is shown as it is; anything unexpected is logged with a
short error id and the member sees only that id. Replies are ephemeral and mention nobody.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands

from bot.errors import UserError

log = logging.getLogger("bot.errors")

_PERMISSION_NAMES = {
    "manage_guild": "Manage Server",
    "manage_events": "Manage Events",
    "manage_roles": "Manage Roles",
    "manage_messages": "Manage Messages",
    "send_messages": "Send Messages",
    "embed_links": "Embed Links",
    "attach_files": "Attach Files",
    "read_message_history": "Read Message History",
    "create_public_threads": "Create Public Threads",
}


def _permission_list(names: list[str]) -> str:
    return ", ".join(_PERMISSION_NAMES.get(n, n.replace("_", " ").title()) for n in names)


def _command_name(interaction: discord.Interaction) -> str:
    command = interaction.command
    if command is not None:
        return f"/{command.qualified_name}"
    data: Any = interaction.data or {}
    custom_id = data.get("custom_id") if isinstance(data, dict) else None
    return f"component {custom_id!r}" if custom_id else "interaction"


def _unwrap(error: BaseException) -> BaseException:
    if isinstance(error, app_commands.CommandInvokeError):
        return error.original
    if isinstance(error, app_commands.TransformerError) and isinstance(error.__cause__, UserError):
        return error.__cause__
    return error


def describe_error(interaction: discord.Interaction, error: BaseException) -> str:
    """The message a member sees for ``error``; logs unexpected errors with an id."""
    original = _unwrap(error)
    if isinstance(original, UserError):
        return str(original)
    if isinstance(original, app_commands.TransformerError):
        return f"I could not understand {original.value!r} for this option."
    if isinstance(original, app_commands.MissingPermissions):
        return f"You need the {_permission_list(original.missing_permissions)} permission for this."
    if isinstance(original, app_commands.BotMissingPermissions):
        return (
            f"I need the {_permission_list(original.missing_permissions)} permission here; "
            "ask a server admin to grant it."
        )
    if isinstance(original, app_commands.NoPrivateMessage):
        return "This command works only inside a server."
    if isinstance(original, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {original.retry_after:.0f} s."
    if isinstance(original, app_commands.CheckFailure):
        return str(original) or "You cannot use this command here."
    if isinstance(original, discord.Forbidden):
        return (
            "Discord refused: I lack a permission for that in this channel "
            f"({original.text or 'missing permissions'})."
        )
    error_id = secrets.token_hex(4)
    log.error(
        "error id %s in %s (guild %s, user %s)",
        error_id,
        _command_name(interaction),
        interaction.guild_id,
        interaction.user.id,
        exc_info=(type(original), original, original.__traceback__),
    )
    return (
        f"Something went wrong on my side (error id `{error_id}`). Nothing you entered was "
        "lost; an organizer can find the details in the bot's log under that id."
    )


async def _drop_public_placeholder(interaction: discord.Interaction) -> None:
    """After a public deferral the first follow-up replaces the "thinking…" message and is
    shown to everyone, whatever its flags; remove the placeholder first so an error reaches
    only the member who ran the command."""
    if interaction.response.type is not discord.InteractionResponseType.deferred_channel_message:
        return
    try:
        original = await interaction.original_response()
        if original.flags.loading and not original.flags.ephemeral:
            await interaction.delete_original_response()
    except discord.HTTPException as exc:
        log.debug("could not check the deferred response of %s: %s", interaction.id, exc)


async def send_ephemeral(interaction: discord.Interaction, message: str) -> None:
    """Answer with an ephemeral message, whether or not the interaction was answered."""
    try:
        if interaction.response.is_done():
            await _drop_public_placeholder(interaction)
            await interaction.followup.send(
                message, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
        else:
            await interaction.response.send_message(
                message, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
    except discord.HTTPException as exc:
        log.warning("could not deliver an error message to %s: %s", interaction.user, exc)


UNDO_KEY = "undo_on_error"


def undo_on_error(interaction: discord.Interaction, undo: Callable[[], None]) -> None:
    """Run ``undo`` if the interaction ends in an error (e.g. give back a claimed turn)."""
    interaction.extras.setdefault(UNDO_KEY, []).append(undo)


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    for undo in interaction.extras.pop(UNDO_KEY, []):
        try:
            undo()
        except Exception:
            log.exception("undoing after an error failed")
    await send_ephemeral(interaction, describe_error(interaction, error))


class ReportingTree(app_commands.CommandTree):
    """A command tree whose errors all go through :func:`report_error`."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await report_error(interaction, error)
