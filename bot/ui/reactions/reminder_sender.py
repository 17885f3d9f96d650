"""The Discord side of reminder delivery: post a reminder, retry, look for an earlier post.

The reminder service (:mod:`bot.reminders.delivery`) claims a reminder, calls this sender
through its :class:`~bot.reminders.delivery.ReminderSender` protocol, and marks it sent.
5xx answers and network errors are retried here; before each retry, and after a crash, the
channel's recent history is searched for the reminder's reference (printed in the embed
footer) so a post that did arrive is never sent twice.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import aiohttp
import discord
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from bot.reminders.delivery import DeliveryBlocked, DeliveryFailed, DeliveryRejected
from bot.reminders.posts import ReminderPost
from bot.ui.reminders.render import RenderedPost, render_post

if TYPE_CHECKING:
    from bot.app import ReadingGroupBot

HISTORY_SCAN = 200  # messages looked at when checking whether a reminder was posted


class _Transient(Exception):
    pass


def _blocked_reason(error: discord.HTTPException) -> str:
    if error.code == 50001:
        return "missing access to the channel (50001)"
    if error.code == 50013:
        return "missing permissions in the channel (50013)"
    if error.code == 10003:
        return "the channel no longer exists (10003)"
    return f"Discord refused with {error.status} ({error.code or 'no code'})"


class DiscordReminderSender:
    """Posts reminders in a channel; the reminder service calls it through its protocol.

    A 429 is waited out and retried by discord.py itself (Discord's 429s are well-formed);
    5xx answers and network errors are retried here with exponential back-off, and before
    each retry the channel is checked so a post that did arrive is not sent again. 403 and a
    vanished channel raise :class:`DeliveryBlocked` (the reminder stays pending).
    """

    def __init__(
        self,
        bot: ReadingGroupBot,
        *,
        attempts: int = 4,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
    ) -> None:
        self.bot = bot
        self.attempts = attempts
        self.backoff = backoff
        self.max_backoff = max_backoff

    def _channel(self, guild_id: int, channel_id: int) -> discord.PartialMessageable:
        # Works from the REST API alone: no cache, no gateway needed.
        return self.bot.get_partial_messageable(channel_id, guild_id=guild_id)

    async def send(self, post: ReminderPost, channel_id: int) -> int:
        guild = self.bot.get_guild(post.guild_id)
        role_id = post.ping_role_id
        if role_id is not None and guild is not None and guild.get_role(role_id) is None:
            post = replace(post, ping_role_id=None)  # the role was deleted: ping nobody
        rendered = render_post(post)
        channel = self._channel(post.guild_id, channel_id)
        started = discord.utils.utcnow() - timedelta(seconds=5)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential(multiplier=self.backoff, max=self.max_backoff),
            retry=retry_if_exception_type(_Transient),
            reraise=True,
        )
        first = True
        try:
            async for attempt in retrying:
                with attempt:
                    if not first:
                        # A 5xx may come after Discord stored the message: look first.
                        found = await self.find_posted(post.guild_id, channel_id, post.ref, started)
                        if found is not None:
                            return found
                    first = False
                    return await self._post_once(channel, rendered)
        except _Transient as exc:
            raise DeliveryFailed(str(exc)) from None
        raise DeliveryFailed("no attempt was made")  # pragma: no cover - tenacity always tries

    async def _post_once(self, channel: discord.PartialMessageable, rendered: RenderedPost) -> int:
        try:
            message = await channel.send(**rendered.kwargs())
        except discord.Forbidden as exc:
            raise DeliveryBlocked(_blocked_reason(exc)) from None
        except discord.NotFound as exc:
            raise DeliveryBlocked(_blocked_reason(exc)) from None
        except discord.DiscordServerError as exc:
            raise _Transient(f"Discord answered {exc.status}") from None
        except discord.RateLimited as exc:
            raise _Transient(f"rate limited for {exc.retry_after:.0f} s") from None
        except discord.HTTPException as exc:
            raise DeliveryRejected(f"{exc.status} ({exc.code}): {exc.text}") from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise _Transient(f"network error: {exc.__class__.__name__}") from None
        return message.id

    async def find_posted(
        self, guild_id: int, channel_id: int, ref: str, after: datetime
    ) -> int | None:
        if self.bot.user is None:
            raise DeliveryFailed("not logged in")
        me = self.bot.user.id
        channel = self._channel(guild_id, channel_id)
        try:
            async for message in channel.history(limit=HISTORY_SCAN, after=after):
                if message.author.id != me:
                    continue
                for embed in message.embeds:
                    if embed.footer.text and f"ref {ref}" in embed.footer.text:
                        return message.id
        except discord.Forbidden as exc:
            raise DeliveryBlocked(_blocked_reason(exc)) from None
        except discord.NotFound:
            return None
        except (discord.DiscordServerError, discord.RateLimited) as exc:
            raise DeliveryFailed(str(exc)) from None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise DeliveryFailed(f"network error: {exc.__class__.__name__}") from None
        return None
