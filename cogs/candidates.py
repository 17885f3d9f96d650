"""/candidates: the weekly digest of candidates from the Daily Papers feed (organizers).

Thin: settings go through the candidate service; the digest service posts exactly once per
week, woken by one scheduler job every minute. Also registers what /paper candidates pages
with (its page source) and the Propose button of every list and digest ever posted.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot import notices
from bot.app import ReadingGroupBot
from bot.dates import WEEKDAYS
from bot.errors import InvalidInput
from bot.ui import options
from bot.ui.candidates import (
    CandidatePages,
    DiscordDigestSender,
    ProposeButton,
    digest_status,
    page_items,
    parse_state,
)
from bot.ui.checks import ensure_organizer, guild_id_of
from bot.ui.cog import FeatureCog
from bot.ui.paging import PageRenderer
from cogs._paper_candidates import PAGE_SOURCE

log = logging.getLogger(__name__)

DIGEST_JOB = "candidates-digest"
TICK_SECONDS = 60

WEEKDAY_CHOICES = [app_commands.Choice(name=d.title(), value=i) for i, d in enumerate(WEEKDAYS)]
CHANNEL_NEEDS = ("view_channel", "send_messages", "embed_links", "read_message_history")


class CandidatesCog(
    FeatureCog,
    group_name="candidates",
    group_description="The weekly digest of candidates from the Daily Papers feed",
):
    # The page source of /paper candidates is added here, with its Propose buttons.
    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ProposeButton)
        self.bot.page_sources.add(PAGE_SOURCE, self._pages_of_state, items=page_items)
        self.services.digest.attach(DiscordDigestSender(self.bot))
        self.bot.scheduler.add_job(
            self._tick,
            trigger="interval",
            seconds=TICK_SECONDS,
            id=DIGEST_JOB,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ProposeButton)
        self.bot.page_sources.remove(PAGE_SOURCE)
        if self.bot.scheduler.get_job(DIGEST_JOB) is not None:
            self.bot.scheduler.remove_job(DIGEST_JOB)

    async def _tick(self) -> None:
        if self.bot.is_closed():
            return
        try:
            await self.bot.wait_until_ready()
            await self.services.digest.run_due()
        except Exception:
            log.exception("the digest run failed; trying again at the next tick")

    async def _pages_of_state(self, interaction: discord.Interaction, state: str) -> PageRenderer:
        period, query = parse_state(state)
        return CandidatePages(self.services, guild_id_of(interaction), period, query)

    # ------------------------------------------------------------------ organizers

    async def _status(self, guild_id: int) -> str:
        services = self.services
        config = await services.candidates.digest_config(guild_id)
        return digest_status(config, await services.digest.next_due(guild_id))

    @app_commands.command(name="show", description="The weekly digest's settings")
    async def show(self, interaction: discord.Interaction) -> None:
        await ensure_organizer(interaction, self.services)
        text = await self._status(guild_id_of(interaction))
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="set", description="Set up the weekly digest (organizers)")
    @app_commands.describe(
        channel="Where the digest is posted",
        day="Weekday of the digest",
        time="Time of the digest in the server's time zone, e.g. 09:00",
        count="How many papers (1-10)",
        enabled="Turn the digest on or off",
    )
    @app_commands.choices(day=WEEKDAY_CHOICES)
    async def set_(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        day: int | None = None,
        time: options.TimeText | None = None,
        count: app_commands.Range[int, 1, 10] | None = None,
        enabled: bool | None = None,
    ) -> None:
        await ensure_organizer(interaction, self.services)
        guild_id = guild_id_of(interaction)
        if all(v is None for v in (channel, day, time, count, enabled)):
            raise InvalidInput(
                "Nothing to change: give an option, e.g. channel:#papers day:Monday time:09:00."
            )
        warning = ""
        if channel is not None:
            me = channel.guild.me
            missing = [p for p in CHANNEL_NEEDS if not getattr(channel.permissions_for(me), p)]
            if missing:
                names = ", ".join(p.replace("_", " ").title() for p in missing)
                warning = f"\n⚠️ I lack {names} in {channel.mention}: grant it, or the digest waits."
        with notices.collect() as collected:
            await self.services.candidates.configure_digest(
                guild_id,
                enabled=enabled,
                channel_id=channel.id if channel is not None else None,
                weekday=day,
                time_text=time,
                count=count,
            )
        text = notices.appended(f"Saved. {await self._status(guild_id)}{warning}", collected)
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="off", description="Turn the weekly digest off (organizers)")
    async def off(self, interaction: discord.Interaction) -> None:
        await ensure_organizer(interaction, self.services)
        guild_id = guild_id_of(interaction)
        await self.services.candidates.configure_digest(guild_id, enabled=False)
        await interaction.response.send_message(
            "The weekly digest is off. /candidates set turns it on again.", ephemeral=True
        )


async def setup(bot: ReadingGroupBot) -> None:
    await bot.add_cog(CandidatesCog(bot))
