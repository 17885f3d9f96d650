"""Mirrors each session as a Discord Guild Scheduled Event.

Follows the schedule through the event bus: created, updated, moved and cancelled with the
session. If Discord refuses (missing Manage Events), the session stays saved and the
organizers are told once what to grant; a later success resets that notice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

import discord

from bot import notices
from bot.errors import NotFound
from bot.events import Handler, ScheduleImported, SessionAction, SessionChanged
from bot.schedule.service import SessionInfo, headline
from bot.text import shorten
from storage.models import GuildConfig, PaperRole, SessionStatus

if TYPE_CHECKING:
    from bot.app import ReadingGroupBot

log = logging.getLogger(__name__)

NAME_LIMIT = 100
DESCRIPTION_LIMIT = 1000
NOTICE_KEY = "scheduled_events_permission"
IMPORT_MIRROR_LIMIT = 25
PERMISSION_NOTICE = (
    "The session is saved, but I could not create or update its Discord event: give my role "
    "the Create Events and Manage Events permissions (Server Settings → Roles) and later "
    "changes will be mirrored."
)


def event_description(view: SessionInfo) -> str:
    lines = []
    for linked in view.papers or view.continues_papers:
        prefix = "See also: " if linked.role == PaperRole.SEE_ALSO else ""
        title = linked.label or linked.paper.title
        lines.append(f"{prefix}{title}" + (f" {linked.paper.url}" if linked.paper.url else ""))
    if view.session.notes:
        lines.append(view.session.notes)
    return shorten("\n".join(lines), DESCRIPTION_LIMIT)


class EventMirror:
    def __init__(self, bot: ReadingGroupBot) -> None:
        self.bot = bot

    def subscriptions(self) -> Mapping[type, Handler]:
        return {
            SessionChanged: self.on_session_changed,
            ScheduleImported: self.on_schedule_imported,
        }

    async def on_schedule_imported(self, imported: ScheduleImported) -> None:
        """Mirror the nearest upcoming sessions an import created or changed (Discord holds
        at most 100 scheduled events per server)."""
        if not self.bot.services.shards.owns(imported.guild_id):
            return
        changed = set(imported.session_ids)
        page = await self.bot.services.schedule.page(
            imported.guild_id, scope="upcoming", per_page=IMPORT_MIRROR_LIMIT
        )
        for view in page.items:
            if view.id in changed:
                await self.on_session_changed(
                    SessionChanged(imported.guild_id, view.id, SessionAction.UPDATED)
                )

    async def on_session_changed(self, change: SessionChanged) -> None:
        if not self.bot.services.shards.owns(change.guild_id):
            return  # another process serves this server's shard
        guild = self.bot.get_guild(change.guild_id)
        if guild is None:
            return
        config = await self.bot.services.guilds.get(change.guild_id)
        if not config.events_enabled:
            return
        try:
            view = await self.bot.services.schedule.get(change.guild_id, change.session_id)
        except NotFound:
            return
        try:
            event_id = await self._apply(guild, config, view, change.action)
        except discord.Forbidden:
            first = await self.bot.services.guilds.first_notice(change.guild_id, NOTICE_KEY)
            if first and not notices.add(PERMISSION_NOTICE):
                log.warning("guild %s: %s", change.guild_id, PERMISSION_NOTICE)
            return
        except discord.HTTPException as exc:
            log.warning("could not mirror session %s as an event: %s", view.id, exc)
            return
        if event_id != view.session.discord_event_id:
            await self.bot.services.schedule.set_event_id(change.guild_id, view.id, event_id)
        await self.bot.services.guilds.clear_notice(change.guild_id, NOTICE_KEY)

    async def _existing(
        self, guild: discord.Guild, event_id: int | None
    ) -> discord.ScheduledEvent | None:
        if event_id is None:
            return None
        event = guild.get_scheduled_event(event_id)
        if event is not None:
            return event
        try:
            return await guild.fetch_scheduled_event(event_id)
        except discord.NotFound:
            return None

    async def _apply(
        self,
        guild: discord.Guild,
        config: GuildConfig,
        view: SessionInfo,
        action: SessionAction,
    ) -> int | None:
        """Create, update or cancel the event; returns the event id to store."""
        session = view.session
        event = await self._existing(guild, session.discord_event_id)
        if session.status == SessionStatus.CANCELLED or action == SessionAction.DELETED:
            if event is not None:
                if event.status == discord.EventStatus.scheduled:
                    await event.cancel()
                else:
                    await event.delete()
            return None
        if view.starts_at <= self.bot.clock.now():
            return session.discord_event_id  # Discord accepts no event in the past
        name = shorten(headline(view), NAME_LIMIT)
        description = event_description(view)
        channel = guild.get_channel(config.event_channel_id) if config.event_channel_id else None
        start, end = view.starts_at, view.ends_at
        if isinstance(channel, discord.VoiceChannel | discord.StageChannel):
            if event is None:  # the entity type follows the channel's
                event = await guild.create_scheduled_event(
                    name=name,
                    description=description,
                    channel=channel,
                    start_time=start,
                    end_time=end,
                    privacy_level=discord.PrivacyLevel.guild_only,
                )
            elif isinstance(channel, discord.StageChannel):
                await event.edit(
                    name=name,
                    description=description,
                    channel=channel,
                    entity_type=discord.EntityType.stage_instance,
                    start_time=start,
                    end_time=end,
                )
            else:
                await event.edit(
                    name=name,
                    description=description,
                    channel=channel,
                    entity_type=discord.EntityType.voice,
                    start_time=start,
                    end_time=end,
                )
            return event.id
        location = shorten(
            config.event_location or config.group_name or "Reading group", NAME_LIMIT
        )
        if event is None:
            event = await guild.create_scheduled_event(
                name=name,
                description=description,
                entity_type=discord.EntityType.external,
                location=location,
                start_time=start,
                end_time=end,
                privacy_level=discord.PrivacyLevel.guild_only,
            )
        else:
            await event.edit(
                name=name,
                description=description,
                entity_type=discord.EntityType.external,
                location=location,
                start_time=start,
                end_time=end,
            )
        return event.id
