"""An in-memory channel for the reminder service's sender protocol (service-level tests).

It keeps posts per channel like Discord would and answers the look-up by reference, so
tests can check what was posted and provoke faults (403, transient failures, a crash right
after the post) without Discord. End-to-end tests use the real sender on the fake Discord.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime

from bot.clock import Clock
from bot.reminders.delivery import DeliveryBlocked, DeliveryFailed
from bot.reminders.posts import ReminderPost


class Crash(BaseException):
    """Stands for the process dying: nothing after it runs (not an ``Exception``)."""


@dataclass
class Posted:
    message_id: int
    channel_id: int
    post: ReminderPost
    at: datetime


@dataclass
class MemoryChannels:
    clock: Clock
    posts: list[Posted] = field(default_factory=list)
    blocked: set[int] = field(default_factory=set)  # channels the bot may not post in
    fail_next: int = 0  # transient failures before the next successful post
    crash_before_post: bool = False
    crash_after_post: bool = False
    lookups: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    async def send(self, post: ReminderPost, channel_id: int) -> int:
        if self.crash_before_post:
            self.crash_before_post = False
            raise Crash("killed between claim and post")
        if channel_id in self.blocked:
            raise DeliveryBlocked("missing access to the channel (50001)")
        if self.fail_next:
            self.fail_next -= 1
            raise DeliveryFailed("Discord answered 503")
        posted = Posted(next(self._ids), channel_id, post, self.clock.now())
        self.posts.append(posted)
        if self.crash_after_post:
            self.crash_after_post = False
            raise Crash("killed between post and mark")
        return posted.message_id

    async def find_posted(
        self, guild_id: int, channel_id: int, ref: str, after: datetime
    ) -> int | None:
        self.lookups += 1
        for posted in self.posts:
            if (
                posted.channel_id == channel_id
                and posted.post.guild_id == guild_id
                and posted.post.ref == ref
                and posted.at >= after
            ):
                return posted.message_id
        return None

    def keys(self) -> list[str]:
        return [p.post.key for p in self.posts]
