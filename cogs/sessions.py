"""/session: schedule, read and change the group's sessions.

Thin: parse options → call the schedule service → render. Organizers change, everyone reads;
the organizer check runs on every write at run time.
"""

from __future__ import annotations

import io
from functools import partial
from typing import Literal

import discord
from discord import app_commands

from bot import notices
from bot.app import ReadingGroupBot
from bot.errors import NotFound
from bot.papers.lookup import PaperSpec
from bot.papers.refs import split_refs
from bot.schedule.calendar import build_calendar
from bot.schedule.drafts import SessionDraft, SessionEdit
from bot.schedule.readmodels import block_name_key
from bot.schedule.service import SessionInfo
from bot.ui import options
from bot.ui.autocomplete import block_choices, session_choices
from bot.ui.checks import ensure_organizer, guild_id_of
from bot.ui.cog import FeatureCog
from bot.ui.paging import PageRenderer, send_paged, text_key
from bot.ui.paper_render import rotation_text, stand_in_notes
from bot.ui.paper_views import ask_paper_details
from bot.ui.render import page_embed, session_embed
from bot.ui.views import Confirm
from storage.models import GuildConfig, SessionKind

KIND_CHOICES = [
    app_commands.Choice(name="Paper — one paper", value=SessionKind.PAPER.value),
    app_commands.Choice(name="Continue — continues an earlier session", value="continue"),
    app_commands.Choice(name="Block part — e.g. RLHF Block, part 2", value="block_part"),
    app_commands.Choice(name="Topic — several papers on a topic", value="topic"),
    app_commands.Choice(name="Special — e.g. Code Reading Group", value="special"),
    app_commands.Choice(name="TBA — a date with nothing yet", value="tba"),
]

PER_PAGE = 10

Scope = Literal["upcoming", "past", "all"]
SCOPE_CODES: dict[str, Scope] = {"u": "upcoming", "p": "past", "a": "all"}
PAGE_SOURCE = "sessions"
BLOCKS_SEARCHED = 10_000


def _refs(paper: str | None, more: str | None) -> list[str]:
    refs: list[str] = []
    if paper:
        refs.extend(split_refs(paper))
    if more:
        refs.extend(split_refs(more))
    return refs


class SessionsCog(FeatureCog, group_name="session", group_description="The schedule"):
    page_source = PAGE_SOURCE

    async def _reply_saved(
        self,
        interaction: discord.Interaction,
        verb: str,
        view: SessionInfo,
        config: GuildConfig,
        collected: list[str],
        extra: str | None = None,
    ) -> None:
        text = notices.appended(f"{verb} session #{view.number}.", collected)
        await interaction.followup.send(
            f"{text}\n{extra}" if extra else text,
            embed=session_embed(view, config),
            ephemeral=True,
        )

    # ------------------------------------------------------------------ writing

    @app_commands.command(name="add", description="Schedule a session (organizers)")
    @app_commands.describe(
        date=options.DATE,
        kind="What kind of session",
        time="Start time in the server's time zone, e.g. 18:00 (default: the meeting time)",
        paper="arXiv id or link, another link, or a paper title",
        more_papers="Further arXiv ids or links, separated by spaces or commas",
        title="Title (a topic, a special session, a block part's subject, a note on a continue)",
        presenter="Who presents",
        block="Block name for a block part, e.g. RLHF Block",
        part="Part number in the block (default: the next free one)",
        continues="The session this one continues (default: the one before)",
        notes=options.NOTES,
        backfill="Allow a date in the past, to enter the group's history",
        duration="Length in minutes (default: the server's session length)",
    )
    @app_commands.choices(kind=KIND_CHOICES)
    @app_commands.autocomplete(block=block_choices)
    @app_commands.autocomplete(continues=session_choices)
    async def add(
        self,
        interaction: discord.Interaction,
        date: options.DateText,
        kind: str = SessionKind.PAPER.value,
        time: options.TimeText | None = None,
        paper: options.PaperList | None = None,
        more_papers: options.MorePapers | None = None,
        title: options.Title | None = None,
        presenter: discord.Member | None = None,
        block: options.BlockName | None = None,
        part: options.BlockPart | None = None,
        continues: int | None = None,
        notes: options.Notes | None = None,
        backfill: bool = False,
        duration: options.Minutes | None = None,
    ) -> None:
        await ensure_organizer(interaction, self.services)
        guild_id = guild_id_of(interaction)
        continues_id = (
            None if continues is None else await self.services.schedule.id_for(guild_id, continues)
        )
        draft = SessionDraft(
            date_text=date,
            kind=kind,
            time_text=time,
            title=title,
            notes=notes,
            paper_refs=_refs(paper, more_papers),
            presenter_id=presenter.id if presenter else None,
            block_name=block,
            block_part=part,
            continues_id=continues_id,
            allow_past=backfill,
            duration_minutes=duration,
        )

        async def save(reply_to: discord.Interaction, details: list[PaperSpec]) -> None:
            await reply_to.response.defer(ephemeral=True, thinking=True)
            draft.given_papers = details
            with notices.collect() as collected:
                view = await self.services.schedule.add(
                    guild_id, draft, actor_id=interaction.user.id
                )
            config = await self.services.guilds.get(guild_id)
            suggestion = None
            if view.session.presenter_id is None and view.session.kind != SessionKind.TBA:
                suggested = await self.services.presenters.suggest(guild_id)
                suggestion = rotation_text(suggested, config)
                if suggestion:
                    suggestion += " (set one with /session edit)"
            collected.extend(stand_in_notes(view))
            await self._reply_saved(reply_to, "Scheduled", view, config, collected, suggestion)

        # A link outside arXiv: a form asks for its title and authors (a bad date is refused
        # before it); the session is saved when the form is sent.
        check = partial(self.services.schedule.check, guild_id, draft)
        if not await ask_paper_details(interaction, draft.paper_refs, save, check=check):
            await save(interaction, [])

    @app_commands.command(
        name="continue", description="Schedule the next session as a continuation (organizers)"
    )
    @app_commands.describe(
        date="Day (default: the next meeting day after the last session)",
        time="Start time (default: the meeting time)",
        title="e.g. 'Continue: HiPPO and S4' or 'Still (sic!) continue'",
        paper="A paper added to the continuation, e.g. '(very briefly) CLIPPO'",
        presenter="Who presents (default: the same presenter)",
        notes=options.NOTES,
    )
    async def continue_(
        self,
        interaction: discord.Interaction,
        date: options.DateText | None = None,
        time: options.TimeText | None = None,
        title: options.Title | None = None,
        paper: options.PaperList | None = None,
        presenter: discord.Member | None = None,
        notes: options.Notes | None = None,
    ) -> None:
        await ensure_organizer(interaction, self.services)
        await interaction.response.defer(ephemeral=True, thinking=True)
        with notices.collect() as collected:
            view = await self.services.schedule.continue_last(
                guild_id_of(interaction),
                date_text=date,
                time_text=time,
                title=title,
                notes=notes,
                paper_refs=_refs(paper, None),
                presenter_id=presenter.id if presenter else None,
                actor_id=interaction.user.id,
            )
        config = await self.services.guilds.get(guild_id_of(interaction))
        await self._reply_saved(interaction, "Scheduled", view, config, collected)

    @app_commands.command(name="edit", description="Change a session (organizers)")
    @app_commands.describe(
        session="The session to change",
        title="New title",
        paper="Replace the papers: an arXiv id or link, another link, or a title",
        more_papers="Further papers, separated by spaces or commas",
        presenter="New presenter",
        clear_presenter="Remove the presenter",
        kind="New kind",
        block="Block name (for a block part)",
        part="Part number in the block",
        notes="New notes",
        duration="New length in minutes",
    )
    @app_commands.choices(kind=KIND_CHOICES)
    @app_commands.autocomplete(session=session_choices)
    @app_commands.autocomplete(block=block_choices)
    async def edit(
        self,
        interaction: discord.Interaction,
        session: int,
        title: options.Title | None = None,
        paper: options.PaperList | None = None,
        more_papers: options.MorePapers | None = None,
        presenter: discord.Member | None = None,
        clear_presenter: bool = False,
        kind: str | None = None,
        block: options.BlockName | None = None,
        part: options.BlockPart | None = None,
        notes: options.Notes | None = None,
        duration: options.Minutes | None = None,
    ) -> None:
        await ensure_organizer(interaction, self.services)
        guild_id = guild_id_of(interaction)
        session_id = await self.services.schedule.id_for(guild_id, session)
        refs = _refs(paper, more_papers) if (paper or more_papers) else None
        changes = SessionEdit(
            title=title,
            notes=notes,
            paper_refs=refs,
            presenter_id=presenter.id if presenter else None,
            clear_presenter=clear_presenter,
            kind=kind,
            block_name=block,
            block_part=part,
            duration_minutes=duration,
        )

        async def save(reply_to: discord.Interaction, details: list[PaperSpec]) -> None:
            await reply_to.response.defer(ephemeral=True, thinking=True)
            changes.given_papers = details
            with notices.collect() as collected:
                view = await self.services.schedule.edit(
                    guild_id, session_id, changes, actor_id=interaction.user.id
                )
            config = await self.services.guilds.get(guild_id)
            if refs is not None:
                collected.extend(stand_in_notes(view))
            await self._reply_saved(reply_to, "Updated", view, config, collected)

        check = partial(self.services.schedule.check_changeable, guild_id, session_id)
        if not await ask_paper_details(interaction, refs or [], save, check=check):
            await save(interaction, [])

    @app_commands.command(name="move", description="Reschedule a session (organizers)")
    @app_commands.describe(
        session="The session to move",
        date="New day: 2025-02-07, 07.02.2025 or 'next thursday'",
        time="New start time (default: keep the session's time of day)",
        backfill=options.BACKFILL,
    )
    @app_commands.autocomplete(session=session_choices)
    async def move(
        self,
        interaction: discord.Interaction,
        session: int,
        date: options.DateText,
        time: options.TimeText | None = None,
        backfill: bool = False,
    ) -> None:
        await ensure_organizer(interaction, self.services)
        await interaction.response.defer(ephemeral=True, thinking=True)
        with notices.collect() as collected:
            guild_id = guild_id_of(interaction)
            view, _previous = await self.services.schedule.move(
                guild_id,
                await self.services.schedule.id_for(guild_id, session),
                date_text=date,
                time_text=time,
                allow_past=backfill,
                actor_id=interaction.user.id,
            )
        config = await self.services.guilds.get(guild_id_of(interaction))
        await self._reply_saved(interaction, "Moved", view, config, collected)

    @app_commands.command(name="cancel", description="Cancel a session (organizers; asks first)")
    @app_commands.describe(session="The session to cancel")
    @app_commands.autocomplete(session=session_choices)
    async def cancel(self, interaction: discord.Interaction, session: int) -> None:
        config = await ensure_organizer(interaction, self.services)
        guild_id = guild_id_of(interaction)
        view = await self.services.schedule.by_number(guild_id, session)
        confirm = Confirm(owner_id=interaction.user.id, confirm_label="Cancel the session")
        sent = await interaction.response.send_message(
            f"Cancel session #{view.number}? Its reminders and Discord event go too; the entry "
            "stays in the history as cancelled.",
            embed=session_embed(view, config),
            view=confirm,
            ephemeral=True,
        )
        if isinstance(sent.resource, discord.InteractionMessage):
            confirm.message = sent.resource
        await confirm.wait()
        if confirm.interaction is None:
            await interaction.edit_original_response(
                content="Nothing changed (no answer within a minute).", view=None
            )
            return
        await confirm.interaction.response.defer()
        if not confirm.value:
            await interaction.edit_original_response(content="Nothing changed.", view=None)
            return
        with notices.collect() as collected:
            cancelled = await self.services.schedule.cancel(
                guild_id, view.id, actor_id=interaction.user.id
            )
        await interaction.edit_original_response(
            content=notices.appended(f"Cancelled session #{cancelled.number}.", collected),
            embed=session_embed(cancelled, config),
            view=None,
        )

    # ------------------------------------------------------------------ reading

    @app_commands.command(name="list", description="List sessions")
    @app_commands.describe(
        scope="Which sessions (default: upcoming)",
        block="Only the parts of this block",
        private=options.PRIVATE_LIST,
    )
    @app_commands.autocomplete(block=block_choices)
    async def list_(
        self,
        interaction: discord.Interaction,
        scope: Scope = "upcoming",
        block: options.BlockName | None = None,
        private: bool = False,
    ) -> None:
        guild_id = guild_id_of(interaction)
        render = await self._pages(guild_id, scope, block)
        state = scope[0] + (f".{text_key(block_name_key(block))}" if block else "")
        await send_paged(interaction, PAGE_SOURCE, state, render, ephemeral=private)

    async def _pages(self, guild_id: int, scope: Scope, block: str | None) -> PageRenderer:
        config = await self.services.guilds.get(guild_id)

        async def render(number: int) -> tuple[discord.Embed, int, int]:
            page = await self.services.schedule.page(
                guild_id, scope=scope, number=number, per_page=PER_PAGE, block=block
            )
            return page_embed(page, config, scope, block), page.number, page.pages

        return render

    async def pages_of_state(self, interaction: discord.Interaction, state: str) -> PageRenderer:
        """The list a page button of /session list shows (scope letter, block digest)."""
        guild_id = guild_id_of(interaction)
        code, _, key = state.partition(".")
        block = None
        if key:
            names = await self.services.schedule.block_names(guild_id, limit=BLOCKS_SEARCHED)
            block = next((n for n in names if text_key(block_name_key(n)) == key), None)
            if block is None:
                raise NotFound("That block has no sessions any more; run /session list again.")
        return await self._pages(guild_id, SCOPE_CODES.get(code, "upcoming"), block)

    @app_commands.command(name="next", description="The next session (or the one in progress)")
    @app_commands.describe(private="Show it only to you")
    async def next_(self, interaction: discord.Interaction, private: bool = False) -> None:
        guild_id = guild_id_of(interaction)
        view = await self.services.schedule.next(guild_id)
        if view is None:
            await interaction.response.send_message(
                "Nothing is scheduled yet. Organizers add sessions with `/session add`.",
                ephemeral=True,
            )
            return
        config = await self.services.guilds.get(guild_id)
        await interaction.response.send_message(
            embed=session_embed(view, config), ephemeral=private
        )

    @app_commands.command(name="show", description="Show one session")
    @app_commands.describe(session="The session", private="Show it only to you")
    @app_commands.autocomplete(session=session_choices)
    async def show(
        self, interaction: discord.Interaction, session: int, private: bool = False
    ) -> None:
        guild_id = guild_id_of(interaction)
        view = await self.services.schedule.by_number(guild_id, session)
        config = await self.services.guilds.get(guild_id)
        await interaction.response.send_message(
            embed=session_embed(view, config), ephemeral=private
        )

    @app_commands.command(
        name="export-calendar", description="Download the schedule as a calendar (.ics) file"
    )
    async def export_calendar(self, interaction: discord.Interaction) -> None:
        guild_id = guild_id_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        config = await self.services.guilds.get(guild_id)
        views = await self.services.schedule.everything(guild_id, include_cancelled=True)
        data = build_calendar(
            guild_id,
            views,
            name=config.group_name
            or (interaction.guild.name if interaction.guild else "Reading group"),
            timezone=config.timezone,
        )
        await interaction.followup.send(
            f"{len(views)} sessions. Import the file into your calendar app; the events keep "
            "stable ids, so importing a newer file updates them instead of duplicating.",
            file=discord.File(io.BytesIO(data), filename="reading-group.ics"),
            ephemeral=True,
        )


async def setup(bot: ReadingGroupBot) -> None:
    await bot.add_cog(SessionsCog(bot))
