"""/reminders: the weekly announcement, reminders before sessions, and the opt-in ping role.

Thin: organizers change the settings through the reminder service; the service plans and
delivers, the scheduler only wakes it (one job at the next due time, at most a minute away).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Literal

import discord
from discord import app_commands

from bot import notices
from bot.app import ReadingGroupBot
from bot.dates import WEEKDAYS, discord_timestamp
from bot.errors import InvalidInput
from bot.reminders.plan import LEAD, WEEKLY, describe_leads, describe_weekly, format_lead
from bot.reminders.service import ReminderService
from bot.reminders.settings import ReminderStatus
from bot.ui import options
from bot.ui.autocomplete import session_choices
from bot.ui.checks import ensure_organizer, guild_id_of
from bot.ui.cog import FeatureCog
from bot.ui.reactions.reminder_sender import DiscordReminderSender
from bot.ui.reminders.ping import (
    PingRoleView,
    ping_role_problem,
    ping_role_warnings,
    toggle_ping_role,
)
from bot.ui.reminders.render import render_post
from bot.ui.render import COLOUR

log = logging.getLogger(__name__)

WAKE_JOB = "reminders-wake"
TICK_SECONDS = 60.0  # the longest the bot sleeps between looks at the ledger
MAX_PASSES = 5  # passes of one wake-up while reminders keep falling due during a pass

WEEKDAY_CHOICES = [app_commands.Choice(name=d.title(), value=i) for i, d in enumerate(WEEKDAYS)]
KIND_CHOICES = [
    app_commands.Choice(name="Weekly announcement", value=WEEKLY),
    app_commands.Choice(name="Reminder before a session", value=LEAD),
]
CHANNEL_NEEDS = ("view_channel", "send_messages", "embed_links", "read_message_history")


def status_embed(status: ReminderStatus) -> discord.Embed:
    config = status.config
    embed = discord.Embed(title="Reminders", colour=COLOUR)
    channel = f"<#{config.announcement_channel_id}>" if config.announcement_channel_id else None
    embed.add_field(
        name="Channel", value=channel or "not set: nothing is posted (`/reminders set channel:`)"
    )
    weekly = describe_weekly(config) if config.weekly_enabled else "off"
    if config.weekly_enabled and status.next_weekly is not None:
        weekly += f"\nnext {discord_timestamp(status.next_weekly, 'F')}"
    embed.add_field(name="Weekly announcement", value=weekly)
    embed.add_field(name="Before each session", value=describe_leads(config))
    embed.add_field(
        name="Ping role",
        value=f"<@&{config.ping_role_id}> (members opt in with `/reminders ping` or the button)"
        if config.ping_role_id
        else "none (reminders ping nobody)",
        inline=False,
    )
    if status.upcoming:
        lines = [
            f"{discord_timestamp(d.due_at, 'f')} · {format_lead(d.lead_minutes or 0)} before "
            f"session #{status.numbers.get(d.session_id or 0, '?')}"
            for d in status.upcoming
        ]
        embed.add_field(name="Next reminders", value="\n".join(lines), inline=False)
    if status.blocked:
        reason = status.blocked[-1].detail or "missing access"
        embed.add_field(
            name="⚠️ Waiting",
            value=f"{len(status.blocked)} reminder(s) could not be posted ({reason}). They are "
            "posted as soon as I may post in the channel.",
            inline=False,
        )
    if status.last_sent is not None and status.last_sent.sent_at is not None:
        embed.add_field(
            name="Last posted", value=discord_timestamp(status.last_sent.sent_at, "R"), inline=False
        )
    return embed


class RemindersCog(
    FeatureCog,
    group_name="reminders",
    group_description="Weekly announcements and reminders before sessions",
):
    def __init__(self, bot: ReadingGroupBot) -> None:
        self.sender = DiscordReminderSender(bot)
        self._waking = False  # a wake-up is running: it arms the next one when it ends
        super().__init__(bot)

    @property
    def service(self) -> ReminderService:
        return self.bot.services.reminders

    async def cog_load(self) -> None:
        self.bot.add_view(PingRoleView())  # buttons of earlier posts work after a restart
        self.service.attach(self.sender, self.arm)
        await self.service.hold_slot()  # claims a crash of this instance left: taken over at once
        await self.service.rebuild()  # one pass over the database; arms the first wake-up

    def stop_work(self) -> None:
        # A wake-up that runs ends after the reminder it is posting; a retry is given up.
        self.service.stop()
        self.sender.stop()

    async def cog_unload(self) -> None:
        self.service.detach()
        await self.service.release_slot()
        if self.bot.scheduler.get_job(WAKE_JOB) is not None:
            self.bot.scheduler.remove_job(WAKE_JOB)

    # ------------------------------------------------------------------ waking up

    def arm(self, when: datetime | None) -> None:
        """One scheduler job at the next due time (by the bot's clock), at most a tick away.

        While a wake-up runs, arming waits for its end: the scheduler runs one wake-up at a
        time and drops (not delays) one that falls due while another runs, which would
        leave no wake-up at all.
        """
        if self._waking:
            return
        delay = TICK_SECONDS
        if when is not None:
            delay = min(TICK_SECONDS, max(0.0, (when - self.bot.clock.now()).total_seconds()))
        # APScheduler runs on the real clock; the due time is turned into a delay.
        run_date = datetime.now(UTC) + timedelta(seconds=delay)
        self.bot.scheduler.add_job(
            self._wake,
            trigger="date",
            run_date=run_date,
            id=WAKE_JOB,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
            max_instances=1,
        )

    async def _wake(self) -> None:
        if self.bot.is_closed() or self.service.is_stopping():
            return
        self._waking = True
        try:
            await self.bot.wait_until_ready()
            for _ in range(MAX_PASSES):
                outcomes = await self.service.run_due()
                if self.bot.metrics is not None:
                    self.bot.metrics.reminder_outcomes(o.result for o in outcomes)
                if self.service.is_stopping():
                    break  # what is left is due again at the next start
                upcoming = self.service.next_wake()
                if upcoming is None or upcoming > self.bot.clock.now():
                    break  # what fell due during this pass is taken by the next one
        except Exception:
            log.exception("the reminder run failed; trying again at the next tick")
            self._waking = False
            if not self.service.is_stopping():
                self.arm(None)
            return
        finally:
            self._waking = False
        # No await from here on: the next wake-up can only start after this one has ended.
        # APScheduler counts this run as running until the loop's next turn; armed now, a
        # wake-up already due would be skipped and dropped, so it is armed on that turn.
        if not self.bot.is_closed() and not self.service.is_stopping():
            asyncio.get_running_loop().call_soon(self._arm_after_wake)

    def _arm_after_wake(self) -> None:
        if not self.bot.is_closed() and not self._waking and not self.service.is_stopping():
            self.arm(self.service.next_wake())

    # ------------------------------------------------------------------ organizers

    @app_commands.command(name="show", description="Reminder settings and what comes next")
    async def show(self, interaction: discord.Interaction) -> None:
        await ensure_organizer(interaction, self.bot.services)
        guild_id = guild_id_of(interaction)
        status = await self.service.status(guild_id)
        if status.blocked:
            await self.service.mark_told(guild_id)
        await interaction.response.send_message(embed=status_embed(status), ephemeral=True)

    @app_commands.command(name="set", description="Change the reminders (organizers)")
    @app_commands.describe(
        channel="Where the announcement and reminders are posted",
        weekly="Post the weekly announcement",
        day="Weekday of the weekly announcement",
        time="Time of the weekly announcement in the server's time zone, e.g. 10:00",
        lead_times="Reminders before each session, e.g. '24h, 15m' ('off' for none)",
        ping_role="Opt-in role pinged by the reminders before sessions",
        no_ping_role="Ping nobody any more",
    )
    @app_commands.choices(day=WEEKDAY_CHOICES)
    async def set_(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        weekly: bool | None = None,
        day: int | None = None,
        time: options.TimeText | None = None,
        lead_times: options.LeadTimes | None = None,
        ping_role: discord.Role | None = None,
        no_ping_role: bool = False,
    ) -> None:
        config = await ensure_organizer(interaction, self.bot.services)
        guild_id = guild_id_of(interaction)
        given = (channel, weekly, day, time, lead_times, ping_role)
        if all(v is None for v in given) and not no_ping_role:
            status = await self.service.status(guild_id)
            await interaction.response.send_message(
                "Nothing to change: give an option, e.g. `lead_times: 24h, 15m`. Now:",
                embed=status_embed(status),
                ephemeral=True,
            )
            return
        warnings: list[str] = []
        if ping_role is not None:
            problem = ping_role_problem(ping_role, config)
            if problem is not None:
                raise InvalidInput(problem)
            warnings += ping_role_warnings(ping_role, interaction.guild)
        if channel is not None:
            warnings += _channel_warnings(channel, interaction.guild)
        await interaction.response.defer(ephemeral=True, thinking=True)
        with notices.collect() as collected:
            await self.service.settings.configure(
                guild_id,
                weekday=day,
                time_text=time,
                weekly=weekly,
                lead_times=lead_times,
                ping_role_id=ping_role.id if ping_role else None,
                clear_ping_role=no_ping_role,
                channel_id=channel.id if channel else None,
            )
        status = await self.service.status(guild_id)
        await interaction.followup.send(
            notices.appended("Saved.", warnings + collected),
            embed=status_embed(status),
            ephemeral=True,
        )

    @app_commands.command(name="off", description="Turn the weekly announcement and reminders off")
    async def off(self, interaction: discord.Interaction) -> None:
        await ensure_organizer(interaction, self.bot.services)
        guild_id = guild_id_of(interaction)
        with notices.collect() as collected:
            await self.service.turn_off(guild_id)
        status = await self.service.status(guild_id)
        await interaction.response.send_message(
            notices.appended(
                "Reminders are off. Turn them on again with `/reminders set`.", collected
            ),
            embed=status_embed(status),
            ephemeral=True,
        )

    async def _session_id(self, guild_id: int, number: int | None) -> int | None:
        """The session an organizer named by its number, if any (else the next one)."""
        if number is None:
            return None
        return await self.bot.services.schedule.id_for(guild_id, number)

    @app_commands.command(name="preview", description="Exactly what would be posted (only you)")
    @app_commands.describe(kind="Which post", session="For a reminder: the session (default next)")
    @app_commands.choices(kind=KIND_CHOICES)
    @app_commands.autocomplete(session=session_choices)
    async def preview(
        self, interaction: discord.Interaction, kind: str = WEEKLY, session: int | None = None
    ) -> None:
        await ensure_organizer(interaction, self.bot.services)
        guild_id = guild_id_of(interaction)
        session_id = await self._session_id(guild_id, session)
        post = await self.service.preview(guild_id, kind, session_id)
        rendered = render_post(post)
        when = discord_timestamp(post.due_at, "F")
        note = f"Preview of the post due {when} (pings are not sent in a preview):"
        if post.kind == WEEKLY and not post.sessions:
            note = f"Preview for {when}:"
        kwargs = rendered.kwargs()
        kwargs["content"] = f"{note}\n\n{rendered.content}"
        kwargs["allowed_mentions"] = discord.AllowedMentions.none()
        await interaction.response.send_message(ephemeral=True, **kwargs)

    @app_commands.command(name="test", description="Post it now in the announcement channel")
    @app_commands.describe(kind="Which post", session="For a reminder: the session (default next)")
    @app_commands.choices(kind=KIND_CHOICES)
    @app_commands.autocomplete(session=session_choices)
    async def test(
        self, interaction: discord.Interaction, kind: str = WEEKLY, session: int | None = None
    ) -> None:
        await ensure_organizer(interaction, self.bot.services)
        guild_id = guild_id_of(interaction)
        session_id = await self._session_id(guild_id, session)
        await interaction.response.defer(ephemeral=True, thinking=True)
        post = await self.service.preview(guild_id, kind, session_id, test=True)
        channel_id, message_id = await self.service.post_test(post)
        link = f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"
        await interaction.followup.send(
            f"Posted a test in <#{channel_id}>: {link} (nobody was pinged).", ephemeral=True
        )

    # ------------------------------------------------------------------ members

    @app_commands.command(name="ping", description="Get pinged by reminders, or stop it")
    @app_commands.describe(state="on: ping me before sessions; off: stop (default: switch)")
    async def ping(
        self, interaction: discord.Interaction, state: Literal["on", "off"] | None = None
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        want = None if state is None else state == "on"
        message = await toggle_ping_role(interaction, self.bot.services, want)
        await interaction.followup.send(message, ephemeral=True)


def _channel_warnings(channel: discord.TextChannel, guild: discord.Guild | None) -> list[str]:
    me = guild.me if guild is not None else None
    if me is None:
        return []
    permissions = channel.permissions_for(me)
    missing = [
        name.replace("_", " ").title() for name in CHANNEL_NEEDS if not getattr(permissions, name)
    ]
    if not missing:
        return []
    return [
        f"I lack {', '.join(missing)} in {channel.mention}: reminders wait there until my role "
        "gets it."
    ]


async def setup(bot: ReadingGroupBot) -> None:
    await bot.add_cog(RemindersCog(bot))
