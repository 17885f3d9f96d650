"""Buttons, menus and forms of the /paper commands.

The vote button is a :class:`discord.ui.DynamicItem`: its custom id carries the proposal id
(``paper:vote:42``) and the class is registered once with ``bot.add_dynamic_items`` when the
cog loads, so every proposal message ever posted keeps working after a restart, without
loading one view per proposal. Everything it shows is read from the database on each click.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

import discord

from bot.papers.arxiv import PaperMetadata
from bot.papers.editing import PaperEdit
from bot.papers.identity import is_stand_in_title
from bot.papers.lookup import PaperSpec
from bot.papers.proposals import ProposalInfo
from bot.papers.refs import AUTHORS_LIMIT, URL_LIMIT
from bot.text import TITLE_LIMIT, shorten
from bot.ui.autocomplete import services_of
from bot.ui.checks import guild_id_of
from bot.ui.errors import report_error
from bot.ui.paper_render import SELECT_DESCRIPTION, SELECT_LABEL, proposal_embed
from bot.ui.render import abbreviate_authors
from bot.ui.views import BaseModal, BaseView
from storage.models import Paper

log = logging.getLogger(__name__)

PLACEHOLDER = 100  # Discord's limit for a text input's placeholder
INPUT_LIMIT = 4000  # Discord's limit for a text input's value
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
                f"👍 Your vote for #{view.number} counts ({votes}). Click again to take it back."
                if voted
                else f"Your vote for #{view.number} is taken back ({votes})."
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
DetailsGiven = Callable[[discord.Interaction, list[PaperSpec]], Awaitable[None]]
Check = Callable[[], Awaitable[None]]


class PaperDetailsModal(BaseModal):
    """Title and authors of a paper outside arXiv (OpenReview, distill.pub, a PDF...)."""

    def __init__(
        self, url: str, *, on_submit: Submitted, title: str | None = None, authors: str = ""
    ) -> None:
        super().__init__(title="Paper details", timeout=600)
        self.url = url
        self.submitted = on_submit
        self.paper_title: discord.ui.TextInput[PaperDetailsModal] = discord.ui.TextInput(
            label="Title",
            max_length=TITLE_LIMIT,
            custom_id="paper:title",
            placeholder=shorten(f"The title of {url}", PLACEHOLDER),
            default=title,
        )
        self.authors: discord.ui.TextInput[PaperDetailsModal] = discord.ui.TextInput(
            label="Authors (separated by commas)",
            required=False,
            max_length=AUTHORS_LIMIT,
            style=discord.TextStyle.paragraph,
            custom_id="paper:authors",
            default=authors or None,
        )
        self.add_item(self.paper_title)
        self.add_item(self.authors)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.submitted(interaction, self.paper_title.value, self.authors.value or None)


async def ask_paper_details(
    interaction: discord.Interaction,
    refs: Sequence[str],
    then: DetailsGiven,
    *,
    check: Check | None = None,
) -> bool:
    """Show the details form for the first link outside arXiv whose title and authors the
    server lacks; ``then(submission, [spec])`` runs when it is sent. False (no form shown)
    when every reference is known or on arXiv: the caller goes on as usual.

    ``check`` runs first, so a bad date is refused before the member fills in anything.
    """
    services = services_of(interaction)
    guild_id = guild_id_of(interaction)
    papers = services.papers
    missing = [ref for ref in refs if await papers.needs_details(guild_id, ref, any_url=True)]
    if not missing:
        return False
    if check is not None:
        await check()
    url = missing[0]
    stored = await papers.stored(guild_id, url)
    title = None
    if stored is not None and not is_stand_in_title(stored.title, stored.url):
        title = stored.title[:TITLE_LIMIT]

    async def submitted(submission: discord.Interaction, title: str, names: str | None) -> None:
        await then(submission, [papers.manual_spec(url, title, names, any_url=True)])

    await interaction.response.send_modal(
        PaperDetailsModal(
            url,
            on_submit=submitted,
            title=title,
            authors=", ".join(stored.authors) if stored is not None else "",
        )
    )
    return True


Edited = Callable[[discord.Interaction, PaperEdit], Awaitable[None]]


def links_cell(links: Sequence[Sequence[str]]) -> str:
    """Stored links as an organizer types them: ``[GitHub](https://…) [Colab](https://…)``."""
    return " ".join(f"[{label}]({url})" for label, url in links)


class PaperEditModal(BaseModal):
    """``/paper edit``: a paper's fields, prefilled with what is stored. What is sent is
    saved: an emptied field is cleared (the title is required; an arXiv paper's link is
    arXiv's, so it is not asked). A field sent as it was shown is left alone."""

    def __init__(self, paper: Paper, *, on_submit: Edited) -> None:
        super().__init__(title=shorten(f"Edit: {paper.title}", 45), timeout=900)
        self.submitted = on_submit
        self.inputs: dict[str, discord.ui.TextInput[PaperEditModal]] = {}
        self.shown: dict[str, str] = {}
        self._add("title", "Title", paper.title, TITLE_LIMIT, "The paper's title", required=True)
        self._add(
            "authors",
            "Authors (separated by commas)",
            ", ".join(paper.authors),
            INPUT_LIMIT,
            "Empty: no authors. Names separated by commas, e.g. H. Liu, C. Li",
        )
        if paper.arxiv_id is None:
            self._add(
                "url",
                "Link to the paper",
                paper.url or "",
                URL_LIMIT,
                "Empty: no link (known by its title). e.g. https://openreview.net/forum?id=…",
                paragraph=False,
            )
        self._add(
            "code",
            "Code links",
            links_cell(paper.code_links),
            INPUT_LIMIT,
            "Empty: no code links. e.g. https://github.com/owner/repo [Project Page](https://…)",
        )
        self._add(
            "demo",
            "Demo links",
            links_cell(paper.demo_links),
            INPUT_LIMIT,
            "Empty: no demo links. e.g. [Colab](https://colab…) https://huggingface.co/spaces/…",
        )

    def _add(
        self,
        name: str,
        label: str,
        current: str,
        limit: int,
        placeholder: str,
        *,
        required: bool = False,
        paragraph: bool = True,
    ) -> None:
        limit = min(INPUT_LIMIT, max(limit, len(current)))  # what is stored may stay as long
        shown = current[:limit]
        field: discord.ui.TextInput[PaperEditModal] = discord.ui.TextInput(
            label=label,
            custom_id=f"paper:edit:{name}",
            default=shown or None,
            required=required,
            max_length=limit,
            placeholder=shorten(placeholder, PLACEHOLDER),
            style=discord.TextStyle.paragraph if paragraph else discord.TextStyle.short,
        )
        self.inputs[name] = field
        self.shown[name] = shown
        self.add_item(field)

    def changes(self) -> PaperEdit:
        """The fields sent otherwise than shown (None: leave it)."""
        values = {
            name: field.value if field.value != self.shown[name] else None
            for name, field in self.inputs.items()
        }
        return PaperEdit(**values)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.submitted(interaction, self.changes())
