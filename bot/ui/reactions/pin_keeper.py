"""The pinned schedule: one message (or a few) in a channel that follows every change.

``/export pin`` chooses the channel; from then on every change of the schedule (or of the
settings it shows) edits the messages in place. Changes that arrive while an update runs
cause one more pass, never a queue of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import discord

from bot.errors import InvalidInput
from bot.events import GuildSettingsChanged, Handler, ScheduleImported, SessionChanged
from bot.ui.schedule_pin import pin_messages

if TYPE_CHECKING:
    from bot.app import ReadingGroupBot

log = logging.getLogger(__name__)

PIN_SESSIONS = 60  # at most this many upcoming sessions are considered for the pin
PIN_SETTINGS = frozenset({"timezone", "date_format", "group_name"})


@dataclass
class _PinState:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    dirty: bool = False


class PinKeeper:
    def __init__(self, bot: ReadingGroupBot) -> None:
        self.bot = bot
        self.services = bot.services
        self._pins: dict[int, _PinState] = defaultdict(_PinState)
        self._shown: dict[int, str] = {}  # message id → hash of the content it shows

    def subscriptions(self) -> Mapping[type, Handler]:
        return {
            SessionChanged: self.on_session_changed,
            ScheduleImported: self.on_schedule_imported,
            GuildSettingsChanged: self.on_settings_changed,
        }

    async def on_session_changed(self, change: SessionChanged) -> None:
        await self.request(change.guild_id)

    async def on_schedule_imported(self, change: ScheduleImported) -> None:
        await self.request(change.guild_id)

    async def on_settings_changed(self, change: GuildSettingsChanged) -> None:
        if change.fields & PIN_SETTINGS:
            await self.request(change.guild_id)

    async def request(self, guild_id: int) -> None:
        """Bring the pin up to date; changes arriving meanwhile cause one more pass."""
        if not self.services.shards.owns(guild_id):
            return  # another process serves this server's shard
        state = self._pins[guild_id]
        state.dirty = True
        if state.lock.locked():
            return
        async with state.lock:
            while state.dirty:
                state.dirty = False
                try:
                    await self.refresh(guild_id)
                except discord.HTTPException as exc:
                    log.warning("could not update the pinned schedule of %s: %s", guild_id, exc)

    async def _channel(self, channel_id: int) -> discord.TextChannel | discord.Thread | None:
        channel = self.bot.get_channel(channel_id)
        if channel is None:
            with contextlib.suppress(discord.HTTPException):
                channel = await self.bot.fetch_channel(channel_id)
        return channel if isinstance(channel, discord.TextChannel | discord.Thread) else None

    async def refresh(self, guild_id: int, *, strict: bool = False) -> bool:
        """Edit (or post) the pinned messages; True when they are all pinned.

        With ``strict``, a refusal to post is raised (the command reports it); otherwise it
        is logged and the pin stays as it was."""
        config = await self.services.guilds.get(guild_id)
        if not config.export_pin_channel_id:
            return False
        channel = await self._channel(config.export_pin_channel_id)
        if channel is None:
            if strict:
                raise InvalidInput("I cannot see that channel.")
            return False
        page = await self.services.schedule.page(
            guild_id, scope="upcoming", number=0, per_page=PIN_SESSIONS
        )
        contents = pin_messages(page.items, config, total=page.total)
        old_ids = list(config.export_pin_message_ids)
        new_ids: list[int] = []
        all_pinned = True
        none = discord.AllowedMentions.none()
        for index, content in enumerate(contents):
            digest = hashlib.sha1(content.encode(), usedforsecurity=False).hexdigest()
            if index < len(old_ids):
                message_id = old_ids[index]
                if self._shown.get(message_id) == digest:
                    new_ids.append(message_id)
                    continue
                try:
                    partial = channel.get_partial_message(message_id)
                    await partial.edit(content=content, allowed_mentions=none)
                    self._shown[message_id] = digest
                    new_ids.append(message_id)
                    continue
                except discord.NotFound:
                    pass  # deleted by someone: post it again
            try:
                message = await channel.send(content, allowed_mentions=none, suppress_embeds=True)
            except discord.Forbidden:
                if strict:
                    raise
                log.warning("guild %s: cannot post the pinned schedule", guild_id)
                return False
            self._shown[message.id] = digest
            new_ids.append(message.id)
            try:
                await message.pin(reason="Pinned schedule kept up to date by the bot")
            except discord.HTTPException:
                all_pinned = False
        for stale in old_ids[len(contents) :]:
            await self.remove_messages(config.export_pin_channel_id, [stale])
        if new_ids != old_ids:
            await self.services.guilds.update(guild_id, export_pin_message_ids=new_ids)
        return all_pinned

    async def remove_messages(self, channel_id: int, message_ids: list[int]) -> None:
        channel = await self._channel(channel_id)
        if channel is None:
            return
        for message_id in message_ids:
            self._shown.pop(message_id, None)
            with contextlib.suppress(discord.HTTPException):
                await channel.get_partial_message(message_id).delete()
