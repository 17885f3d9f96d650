"""Reminders Discord refuses to post (no access, no permission): organizers are told, once.

A blocked reminder stays pending in the ledger and is posted once the permission is granted.
The first block of a server is logged; the next organizer command in that server gets a
one-line notice in its reply (:mod:`bot.notices`), once, until a reminder goes through again.
"""

from __future__ import annotations

import logging

from bot import notices
from storage.db import Database

log = logging.getLogger(__name__)

BLOCKED_NOTICE = "reminders_blocked"
BLOCKED_TOLD = "reminders_blocked_told"


class BlockedNotices:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def note(self, guild_id: int, channel_id: int, reason: str) -> None:
        async with self.db.unit() as uow:
            first = await uow.notices.first_time(guild_id, BLOCKED_NOTICE)
        if first:
            log.warning(
                "guild %s: reminders cannot be posted in channel %s (%s); they stay pending "
                "and are posted once the permission is granted",
                guild_id,
                channel_id,
                reason,
            )

    async def clear(self, guild_id: int) -> None:
        async with self.db.unit() as uow:
            if await uow.notices.exists(guild_id, BLOCKED_NOTICE):
                await uow.notices.clear(guild_id, BLOCKED_NOTICE)
                await uow.notices.clear(guild_id, BLOCKED_TOLD)

    async def notice(self, guild_id: int, *, untold_only: bool = True) -> str | None:
        """The one-line notice for organizers while reminders are blocked; with
        ``untold_only`` only if it was not shown yet (see :meth:`mark_told`)."""
        async with self.db.unit() as uow:
            if not await uow.notices.exists(guild_id, BLOCKED_NOTICE):
                return None
            if untold_only and await uow.notices.exists(guild_id, BLOCKED_TOLD):
                return None
            blocked = await uow.reminders.blocked(guild_id)
            config = await uow.guilds.get(guild_id)
        if not blocked:
            return None
        channel = (
            f"<#{config.announcement_channel_id}>"
            if config and config.announcement_channel_id
            else "the announcement channel"
        )
        count = len(blocked)
        return (
            f"{count} reminder{'s are' if count != 1 else ' is'} waiting: I cannot post in "
            f"{channel} ({blocked[-1].detail or 'missing access'}). Give my role View Channel, "
            "Send Messages, Embed Links and Read Message History there, and I will post "
            f"{'them' if count != 1 else 'it'} then."
        )

    async def mark_told(self, guild_id: int) -> bool:
        """Record that organizers were shown the blocked notice; False if already recorded."""
        async with self.db.unit() as uow:
            return await uow.notices.first_time(guild_id, BLOCKED_TOLD)

    async def tell_organizers(self, guild_id: int) -> None:
        """Inside an organizer's command, add the blocked notice to its reply (once)."""
        message = await self.notice(guild_id)
        if message is not None and notices.add(message):
            await self.mark_told(guild_id)
