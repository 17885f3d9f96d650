"""Mirrors each session as a Discord Guild Scheduled Event.

Follows the schedule through the event bus: created, updated, moved and cancelled with the
session. If Discord refuses (missing Manage Events), the session stays saved and the
organizers are told once what to grant; a later success resets that notice.

Discord keeps at most 100 scheduled (or active) events per server and answers 400/30038
beyond. The mirror keeps the nearest upcoming sessions within that cap: a session nearer
than the farthest mirrored one takes that one's event (deleted, its session keeps no event
id), a session beyond them all goes without an event, and the organizer is told either way
(in the reply of their command, else in the log). A session is never refused for it. When a
mirrored session is cancelled, the nearest upcoming session without an event gets one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

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
EVENT_CAP = 100  # scheduled or active events Discord keeps per server
EVENT_CAP_CODE = 30038  # "Maximum number of guild scheduled events reached (100)"
UPCOMING_PAGE = 100
PERMISSION_NOTICE = (
    "The session is saved, but I could not create or update its Discord event: give my role "
    "the Create Events and Manage Events permissions (Server Settings → Roles) and later "
    "changes will be mirrored."
)
CAP_SKIPPED = (
    "Session #{session} is saved without a Discord event: the server has reached Discord's "
    "limit of 100 scheduled events, held by nearer sessions. It gets its event when one of "
    "them is cancelled."
)
CAP_MOVED = (
    "Discord allows 100 scheduled events per server: session #{farthest} ({when}), the "
    "farthest ahead, gave its Discord event to this nearer one. It gets one again when a "
    "nearer session is cancelled."
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
                await self._fill(guild, config)  # a place under the cap came free
            return None
        if view.starts_at <= self.bot.clock.now():
            return session.discord_event_id  # Discord accepts no event in the past
        name = shorten(headline(view), NAME_LIMIT)
        description = event_description(view)
        channel = guild.get_channel(config.event_channel_id) if config.event_channel_id else None
        start, end = view.starts_at, view.ends_at
        if isinstance(channel, discord.VoiceChannel | discord.StageChannel):
            if event is None:  # the entity type follows the channel's
                event = await self._create(
                    guild,
                    view,
                    name=name,
                    description=description,
                    channel=channel,
                    start_time=start,
                    end_time=end,
                    privacy_level=discord.PrivacyLevel.guild_only,
                )
                return event.id if event is not None else None
            if isinstance(channel, discord.StageChannel):
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
            event = await self._create(
                guild,
                view,
                name=name,
                description=description,
                entity_type=discord.EntityType.external,
                location=location,
                start_time=start,
                end_time=end,
                privacy_level=discord.PrivacyLevel.guild_only,
            )
            return event.id if event is not None else None
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

    # ----------------------------------------------------------------------------------
    # Discord's cap of scheduled events per server

    async def _create(
        self, guild: discord.Guild, view: SessionInfo, **fields: Any
    ) -> discord.ScheduledEvent | None:
        """Create the session's event; at the cap, take the place of the farthest mirrored
        session after it, or go without an event (None) when there is none."""
        try:
            return await guild.create_scheduled_event(**fields)
        except discord.HTTPException as exc:
            if exc.code != EVENT_CAP_CODE:
                raise
        farthest = await self._farthest_mirrored_after(guild.id, view)
        if farthest is not None:
            await self._drop_event(guild, farthest)
            try:
                event = await guild.create_scheduled_event(**fields)
            except discord.HTTPException as exc:
                if exc.code != EVENT_CAP_CODE:
                    raise
            else:
                when = discord.utils.format_dt(farthest.starts_at, "D")
                self._tell(guild.id, CAP_MOVED.format(farthest=farthest.id, when=when))
                return event
        self._tell(guild.id, CAP_SKIPPED.format(session=view.id))
        return None

    async def _mirrored(self, guild_id: int) -> list[SessionInfo]:
        """The upcoming sessions with an event, soonest first: pages of the schedule until
        as many as Discord allows were seen (the rest of a long schedule is not read)."""
        views: list[SessionInfo] = []
        number = 0
        while True:
            page = await self.bot.services.schedule.page(
                guild_id, scope="upcoming", number=number, per_page=UPCOMING_PAGE
            )
            views.extend(
                v
                for v in page.items
                if v.session.status == SessionStatus.SCHEDULED
                and v.session.discord_event_id is not None
            )
            number += 1
            if number >= page.pages or len(views) >= EVENT_CAP:
                return views

    async def _farthest_mirrored_after(
        self, guild_id: int, view: SessionInfo
    ) -> SessionInfo | None:
        later = [v for v in await self._mirrored(guild_id) if v.starts_at > view.starts_at]
        return max(later, key=lambda v: v.starts_at) if later else None

    async def _drop_event(self, guild: discord.Guild, view: SessionInfo) -> None:
        event = await self._existing(guild, view.session.discord_event_id)
        if event is not None:
            await event.delete()
        await self.bot.services.schedule.set_event_id(guild.id, view.id, None)
        log.info("guild %s: session %s gave up its Discord event (the cap)", guild.id, view.id)

    async def _fill(self, guild: discord.Guild, config: GuildConfig) -> None:
        """Give the nearest upcoming session without an event one (after a place came free)."""
        now = self.bot.clock.now()
        page = await self.bot.services.schedule.page(
            guild.id, scope="upcoming", per_page=UPCOMING_PAGE
        )
        for view in page.items:
            if (
                view.session.status == SessionStatus.SCHEDULED
                and view.session.discord_event_id is None
                and view.starts_at > now
            ):
                event_id = await self._apply(guild, config, view, SessionAction.UPDATED)
                if event_id is not None:
                    await self.bot.services.schedule.set_event_id(guild.id, view.id, event_id)
                return

    def _tell(self, guild_id: int, message: str) -> None:
        if not notices.add(message):
            log.warning("guild %s: %s", guild_id, message)
