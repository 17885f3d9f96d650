"""Per-session discussion threads opened on the session's announcement.

When a server has threads on (``/comment threads``), the message that announces a session
(posted by the reminders) gets a thread named after the session, remembered with it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

import discord

from bot import notices
from bot.events import Handler, SessionAnnounced
from bot.schedule.service import SessionInfo, headline
from bot.text import shorten

if TYPE_CHECKING:
    from bot.app import ReadingGroupBot

log = logging.getLogger(__name__)

THREAD_NAME_LIMIT = 100
THREAD_NOTICE_KEY = "session_thread_permission"
THREAD_PERMISSION_NOTICE = (
    "I could not open the session's discussion thread: give my role Create Public Threads "
    "and Send Messages in the announcement channel."
)


def thread_name(view: SessionInfo) -> str:
    return shorten(f"Discussion: {headline(view)}", THREAD_NAME_LIMIT)


class ThreadOpener:
    def __init__(self, bot: ReadingGroupBot) -> None:
        self.bot = bot

    def subscriptions(self) -> Mapping[type, Handler]:
        return {SessionAnnounced: self.on_session_announced}

    async def on_session_announced(self, event: SessionAnnounced) -> None:
        """Open the session's thread on its announcement, when the server wants threads."""
        config = await self.bot.services.guilds.get(event.guild_id)
        if not config.threads_enabled:
            return
        view = await self.bot.services.schedule.get(event.guild_id, event.session_id)
        if view.session.thread_id:
            return
        channel = self.bot.get_channel(event.channel_id)
        if not isinstance(channel, discord.TextChannel):
            return
        try:
            thread = await channel.get_partial_message(event.message_id).create_thread(
                name=thread_name(view), auto_archive_duration=10080
            )
        except discord.Forbidden:
            if await self.bot.services.guilds.first_notice(event.guild_id, THREAD_NOTICE_KEY):
                notices.add(THREAD_PERMISSION_NOTICE)
            log.warning("no permission to open a session thread in guild %s", event.guild_id)
            return
        await self.bot.services.discussion.attach_thread(event.guild_id, view.id, thread.id)
        await self.bot.services.guilds.clear_notice(event.guild_id, THREAD_NOTICE_KEY)
