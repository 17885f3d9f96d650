"""/export and /import: the schedule as the group's README, and a pinned schedule.

Thin: options are parsed here, the markdown service does the work. ``/import markdown``
shows a preview (what would be created, updated or left unchanged, and the lines it could not
read) and writes nothing until the organizer confirms. ``/export pin`` keeps one pinned
message (or a few) in a channel up to date: it follows the event bus and edits the messages
in place when sessions change.
"""

from __future__ import annotations

import io
import logging
from datetime import date

import discord
from discord import app_commands

from bot.app import ReadingGroupBot
from bot.dates import parse_date, utc_to_local
from bot.errors import InvalidInput, PermissionDenied, ServiceUnavailable
from bot.markdown.service import ExportOptions, ImportReport, decode_markdown
from bot.ui import options
from bot.ui.checks import ensure_organizer, guild_id_of
from bot.ui.cog import FeatureCog
from bot.ui.publish import publish_flow
from bot.ui.render import escape
from bot.ui.views import Confirm

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 2000


def _report_text(report: ImportReport, limit: int = MESSAGE_LIMIT) -> tuple[str, bool]:
    """The report for a message, and whether lines were left out (then attach the file)."""
    text = escape(report.summary())
    lines = report.lines()
    shown = 0
    for line in lines:
        candidate = f"{text}\n{escape(line)}"
        if len(candidate) > limit - 120:
            break
        text = candidate
        shown += 1
    if shown < len(lines):
        text += f"\n… {len(lines) - shown} more line(s) in the attached report."
    return text, shown < len(lines)


def _report_file(report: ImportReport) -> discord.File:
    return discord.File(io.BytesIO(report.text().encode("utf-8")), filename="import-report.txt")


class ExportCog(FeatureCog, group_name="export", group_description="The README"):
    # ------------------------------------------------------------------ /export markdown

    def _day(self, text: str | None, zone: str, option: str) -> date | None:
        if not text:
            return None
        today = utc_to_local(self.bot.clock.now(), zone).date()
        try:
            return parse_date(text, today)
        except InvalidInput as exc:
            raise InvalidInput(f"{option}: {exc}") from None

    @app_commands.command(name="markdown", description="Download the schedule as README markdown")
    @app_commands.describe(
        upcoming="Only sessions that have not happened yet",
        since="First day to include, e.g. 2025-02-01",
        until="Last day to include, e.g. 2025-06-30",
        reading_list="Include the reading list (default: yes)",
    )
    async def markdown(
        self,
        interaction: discord.Interaction,
        upcoming: bool = False,
        since: options.DayText | None = None,
        until: options.DayText | None = None,
        reading_list: bool = True,
    ) -> None:
        guild_id = guild_id_of(interaction)
        config = await self.services.guilds.get(guild_id)
        options = ExportOptions(
            since=self._day(since, config.timezone, "since"),
            until=self._day(until, config.timezone, "until"),
            upcoming=upcoming,
            reading_list=reading_list,
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.services.markdown.export(guild_id, options)
        data = result.data
        limit = interaction.filesize_limit
        if len(data) > limit:
            raise InvalidInput(
                f"The README is {len(data) / 1_048_576:.1f} MiB, more than Discord accepts here "
                f"({limit / 1_048_576:.0f} MiB). Narrow it with since/until or upcoming, or run "
                "`python -m bot export` on the server."
            )
        topics = f" and {result.topics} reading-list topics" if reading_list else ""
        await interaction.followup.send(
            f"The schedule as the README table: {result.sessions} sessions{topics}.",
            file=discord.File(io.BytesIO(data), filename=result.filename),
            ephemeral=True,
        )

    # ------------------------------------------------------------------ /export publish

    @app_commands.command(
        name="publish", description="Publish the schedule to the group's GitHub README (organizers)"
    )
    async def publish(self, interaction: discord.Interaction) -> None:
        await publish_flow(interaction, self.services)

    # ------------------------------------------------------------------ /export pin

    @app_commands.command(
        name="pin", description="Keep a pinned, self-updating schedule in a channel (organizers)"
    )
    @app_commands.describe(channel="Where to pin it (default: this channel)")
    async def pin(
        self, interaction: discord.Interaction, channel: discord.TextChannel | None = None
    ) -> None:
        config = await ensure_organizer(interaction, self.services)
        guild_id = guild_id_of(interaction)
        target = channel or interaction.channel
        if not isinstance(target, discord.TextChannel):
            raise InvalidInput("Pick a text channel for the pinned schedule.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        old_channel = config.export_pin_channel_id
        if old_channel and old_channel != target.id:
            await self.bot.reactions.pins.remove_messages(
                old_channel, list(config.export_pin_message_ids)
            )
            config = await self.services.guilds.update(
                guild_id, export_pin_channel_id=target.id, export_pin_message_ids=[]
            )
        elif old_channel != target.id:
            await self.services.guilds.update(guild_id, export_pin_channel_id=target.id)
        try:
            pinned = await self.bot.reactions.pins.refresh(guild_id, strict=True)
        except discord.Forbidden:
            await self.services.guilds.update(
                guild_id, export_pin_channel_id=None, export_pin_message_ids=[]
            )
            raise PermissionDenied(
                f"I cannot post in {target.mention}: give my role View Channel, Send Messages "
                "and Read Message History there, then try again."
            ) from None
        text = (
            f"The upcoming schedule is pinned in {target.mention} and follows every change."
            if pinned
            else f"The upcoming schedule is posted in {target.mention} and follows every "
            "change, but I could not pin it: give my role Manage Messages (Pin Messages) there."
        )
        await interaction.followup.send(text, ephemeral=True)

    @app_commands.command(name="unpin", description="Stop keeping the pinned schedule (organizers)")
    async def unpin(self, interaction: discord.Interaction) -> None:
        config = await ensure_organizer(interaction, self.services)
        guild_id = guild_id_of(interaction)
        if not config.export_pin_channel_id:
            raise InvalidInput("There is no pinned schedule to stop.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.bot.reactions.pins.remove_messages(
            config.export_pin_channel_id, list(config.export_pin_message_ids)
        )
        await self.services.guilds.update(
            guild_id, export_pin_channel_id=None, export_pin_message_ids=[]
        )
        await interaction.followup.send("The pinned schedule was removed.", ephemeral=True)


class ImportCog(FeatureCog, group_name="import", group_description="Read a README"):
    @app_commands.command(
        name="markdown", description="Import a README schedule and reading list (organizers)"
    )
    @app_commands.describe(file="The README (.md) with the schedule table")
    async def markdown(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        services = self.bot.services
        await ensure_organizer(interaction, services)
        guild_id = guild_id_of(interaction)
        limit = interaction.filesize_limit
        if file.size > limit:
            raise InvalidInput(
                f"{file.filename} is {file.size / 1_048_576:.1f} MiB, over Discord's upload "
                f"limit here ({limit / 1_048_576:.0f} MiB). Nothing was imported; split the "
                "file or use `python -m bot import` on the server."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            data = await file.read()
        except discord.HTTPException:
            raise ServiceUnavailable(
                "Discord did not hand me the file; try again in a moment. Nothing was imported."
            ) from None
        text = decode_markdown(data, limit=limit)
        preview = await services.markdown.import_text(guild_id, text, dry_run=True)
        content, truncated = _report_text(preview)
        if not preview.changed:
            await interaction.followup.send(
                "Nothing to import: the server already has everything in this file.\n" + content,
                ephemeral=True,
                file=_report_file(preview) if truncated else discord.utils.MISSING,
            )
            return
        confirm = Confirm(
            owner_id=interaction.user.id, confirm_label="Import", cancel_label="Cancel"
        )
        message = await interaction.followup.send(
            content,
            view=confirm,
            ephemeral=True,
            wait=True,
            file=_report_file(preview) if truncated else discord.utils.MISSING,
        )
        confirm.message = message
        await confirm.wait()
        if confirm.interaction is None:
            await message.edit(
                content="Nothing was imported (no answer within a minute).", view=None
            )
            return
        await confirm.interaction.response.defer()
        if not confirm.value:
            await confirm.interaction.edit_original_response(
                content="Nothing was imported.", view=None, attachments=[]
            )
            return
        report = await services.markdown.import_text(guild_id, text, actor_id=interaction.user.id)
        done, _ = _report_text(report)
        await confirm.interaction.edit_original_response(
            content=f"Imported. {done}", view=None, attachments=[]
        )


async def setup(bot: ReadingGroupBot) -> None:
    await bot.add_cog(ExportCog(bot))
    await bot.add_cog(ImportCog(bot))
