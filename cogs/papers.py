"""/paper: propose papers, vote, and turn the favourites into sessions.

Thin: parse and check options → call the paper, proposal and presenter services → render.
A proposal is posted in the channel as an embed with a vote button whose custom id carries
the proposal id; the button class is registered when the cog loads, so votes keep working
after a restart.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot import notices
from bot.app import ReadingGroupBot
from bot.errors import InvalidInput, NotFound
from bot.papers.arxiv import PaperMetadata
from bot.papers.editing import PaperEdit
from bot.papers.lookup import PaperSpec
from bot.papers.proposals import ProposalInfo
from bot.papers.refs import RefKind, classify_ref, split_refs, stored_ref
from bot.ui import options
from bot.ui.autocomplete import services_of
from bot.ui.checks import ensure_organizer, guild_id_of, llm_turn, member_is_organizer
from bot.ui.cog import FeatureCog
from bot.ui.paging import PageRenderer, send_paged
from bot.ui.paper_render import (
    edited_text,
    links_text,
    paper_choice,
    paper_embed,
    proposal_choice,
    proposal_embed,
    queue_embed,
    rotation_text,
)
from bot.ui.paper_views import (
    CandidatePicker,
    PaperEditModal,
    VoteButton,
    ask_paper_details,
    proposal_buttons,
)
from bot.ui.render import escape, session_embed
from cogs._paper_candidates import PaperCandidatesCommands
from storage.models import GuildConfig, id_of

log = logging.getLogger(__name__)

QUEUE_PER_PAGE = 10
PAGE_SOURCE = "queue"
MAX_CANDIDATES = 10


async def proposal_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[int]]:
    if interaction.guild_id is None:
        return []
    views = await services_of(interaction).proposals.search_open(interaction.guild_id, current)
    return [app_commands.Choice(name=proposal_choice(v), value=v.number) for v in views[:25]]


async def paper_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    if interaction.guild_id is None:
        return []
    papers = await services_of(interaction).papers.search(interaction.guild_id, current)
    return [app_commands.Choice(name=paper_choice(p), value=stored_ref(p)) for p in papers[:25]]


def _one_ref(text: str) -> str:
    refs = split_refs(text)
    if not refs:
        raise InvalidInput("Give an arXiv id or link, a link to the paper, or its title.")
    if len(refs) > 1:
        raise InvalidInput(
            f"Propose one paper at a time: {len(refs)} references were given. "
            "To collect several papers, use /readinglist add."
        )
    return refs[0]


class PapersCog(
    PaperCandidatesCommands,
    FeatureCog,
    group_name="paper",
    group_description="Papers and proposals",
):
    page_source = PAGE_SOURCE

    async def cog_load(self) -> None:
        # Every proposal message ever posted dispatches to this class, also after a restart.
        self.bot.add_dynamic_items(VoteButton)
        await super().cog_load()

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(VoteButton)
        await super().cog_unload()

    # ------------------------------------------------------------------ helpers

    async def _config(self, guild_id: int) -> GuildConfig:
        return await self.services.guilds.get(guild_id)

    async def _publish(
        self,
        interaction: discord.Interaction,
        spec: PaperSpec,
        presenter_id: int | None,
        note: str | None,
    ) -> str:
        """Save the proposal, post its message in the channel; the member's confirmation.

        If Discord refuses the post, the proposal is removed again: nothing half-way.
        """
        guild_id = guild_id_of(interaction)
        view = await self.services.proposals.propose(
            guild_id,
            spec,
            proposer_id=interaction.user.id,
            presenter_id=presenter_id,
            note=note,
        )
        channel = interaction.channel
        if not isinstance(channel, discord.abc.Messageable):
            await self.services.proposals.discard(guild_id, view.id)
            raise InvalidInput("Propose papers in a text channel of the server.")
        try:
            message = await channel.send(embed=proposal_embed(view), view=proposal_buttons(view))
        except discord.HTTPException:
            await self.services.proposals.discard(guild_id, view.id)
            raise
        await self.services.proposals.set_message(guild_id, view.id, message.channel.id, message.id)
        return f"Proposed {escape(view.paper.title[:150])} as #{view.number}: {message.jump_url}"

    async def _refresh_message(self, view: ProposalInfo) -> None:
        """Show a proposal's new state on its message (best effort: it may be deleted)."""
        proposal = view.proposal
        if not proposal.channel_id or not proposal.message_id:
            return
        channel = self.bot.get_partial_messageable(proposal.channel_id)
        current = await self.services.proposals.get(proposal.guild_id, view.id)
        try:
            await channel.get_partial_message(proposal.message_id).edit(
                embed=proposal_embed(current), view=proposal_buttons(current)
            )
        except discord.HTTPException as error:
            log.info("could not update the message of proposal #%s: %s", view.id, error)

    async def _rotation(self, guild_id: int, config: GuildConfig) -> str | None:
        return rotation_text(await self.services.presenters.suggest(guild_id), config)

    # ------------------------------------------------------------------ propose

    @app_commands.command(name="propose", description="Propose a paper for the group to read")
    @app_commands.describe(
        ref="arXiv id or link, a link to the paper (OpenReview, PDF...), or its title",
        presenter="Who would present it",
        note="Why the group should read it",
        title="Title, for a paper outside arXiv (otherwise a form asks for it)",
        authors="Authors, for a paper outside arXiv, separated by commas",
    )
    async def propose(
        self,
        interaction: discord.Interaction,
        ref: options.PaperRefs,
        presenter: discord.Member | None = None,
        note: options.Note | None = None,
        title: options.Title | None = None,
        authors: options.Authors | None = None,
    ) -> None:
        guild_id = guild_id_of(interaction)
        text = _one_ref(ref)
        kind = classify_ref(text)
        if kind == RefKind.OTHER_URL:
            raise InvalidInput(
                f"{escape(text[:80])} does not look like a paper. Give an arXiv id or link, "
                "an OpenReview, ACL Anthology, distill.pub or PDF link, or the paper's title."
            )
        if presenter is not None and presenter.bot:
            raise InvalidInput("A bot cannot present a paper; pick a member.")
        clean_note = self.services.proposals.check_note(note)
        presenter_id = presenter.id if presenter else None

        if kind == RefKind.PAPER_URL and title is None:

            async def details_given(
                submission: discord.Interaction, specs: list[PaperSpec]
            ) -> None:
                await submission.response.defer(ephemeral=True, thinking=True)
                done = await self._publish(submission, specs[0], presenter_id, clean_note)
                await submission.followup.send(done, ephemeral=True)

            if await ask_paper_details(interaction, [text], details_given):
                return

        await interaction.response.defer(ephemeral=True, thinking=True)
        if kind == RefKind.TITLE:
            await self._offer_candidates(interaction, text, presenter_id, clean_note)
            return
        if kind == RefKind.PAPER_URL and title is not None:
            spec = self.services.papers.manual_spec(text, title, authors)
        else:
            spec = (await self.services.papers.lookup(guild_id, [text], any_url=False))[0]
        done = await self._publish(interaction, spec, presenter_id, clean_note)
        await interaction.followup.send(done, ephemeral=True)

    async def _offer_candidates(
        self,
        interaction: discord.Interaction,
        title: str,
        presenter_id: int | None,
        note: str | None,
    ) -> None:
        candidates = await self.services.papers.candidates(title, limit=MAX_CANDIDATES)

        async def picked(pick: discord.Interaction, meta: PaperMetadata) -> None:
            await pick.response.defer()
            spec = PaperSpec(f"arxiv:{meta.arxiv_id}", meta.ref, meta)
            try:
                done = await self._publish(pick, spec, presenter_id, note)
            except Exception:
                await pick.edit_original_response(view=None)  # the menu is spent either way
                raise
            await pick.edit_original_response(content=done, view=None)

        picker = CandidatePicker(candidates, owner_id=interaction.user.id, on_pick=picked)
        count = len(picker.candidates)
        picker.message = await interaction.followup.send(
            f"arXiv has {count} paper{'s' if count != 1 else ''} with these words in the title. "
            "Pick the one to propose (or paste its arXiv id instead):",
            view=picker,
            ephemeral=True,
            wait=True,
        )

    # ------------------------------------------------------------------ reading

    @app_commands.command(name="queue", description="Proposed papers, most votes first")
    @app_commands.describe(private="Show the queue only to you")
    async def queue(self, interaction: discord.Interaction, private: bool = False) -> None:
        render = self._queue_pages(guild_id_of(interaction))
        await send_paged(interaction, PAGE_SOURCE, "", render, ephemeral=private)

    def _queue_pages(self, guild_id: int) -> PageRenderer:
        async def render(number: int) -> tuple[discord.Embed, int, int]:
            page = await self.services.proposals.queue(
                guild_id, number=number, per_page=QUEUE_PER_PAGE
            )
            return queue_embed(page), page.number, page.pages

        return render

    async def pages_of_state(self, interaction: discord.Interaction, state: str) -> PageRenderer:
        """The list a page button of /paper queue shows (there is only one)."""
        return self._queue_pages(guild_id_of(interaction))

    @app_commands.command(name="info", description="A paper's details (from the cache)")
    @app_commands.describe(ref="arXiv id or link, or a stored paper", refresh="Fetch it again")
    @app_commands.autocomplete(ref=paper_choices)
    async def info(
        self,
        interaction: discord.Interaction,
        ref: options.PaperRef,
        refresh: bool = False,
    ) -> None:
        guild_id = guild_id_of(interaction)
        text = _one_ref(ref)
        classify_ref(text)  # a malformed id is refused before deferring
        await interaction.response.defer(ephemeral=True, thinking=True)
        paper = await self.services.papers.find(guild_id, text, refresh=refresh)
        details = await self.services.papers.details(guild_id, paper)
        config = await self._config(guild_id)
        await interaction.followup.send(embed=paper_embed(details, config), ephemeral=True)

    @app_commands.command(name="tldr", description="A short summary of a paper (needs the LLM)")
    @app_commands.describe(ref="arXiv id or link, or a stored paper")
    @app_commands.autocomplete(ref=paper_choices)
    @llm_turn("a TL;DR")
    async def tldr(self, interaction: discord.Interaction, ref: options.PaperRef) -> None:
        guild_id = guild_id_of(interaction)
        llm = self.services.llm
        llm.require_enabled()  # one line on how to enable it, before any work
        text = _one_ref(ref)
        classify_ref(text)
        await interaction.response.defer(ephemeral=True, thinking=True)
        paper = await self.services.papers.find(guild_id, text)
        summary = await llm.tldr(paper)
        await interaction.followup.send(
            f"**TL;DR: {escape(paper.title[:200])}**\n{escape(summary)[:1700]}", ephemeral=True
        )

    # ------------------------------------------------------------------ writing

    @app_commands.command(
        name="withdraw", description="Withdraw a proposal (yours, or any for organizers)"
    )
    @app_commands.describe(proposal="The proposal to withdraw")
    @app_commands.autocomplete(proposal=proposal_choices)
    async def withdraw(self, interaction: discord.Interaction, proposal: int) -> None:
        guild_id = guild_id_of(interaction)
        organizer = await member_is_organizer(interaction, self.services)
        proposal_id = await self.services.proposals.id_for(guild_id, proposal)
        view = await self.services.proposals.withdraw(
            guild_id, proposal_id, actor_id=interaction.user.id, is_organizer=organizer
        )
        await interaction.response.send_message(
            f"Withdrew proposal #{view.number} ({escape(view.paper.title[:150])}).", ephemeral=True
        )
        await self._refresh_message(view)

    @app_commands.command(
        name="schedule", description="Turn a proposal into a session (organizers)"
    )
    @app_commands.describe(
        proposal="The proposal to schedule",
        date=options.DATE,
        time="Start time in the server's time zone (default: the meeting time)",
        presenter="Who presents (default: the proposal's presenter)",
        backfill=options.BACKFILL,
    )
    @app_commands.autocomplete(proposal=proposal_choices)
    async def schedule(
        self,
        interaction: discord.Interaction,
        proposal: int,
        date: options.DateText,
        time: options.TimeText | None = None,
        presenter: discord.Member | None = None,
        backfill: bool = False,
    ) -> None:
        config = await ensure_organizer(interaction, self.services)
        guild_id = guild_id_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        with notices.collect() as collected:
            view, session = await self.services.proposals.schedule(
                guild_id,
                await self.services.proposals.id_for(guild_id, proposal),
                date_text=date,
                time_text=time,
                presenter_id=presenter.id if presenter else None,
                allow_past=backfill,
                actor_id=interaction.user.id,
            )
        text = notices.appended(
            f"Scheduled proposal #{view.number} as session #{session.number}.", collected
        )
        if session.session.presenter_id is None:
            suggestion = await self._rotation(guild_id, config)
            if suggestion:
                text += f"\n{suggestion} (set one with /session edit)"
        await interaction.followup.send(text, embed=session_embed(session, config), ephemeral=True)
        await self._refresh_message(view)

    @app_commands.command(
        name="edit", description="Fix a paper's title, authors and links (organizers)"
    )
    @app_commands.describe(ref="The paper (type to search the server's papers)")
    @app_commands.autocomplete(ref=paper_choices)
    async def edit(self, interaction: discord.Interaction, ref: options.PaperRef) -> None:
        await ensure_organizer(interaction, self.services)
        guild_id = guild_id_of(interaction)
        paper = await self.services.papers.stored(guild_id, _one_ref(ref))
        if paper is None:
            raise NotFound("This server has no such paper: pick one from the list as you type.")
        paper_id = id_of(paper)

        async def submitted(submission: discord.Interaction, changes: PaperEdit) -> None:
            await submission.response.defer(ephemeral=True, thinking=True)
            with notices.collect() as collected:
                done = await self.services.paper_editor.edit(
                    guild_id, paper_id, changes, actor_id=submission.user.id
                )
            details = await self.services.papers.details(guild_id, done.paper)
            if done.changed:  # the proposal messages show the paper too
                for proposal_id, _status, _votes in details.proposals:
                    view = await self.services.proposals.get(guild_id, proposal_id)
                    await self._refresh_message(view)
            await submission.followup.send(
                notices.appended(edited_text(done), collected),
                embed=paper_embed(details, await self._config(guild_id)),
                ephemeral=True,
            )

        await interaction.response.send_modal(PaperEditModal(paper, on_submit=submitted))

    @app_commands.command(
        name="links", description="Set a paper's Code and Demo links (organizers)"
    )
    @app_commands.describe(
        ref="arXiv id or link, or a stored paper",
        code="Code links, e.g. https://github.com/owner/repo [Project Page](https://…); - clears",
        demo="Demo links, e.g. [Colab](https://colab…) https://huggingface.co/spaces/…; - clears",
    )
    @app_commands.autocomplete(ref=paper_choices)
    async def links(
        self,
        interaction: discord.Interaction,
        ref: options.PaperRef,
        code: options.LinkCell | None = None,
        demo: options.LinkCell | None = None,
    ) -> None:
        await ensure_organizer(interaction, self.services)
        guild_id = guild_id_of(interaction)
        text = _one_ref(ref)
        classify_ref(text)
        await interaction.response.defer(ephemeral=True, thinking=True)
        paper = await self.services.papers.set_links(guild_id, text, code=code, demo=demo)
        # The README's Code and Demo cells changed: the pin, events and publishing follow.
        await self.services.paper_editor.announce(
            guild_id, id_of(paper), actor_id=interaction.user.id
        )
        await interaction.followup.send(
            f"Links of {escape(paper.title[:150])} saved (a refresh from arXiv keeps them).\n"
            f"Code: {links_text(paper.code_links) or '—'}\n"
            f"Demo: {links_text(paper.demo_links) or '—'}",
            ephemeral=True,
        )


async def setup(bot: ReadingGroupBot) -> None:
    await bot.add_cog(PapersCog(bot))
