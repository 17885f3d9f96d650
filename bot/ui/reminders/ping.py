"""The opt-in ping role of reminders: which roles are safe, the button and the toggle.

Lead reminders ping one role that members give themselves (the button under a reminder, or
``/reminders ping``), so that role must carry no power and the bot must be able to manage it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.errors import NotConfigured
from bot.ui.autocomplete import services_of
from bot.ui.checks import guild_id_of
from bot.ui.errors import report_error, send_ephemeral
from bot.ui.render import escape
from storage.models import GuildConfig

if TYPE_CHECKING:
    from bot.container import Services

PING_BUTTON_ID = "reminders:ping-toggle"

# A role anyone may give themselves with the button must not carry power.
ELEVATED = discord.Permissions(
    administrator=True,
    manage_guild=True,
    manage_roles=True,
    manage_channels=True,
    manage_messages=True,
    manage_webhooks=True,
    manage_threads=True,
    manage_nicknames=True,
    manage_events=True,
    manage_expressions=True,
    kick_members=True,
    ban_members=True,
    moderate_members=True,
    mention_everyone=True,
    view_audit_log=True,
)


def ping_role_problem(role: discord.Role, config: GuildConfig) -> str | None:
    """Why ``role`` cannot be the opt-in reminder role (anyone can take it), or None."""
    if role.is_default():
        return (
            "@everyone cannot be the reminder role: reminders never ping everyone. Create a "
            "role members opt in to (e.g. 'Reading pings') and choose it."
        )
    if role.managed:
        return "That role is managed by an integration or a bot; choose a plain role."
    if config.organizer_role_id is not None and role.id == config.organizer_role_id:
        return "The organizer role cannot be the reminder role: anyone can take the latter."
    if role.permissions.value & ELEVATED.value:
        return (
            f"The role {escape(role.name)} carries moderator permissions, and anyone can give "
            "it to themselves with the reminder button. Choose a role without permissions."
        )
    return None


def ping_role_warnings(role: discord.Role, guild: discord.Guild | None) -> list[str]:
    """Things an organizer should fix so the role works (it is saved anyway)."""
    me = guild.me if guild is not None else None
    if me is None:
        return []
    warnings = []
    if not me.guild_permissions.manage_roles:
        warnings.append("Give my role Manage Roles so members can opt in with the button.")
    elif role >= me.top_role:
        warnings.append(
            f"Move my role above {escape(role.name)} (Server Settings → Roles) so I can add "
            "members to it."
        )
    if not role.mentionable and not me.guild_permissions.mention_everyone:
        warnings.append(
            f"{escape(role.name)} is not mentionable: turn on 'Allow anyone to @mention this "
            "role', or the reminders will not notify its members."
        )
    return warnings


async def toggle_ping_role(
    interaction: discord.Interaction, services: Services, want: bool | None
) -> str:
    """Add or remove the member's opt-in role; ``want`` None flips it."""
    guild_id = guild_id_of(interaction)
    config = await services.guilds.fresh(guild_id)
    if config.ping_role_id is None:
        raise NotConfigured(
            "This server has no reminder role yet; organizers choose one with "
            "`/reminders set ping_role:…`."
        )
    guild = interaction.guild
    member = interaction.user
    role = guild.get_role(config.ping_role_id) if guild is not None else None
    if role is None or not isinstance(member, discord.Member):
        raise NotConfigured(
            "The reminder role no longer exists; ask an organizer to choose one with "
            "`/reminders set ping_role:…`."
        )
    problem = ping_role_problem(role, config)
    if problem is not None:
        raise NotConfigured(f"{problem} (Ask an organizer.)")
    has = member.get_role(role.id) is not None
    target = (not has) if want is None else want
    if target == has:
        return (
            "You already get reminder pings."
            if has
            else "You do not get reminder pings (nothing to turn off)."
        )
    try:
        if target:
            await member.add_roles(role, reason="Opted in to reading-group reminder pings")
        else:
            await member.remove_roles(role, reason="Opted out of reading-group reminder pings")
    except discord.Forbidden:
        raise NotConfigured(
            f"I cannot change the {escape(role.name)} role: I need Manage Roles and my role "
            "must be above it. Ask an organizer."
        ) from None
    if target:
        return f"Done: reminders will ping you ({escape(role.name)}). Turn it off the same way."
    return f"Done: reminders will no longer ping you ({escape(role.name)} removed)."


class PingRoleView(discord.ui.View):
    """The button under reminders. Persistent: a stable custom_id, registered at start-up,
    so it works on messages posted before a restart."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(
        label="Reminder pings on/off",
        emoji="🔔",
        style=discord.ButtonStyle.secondary,
        custom_id=PING_BUTTON_ID,
    )
    async def toggle(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        message = await toggle_ping_role(interaction, services_of(interaction), None)
        await send_ephemeral(interaction, message)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await report_error(interaction, error)
