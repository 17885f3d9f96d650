"""What ``/reminders`` shows and changes: the status, a preview, a test post, the settings.

The preview composes the same :class:`~bot.reminders.posts.ReminderPost` a real run would
post, so it shows exactly that. Saving goes through the server-settings service, which
announces the change: the agenda follows at once (see :mod:`bot.reminders.service`).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot import notices
from bot.clock import Clock
from bot.dates import next_weekly, parse_time, weekly_clock_notes
from bot.errors import InvalidInput, NotConfigured, NotFound, ServiceUnavailable
from bot.reminders.delivery import Delivery, DeliveryBlocked, DeliveryFailed, DeliveryRejected
from bot.reminders.plan import LEAD, WEEKLY, Due, parse_lead_times, reference, weekly_slot
from bot.reminders.posts import ReminderPost
from storage.db import Database
from storage.models import GuildConfig, ReminderDelivery, SessionStatus, id_of


class GuildSettings(Protocol):
    """The part of the server-settings service reminders use."""

    async def fresh(self, guild_id: int) -> GuildConfig: ...

    async def update(self, guild_id: int, **changes: Any) -> GuildConfig: ...


@dataclass(frozen=True, slots=True)
class ReminderStatus:
    config: GuildConfig
    next_weekly: datetime | None
    upcoming: list[Due]
    blocked: list[ReminderDelivery]
    last_sent: ReminderDelivery | None
    numbers: dict[int, int] = field(default_factory=dict)  # session id → number in the server


Upcoming = Callable[[int, int], Awaitable[list[Due]]]


class ReminderSettings:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        guilds: GuildSettings,
        delivery: Delivery,
        upcoming: Upcoming,
    ) -> None:
        self.db = db
        self.clock = clock
        self.guilds = guilds
        self.delivery = delivery  # composes posts and holds the sender
        self.upcoming = upcoming  # (guild_id, limit) → the next reminders not done yet

    async def config(self, guild_id: int) -> GuildConfig:
        return await self.guilds.fresh(guild_id)

    async def status(self, guild_id: int) -> ReminderStatus:
        config = await self.config(guild_id)
        upcoming = await self.upcoming(guild_id, 25)
        async with self.db.unit() as uow:
            blocked = await uow.reminders.blocked(guild_id)
            last_sent = await uow.reminders.last_sent(guild_id)
            leads = [d for d in upcoming if not d.is_weekly][:5]
            sessions = await uow.sessions.get_many(
                guild_id, [d.session_id for d in leads if d.session_id is not None]
            )
        weekly = next((d.due_at for d in upcoming if d.is_weekly), None)
        if weekly is None and config.weekly_enabled:
            weekly = next_weekly(self.clock.now(), weekly_slot(config), config.timezone)
        numbers = {id_of(s): s.number for s in sessions}
        return ReminderStatus(config, weekly, leads, blocked, last_sent, numbers)

    async def preview(
        self, guild_id: int, kind: str, session_id: int | None = None, *, test: bool = False
    ) -> ReminderPost:
        """Exactly what would be posted next for ``kind`` (weekly or lead)."""
        config = await self.config(guild_id)
        now = self.clock.now()
        compose = self.delivery.compose
        if kind == WEEKLY:
            moment = next_weekly(now, weekly_slot(config), config.timezone)
            due = Due(guild_id, WEEKLY, moment)
            post = await compose(config, due, at=moment)
            if post is None:
                post = ReminderPost(
                    guild_id=guild_id,
                    kind=WEEKLY,
                    key=due.key,
                    ref=due.ref,
                    config=config,
                    due_at=moment,
                    sessions=[],
                    offer_ping_button=config.ping_role_id is not None,
                )
        else:
            due = await self._next_lead(config, session_id, now)
            post = await compose(config, due, at=now)
            if post is None:
                raise NotFound("That session is not scheduled any more.")
        if test:
            key = f"test:{uuid.uuid4().hex[:12]}"
            post = replace(
                post, key=key, ref=reference(guild_id, key), test=True, ping_role_id=None
            )
        return post

    async def _next_lead(self, config: GuildConfig, session_id: int | None, now: datetime) -> Due:
        leads = sorted({int(m) for m in config.lead_times_minutes or [] if int(m) > 0}) or [60]
        async with self.db.unit() as uow:
            if session_id is not None:
                row = await uow.sessions.get(config.guild_id, session_id)
                if row is None:
                    raise NotFound("That session is not in this server (any more).")
                if row.status != SessionStatus.SCHEDULED:
                    raise InvalidInput(f"Session #{row.number} is cancelled.")
            else:
                row = await uow.sessions.next_after(config.guild_id, now)
                if row is None:
                    raise NotFound(
                        "Nothing is scheduled yet, so there is no reminder to show. Add a "
                        "session with /session add."
                    )
        assert row.id is not None
        # The next lead reminder still ahead, else the last one (the one closest to the start).
        ahead = [m for m in reversed(leads) if row.starts_at - timedelta(minutes=m) > now]
        minutes = ahead[0] if ahead else leads[0]
        due_at = row.starts_at - timedelta(minutes=minutes)
        return Due(config.guild_id, f"{LEAD}:{minutes}", due_at, row.id, row.starts_at, minutes)

    async def post_test(self, post: ReminderPost) -> tuple[int, int]:
        """Post a preview now (``/reminders test``): not recorded, never pings."""
        sender = self.delivery.sender
        if sender is None:
            raise NotConfigured("Reminders cannot be posted: the bot is not connected.")
        channel_id = post.config.announcement_channel_id
        if channel_id is None:
            raise NotConfigured(
                "No announcement channel is set: choose one with /reminders set channel:…"
            )
        try:
            return channel_id, await sender.send(post, channel_id)
        except DeliveryBlocked as blocked:
            raise NotConfigured(
                f"I cannot post in <#{channel_id}> ({blocked.reason}). Give my role View "
                "Channel, Send Messages and Embed Links there."
            ) from None
        except (DeliveryRejected, DeliveryFailed) as failed:
            raise ServiceUnavailable(f"Discord did not take the post: {failed}") from None

    async def configure(
        self,
        guild_id: int,
        *,
        weekday: int | None = None,
        time_text: str | None = None,
        weekly: bool | None = None,
        lead_times: str | None = None,
        ping_role_id: int | None = None,
        clear_ping_role: bool = False,
        channel_id: int | None = None,
    ) -> GuildConfig:
        """Validate and save reminder settings; the settings service announces the change,
        so the plan follows at once."""
        changes: dict[str, Any] = {}
        if weekday is not None:
            if not 0 <= weekday <= 6:
                raise InvalidInput("The weekday must be Monday … Sunday.")
            changes["weekly_weekday"] = weekday
        if time_text is not None:
            changes["weekly_time"] = parse_time(time_text)
        if weekly is not None:
            changes["weekly_enabled"] = weekly
        elif weekday is not None or time_text is not None:
            changes["weekly_enabled"] = True
        if lead_times is not None:
            minutes = parse_lead_times(lead_times)
            if minutes:
                changes["lead_times_minutes"] = minutes
            changes["lead_reminders_enabled"] = bool(minutes)
        if clear_ping_role:
            changes["ping_role_id"] = None
        elif ping_role_id is not None:
            changes["ping_role_id"] = ping_role_id
        if channel_id is not None:
            changes["announcement_channel_id"] = channel_id
        if not changes:
            return await self.config(guild_id)
        config = await self.guilds.update(guild_id, **changes)
        if config.weekly_enabled and {"weekly_weekday", "weekly_time"} & changes.keys():
            zone = config.timezone
            for note in weekly_clock_notes(
                self.clock.now(), weekly_slot(config), zone, "the weekly announcement"
            ):
                notices.add(note)
        return config

    async def turn_off(self, guild_id: int) -> GuildConfig:
        return await self.guilds.update(
            guild_id, weekly_enabled=False, lead_reminders_enabled=False
        )
