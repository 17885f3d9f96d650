"""/publish: where the schedule is published on GitHub, and the timer of automatic publishing.

Thin: ``/publish setup`` and ``/publish off`` change the server's settings through the
publish service; ``/export publish`` (in cogs/markdown.py) publishes. The automatic publisher
follows the event bus (connected with the other services at start-up); one scheduler job,
armed here, wakes it when the next pending publish is due (also after a restart: pending
publishes are stored).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import discord
from discord import app_commands

from bot.app import ReadingGroupBot
from bot.publish.auto import DEBOUNCE, AutoPublisher
from bot.ui import options
from bot.ui.checks import ensure_organizer, guild_id_of
from bot.ui.cog import FeatureCog
from bot.ui.publish import settings_embed
from storage.models import PublishMode

log = logging.getLogger(__name__)

WAKE_JOB = "publish-wake"
TICK_SECONDS = 60.0  # while a publish is pending, the longest the bot sleeps between looks

MODE_CHOICES = [
    app_commands.Choice(name="Commit to the branch (pull request if protected)", value="commit"),
    app_commands.Choice(name="Always open a pull request", value=PublishMode.PULL_REQUEST.value),
]


class PublishCog(
    FeatureCog, group_name="publish", group_description="Publish the schedule to GitHub"
):
    @property
    def auto(self) -> AutoPublisher:
        return self.services.auto_publish

    async def cog_load(self) -> None:
        await super().cog_load()
        self.auto.attach(self.arm)
        await self.auto.wake()  # publishes left pending by an earlier run

    async def cog_unload(self) -> None:
        await super().cog_unload()
        self.auto.detach()
        if self.bot.scheduler.get_job(WAKE_JOB) is not None:
            self.bot.scheduler.remove_job(WAKE_JOB)

    # ------------------------------------------------------------------ waking up

    def arm(self, when: datetime | None) -> None:
        """One scheduler job at the next due time (by the bot's clock), at most a tick away;
        none while nothing is pending."""
        if when is None:
            if self.bot.scheduler.get_job(WAKE_JOB) is not None:
                self.bot.scheduler.remove_job(WAKE_JOB)
            return
        delay = min(TICK_SECONDS, max(0.0, (when - self.bot.clock.now()).total_seconds()))
        self.bot.scheduler.add_job(
            self._wake,
            trigger="date",
            run_date=datetime.now(UTC) + timedelta(seconds=delay),
            id=WAKE_JOB,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
            max_instances=1,
        )

    async def _wake(self) -> None:
        if self.bot.is_closed():
            return
        try:
            await self.auto.run_due()
        except Exception:
            log.exception("the automatic publish run failed; trying again at the next tick")
            self.arm(self.bot.clock.now() + timedelta(seconds=TICK_SECONDS))

    # ------------------------------------------------------------------ organizers

    @app_commands.command(name="setup", description="Where the schedule is published on GitHub")
    @app_commands.describe(
        repository="The GitHub repository, owner/name",
        branch="The branch to publish to (default: the repository's default branch; - resets)",
        path="The README's path in the repository (default README.md)",
        mode="Commit directly, or always open a pull request",
        auto="Publish automatically after schedule changes (at most every 10 minutes)",
    )
    @app_commands.choices(mode=MODE_CHOICES)
    async def setup_(
        self,
        interaction: discord.Interaction,
        repository: options.Repository | None = None,
        branch: options.Branch | None = None,
        path: options.RepositoryPath | None = None,
        mode: str | None = None,
        auto: bool | None = None,
    ) -> None:
        await ensure_organizer(interaction, self.bot.services)
        guild_id = guild_id_of(interaction)
        service = self.bot.services.publish
        given = (repository, branch, path, mode, auto)
        if all(value is None for value in given):
            target = await service.target(guild_id)
            header = "Publishing settings (give options to change them):"
        else:
            target = await service.configure(
                guild_id, repository=repository, branch=branch, path=path, mode=mode, auto=auto
            )
            header = "Saved. Publish now with /export publish."
        await interaction.response.send_message(
            header,
            embed=settings_embed(
                target,
                token_set=service.enabled,
                debounce_minutes=int(DEBOUNCE.total_seconds() // 60),
            ),
            ephemeral=True,
        )

    @app_commands.command(name="off", description="Stop publishing to GitHub, forget the settings")
    async def off(self, interaction: discord.Interaction) -> None:
        await ensure_organizer(interaction, self.bot.services)
        removed = await self.bot.services.publish.disconnect(guild_id_of(interaction))
        await interaction.response.send_message(
            "Publishing is off; the files on GitHub stay as they are."
            if removed
            else "Nothing to turn off: no GitHub repository was set.",
            ephemeral=True,
        )


async def setup(bot: ReadingGroupBot) -> None:
    await bot.add_cog(PublishCog(bot))
