"""Buttons, menus and forms of the /paper commands.

The vote button is a :class:`discord.ui.DynamicItem`: its custom id carries the proposal id
(``paper:vote:42``) and the class is registered once with ``bot.add_dynamic_items`` when the
cog loads, so every proposal message ever posted keeps working after a restart, without
loading one view per proposal. Everything it shows is read from the database on each click.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

import discord

from bot.papers.arxiv import PaperMetadata
from bot.papers.proposals import ProposalInfo
from bot.papers.service import AUTHORS_LIMIT
from bot.text import TITLE_LIMIT, shorten
from bot.ui.autocomplete import services_of
from bot.ui.checks import guild_id_of
from bot.ui.errors import report_error
from bot.ui.paper_render import SELECT_DESCRIPTION, SELECT_LABEL, proposal_embed
from bot.ui.render import abbreviate_authors
from bot.ui.views import BaseModal, BaseView

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

VOTE_ID = "paper:vote:{id}"
VOTE_TEMPLATE = r"paper:vote:(?P<id>\d{1,18})"


class VoteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=VOTE_TEMPLATE):
    """👍 Vote (n): one vote per member; a second click takes it back."""

    def __init__(self, proposal_id: int, votes: int = 0, *, is_open: bool = True) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Vote ({votes})" if is_open else f"Votes: {votes}",
                emoji="👍",
                style=discord.ButtonStyle.primary if is_open else discord.ButtonStyle.secondary,
                custom_id=VOTE_ID.format(id=proposal_id),
                disabled=not is_open,
            )
        )
        self.proposal_id = proposal_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: Any,
    ) -> VoteButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            voted, view = await services_of(interaction).proposals.toggle_vote(
                guild_id_of(interaction), self.proposal_id, interaction.user.id
            )
            await interaction.response.edit_message(
                embed=proposal_embed(view), view=proposal_buttons(view)
            )
            votes = f"{view.votes} vote{'s' if view.votes != 1 else ''}"
            text = (
                f"👍 Your vote for #{view.id} counts ({votes}). Click again to take it back."
                if voted
                else f"Your vote for #{view.id} is taken back ({votes})."
            )
            await interaction.followup.send(text, ephemeral=True)
        except Exception as error:
            await report_error(interaction, error)


def proposal_buttons(view: ProposalInfo) -> discord.ui.View:
    """The components of a proposal message (persistent: no timeout)."""
    buttons = discord.ui.View(timeout=None)
    buttons.add_item(VoteButton(view.id, view.votes, is_open=view.is_open))
    return buttons


Picked = Callable[[discord.Interaction, PaperMetadata], Awaitable[None]]


def candidate_option(meta: PaperMetadata) -> discord.SelectOption:
    detail = f"{meta.arxiv_id} · {meta.published.year}"
    if meta.authors:
        detail += f" · {abbreviate_authors(meta.authors, 3)}"
    return discord.SelectOption(
        label=shorten(meta.title, SELECT_LABEL) or meta.arxiv_id,
        value=meta.arxiv_id,
        description=shorten(detail, SELECT_DESCRIPTION),
    )


class CandidatePicker(BaseView):
    """ "Propose by title": the arXiv papers found, for the member to pick one."""

    def __init__(
        self, candidates: Sequence[PaperMetadata], *, owner_id: int, on_pick: Picked
    ) -> None:
        super().__init__(owner_id=owner_id, timeout=300)
        self.candidates = {meta.arxiv_id: meta for meta in candidates[:25]}
        self.on_pick = on_pick
        picker = cast(discord.ui.Select[Any], self.choose)  # the decorated item, typed loosely
        picker.options = [candidate_option(meta) for meta in self.candidates.values()]

    @discord.ui.select(
        custom_id="paper:pick", placeholder="Which paper?", min_values=1, max_values=1
    )
    async def choose(
        self, interaction: discord.Interaction, select: discord.ui.Select[Any]
    ) -> None:
        meta = self.candidates[select.values[0]]
        self.stop()
        await self.on_pick(interaction, meta)


Submitted = Callable[[discord.Interaction, str, str | None], Awaitable[None]]


class PaperDetailsModal(BaseModal):
    """Title and authors of a paper outside arXiv (OpenReview, distill.pub, a PDF...)."""

    def __init__(self, url: str, *, on_submit: Submitted) -> None:
        super().__init__(title="Paper details", timeout=600)
        self.url = url
        self.submitted = on_submit
        self.paper_title: discord.ui.TextInput[PaperDetailsModal] = discord.ui.TextInput(
            label="Title", max_length=TITLE_LIMIT, custom_id="paper:title"
        )
        self.authors: discord.ui.TextInput[PaperDetailsModal] = discord.ui.TextInput(
            label="Authors (separated by commas)",
            required=False,
            max_length=AUTHORS_LIMIT,
            style=discord.TextStyle.paragraph,
            custom_id="paper:authors",
        )
        self.add_item(self.paper_title)
        self.add_item(self.authors)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.submitted(interaction, self.paper_title.value, self.authors.value or None)
