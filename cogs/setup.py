"""/setup: the server's time zone, meeting day and time, channels, roles, date format."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import ReadingGroupBot
from bot.dates import (
    DATE_FORMATS,
    WEEKDAYS,
    format_date,
    parse_time,
    timezone,
    utc_to_local,
)
from bot.guilds import EVENT_LOCATION_LIMIT, GROUP_NAME_LIMIT
from bot.text import check_text
from bot.ui import options
from bot.ui.autocomplete import timezone_choices
from bot.ui.checks import ensure_organizer, guild_id_of
from bot.ui.render import COLOUR, escape
from storage.models import GuildConfig

WEEKDAY_CHOICES = [app_commands.Choice(name=d.title(), value=i) for i, d in enumerate(WEEKDAYS)]
FORMAT_CHOICES = [app_commands.Choice(name=f, value=f) for f in DATE_FORMATS]


def settings_embed(config: GuildConfig, now_utc: Any) -> discord.Embed:
    local_now = utc_to_local(now_utc, config.timezone)
    meeting = "not set"
    if config.meeting_weekday is not None and config.meeting_time is not None:
        meeting = f"{WEEKDAYS[config.meeting_weekday].title()}s at {config.meeting_time:%H:%M}"
    elif config.meeting_time is not None:
        meeting = f"at {config.meeting_time:%H:%M}"

    def channel(cid: int | None) -> str:
        return f"<#{cid}>" if cid else "not set"

    embed = discord.Embed(title="Server settings", colour=COLOUR)
    embed.add_field(
        name="Time zone",
        value=f"{config.timezone} (now {format_date(local_now.date(), config.date_format)} "
        f"{local_now:%H:%M})",
        inline=False,
    )
    embed.add_field(name="Meetings", value=f"{meeting}, {config.session_minutes} minutes")
    embed.add_field(name="Date format", value=config.date_format)
    embed.add_field(name="Announcements", value=channel(config.announcement_channel_id))
    embed.add_field(
        name="Organizer role",
        value=f"<@&{config.organizer_role_id}>"
        if config.organizer_role_id
        else "not set (Manage Server only)",
    )
    location = (
        channel(config.event_channel_id)
        if config.event_channel_id
        else escape(config.event_location or "not set")
    )
    embed.add_field(
        name="Discord events",
        value=f"{'on' if config.events_enabled else 'off'}, location: {location}",
    )
    if config.group_name:
        embed.add_field(name="Group name", value=escape(config.group_name))
    return embed


class SetupCog(commands.Cog):
    def __init__(self, bot: ReadingGroupBot) -> None:
        self.bot = bot

    @app_commands.guild_only()
    @app_commands.command(name="setup", description="Server settings for the reading group")
    @app_commands.describe(
        timezone_name="The group's time zone (IANA name, e.g. Europe/Berlin)",
        meeting_day="Usual meeting weekday",
        meeting_time="Usual start time, e.g. 18:00",
        session_minutes="Usual length of a session in minutes",
        announcement_channel="Where announcements and reminders go",
        organizer_role="Members with this role manage the schedule",
        date_format="How dates are written",
        event_channel="Voice or stage channel for the Discord events of sessions",
        event_location="Or a location text for the events (e.g. a room or a video link)",
        events="Mirror sessions as Discord scheduled events",
        group_name="The group's name, used as the title of the exported schedule",
    )
    @app_commands.rename(timezone_name="timezone")
    @app_commands.choices(meeting_day=WEEKDAY_CHOICES)
    @app_commands.choices(date_format=FORMAT_CHOICES)
    @app_commands.autocomplete(timezone_name=timezone_choices)
    async def setup_(
        self,
        interaction: discord.Interaction,
        timezone_name: options.TimeZoneName | None = None,
        meeting_day: int | None = None,
        meeting_time: options.TimeText | None = None,
        session_minutes: options.Minutes | None = None,
        announcement_channel: discord.TextChannel | None = None,
        organizer_role: discord.Role | None = None,
        date_format: str | None = None,
        event_channel: discord.VoiceChannel | discord.StageChannel | None = None,
        event_location: options.EventLocation | None = None,
        events: bool | None = None,
        group_name: options.GroupName | None = None,
    ) -> None:
        await ensure_organizer(interaction, self.bot.services)
        changes: dict[str, Any] = {}
        if timezone_name is not None:
            changes["timezone"] = timezone(timezone_name.strip()).key
        if meeting_day is not None:
            changes["meeting_weekday"] = meeting_day
        if meeting_time is not None:
            changes["meeting_time"] = parse_time(meeting_time)
        if session_minutes is not None:
            changes["session_minutes"] = session_minutes
        if announcement_channel is not None:
            changes["announcement_channel_id"] = announcement_channel.id
        if organizer_role is not None:
            changes["organizer_role_id"] = organizer_role.id
        if date_format is not None:
            changes["date_format"] = date_format
        if event_channel is not None:
            changes["event_channel_id"] = event_channel.id
        if event_location is not None:
            changes["event_location"] = check_text(
                event_location, what="event location", limit=EVENT_LOCATION_LIMIT
            )
        if events is not None:
            changes["events_enabled"] = events
        if group_name is not None:
            changes["group_name"] = check_text(
                group_name, what="group name", limit=GROUP_NAME_LIMIT
            )
        guild_id = guild_id_of(interaction)
        if changes:
            config = await self.bot.services.guilds.update(guild_id, **changes)
            header = "Saved. The server's settings are now:"
        else:
            config = await self.bot.services.guilds.get(guild_id)
            header = "The server's settings (give options to change them):"
        await interaction.response.send_message(
            header, embed=settings_embed(config, self.bot.clock.now()), ephemeral=True
        )


async def setup(bot: ReadingGroupBot) -> None:
    await bot.add_cog(SetupCog(bot))
