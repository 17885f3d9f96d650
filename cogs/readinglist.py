"""/readinglist: papers grouped by nested topics, each read (✅) or unread (⬜).

Thin: parse options → call the reading-list service → render. Any member may add papers;
marking them read or unread is the group's record, so organizers do it (papers discussed in
a session are marked read on their own once the session has started).
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.app import ReadingGroupBot
from bot.errors import InvalidInput, NotFound
from bot.papers.refs import split_refs, stored_ref
from bot.readinglist.service import TopicNode, shown_path
from bot.ui import options
from bot.ui.autocomplete import services_of
from bot.ui.checks import ensure_organizer, guild_id_of
from bot.ui.cog import FeatureCog
from bot.ui.paging import PageRenderer, send_paged, text_key
from bot.ui.paper_render import fit, paper_choice, reading_embed, reading_pages
from storage.models import Paper

MAX_NAMES_SHOWN = 10


async def topic_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    if interaction.guild_id is None:
        return []
    paths = await services_of(interaction).readinglist.topic_paths(interaction.guild_id, current)
    choices = [app_commands.Choice(name=p[:100], value=p[:100]) for p in paths if len(p) <= 100]
    typed = " ".join(current.split())
    if typed and len(typed) <= 100 and typed.casefold() not in {p.casefold() for p in paths}:
        # Offer what the member typed too: a new topic is created on first use.
        choices.insert(0, app_commands.Choice(name=f"{typed} (new topic)"[:100], value=typed))
    return choices[:25]


async def listed_paper_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    if interaction.guild_id is None:
        return []
    papers = await services_of(interaction).readinglist.listed_papers(interaction.guild_id, current)
    return [app_commands.Choice(name=paper_choice(p), value=stored_ref(p)) for p in papers[:25]]


def _titles(papers: list[Paper], limit: int = MAX_NAMES_SHOWN) -> str:
    names = [fit(p.title, 120) for p in papers[:limit]]
    if len(papers) > limit:
        names.append(f"… and {len(papers) - limit} more")
    return "; ".join(names)


PAGE_SOURCE = "reading"
TOPICS_SEARCHED = 10_000


class ReadingListCog(
    FeatureCog, group_name="readinglist", group_description="The group's reading list"
):
    page_source = PAGE_SOURCE

    @app_commands.command(name="add", description="Add papers to a topic of the reading list")
    @app_commands.describe(
        ref="arXiv ids or links (several: separate with spaces), a paper link, or a title",
        topic="Topic path; a slash nests topics: 'Representation Learning / Fusion'",
    )
    @app_commands.autocomplete(topic=topic_choices)
    async def add(
        self,
        interaction: discord.Interaction,
        ref: options.PaperRefs,
        topic: options.TopicPath,
    ) -> None:
        guild_id = guild_id_of(interaction)
        refs = split_refs(ref)
        if not refs:
            raise InvalidInput("Give the paper: an arXiv id or link, another link, or a title.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.services.readinglist.add(
            guild_id, refs, topic, actor_id=interaction.user.id
        )
        where = fit(shown_path(result.topic.path), 300)
        lines = []
        if result.added:
            lines.append(f"Added to **{where}**: {_titles(result.added)}.")
        if result.already:
            lines.append(f"Already in **{where}**: {_titles(result.already)}.")
        if result.read:
            lines.append(
                f"✅ Already discussed in a session, so marked read: {_titles(result.read)}."
            )
        await interaction.followup.send("\n".join(lines), ephemeral=True)

    @app_commands.command(name="show", description="The reading list, by topic")
    @app_commands.describe(topic="Only this topic and its subtopics", private="Show it only to you")
    @app_commands.autocomplete(topic=topic_choices)
    async def show(
        self,
        interaction: discord.Interaction,
        topic: options.TopicPath | None = None,
        private: bool = False,
    ) -> None:
        guild_id = guild_id_of(interaction)
        first = await self.services.readinglist.tree(guild_id, topic)
        shown = shown_path(first[0].topic.path) if topic and first else None
        state = text_key(shown) if shown else ""
        render = self._pages(guild_id, shown, first)
        await send_paged(interaction, PAGE_SOURCE, state, render, ephemeral=private)

    def _pages(
        self, guild_id: int, shown: str | None, first: list[TopicNode] | None = None
    ) -> PageRenderer:
        prefetched = [first] if first is not None else []

        async def render(number: int) -> tuple[discord.Embed, int, int]:
            # Read fresh on every click, so marks made meanwhile show up.
            if prefetched:
                current = prefetched.pop()
            else:
                current = await self.services.readinglist.tree(guild_id, shown)
            pages = reading_pages(current)
            number = min(max(0, number), max(0, len(pages) - 1))
            return reading_embed(pages, number, current, shown), number, max(1, len(pages))

        return render

    async def pages_of_state(self, interaction: discord.Interaction, state: str) -> PageRenderer:
        """The list a page button of /readinglist show shows (all, or a topic's digest)."""
        guild_id = guild_id_of(interaction)
        if not state:
            return self._pages(guild_id, None)
        paths = await self.services.readinglist.topic_paths(guild_id, limit=TOPICS_SEARCHED)
        shown = next((path for path in paths if text_key(path) == state), None)
        if shown is None:
            raise NotFound("That topic is no longer on the reading list; run /readinglist show.")
        return self._pages(guild_id, shown)

    @app_commands.command(name="mark-read", description="Mark a paper read, or unread (organizers)")
    @app_commands.describe(ref="The paper (from the reading list)", unread="Mark it unread instead")
    @app_commands.autocomplete(ref=listed_paper_choices)
    async def mark_read(
        self,
        interaction: discord.Interaction,
        ref: options.PaperRef,
        unread: bool = False,
    ) -> None:
        await ensure_organizer(interaction, self.services)
        guild_id = guild_id_of(interaction)
        paper, changed, topics = await self.services.readinglist.mark(
            guild_id, ref.strip(), read=not unread
        )
        state = "unread ⬜" if unread else "read ✅"
        where = ", ".join(fit(t, 100) for t in topics[:5])
        text = f"{fit(paper.title, 150)} is now {state} (in {where})."
        if not changed:
            text = f"{fit(paper.title, 150)} was already {state} (in {where})."
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(
        name="remove", description="Take a paper off the reading list (organizers)"
    )
    @app_commands.describe(
        ref="The paper (from the reading list)",
        topic="Only from this topic (default: from every topic it is in)",
    )
    @app_commands.autocomplete(ref=listed_paper_choices, topic=topic_choices)
    async def remove(
        self,
        interaction: discord.Interaction,
        ref: options.PaperRef,
        topic: options.TopicPath | None = None,
    ) -> None:
        await ensure_organizer(interaction, self.services)
        guild_id = guild_id_of(interaction)
        result = await self.services.readinglist.remove(guild_id, ref.strip(), topic)
        where = ", ".join(f"**{fit(t, 100)}**" for t in result.removed_from[:5])
        lines = [f"Removed {fit(result.paper.title, 150)} from {where}."]
        if result.topics_removed:
            gone = ", ".join(f"**{fit(t, 100)}**" for t in result.topics_removed[:5])
            lines.append(f"Left empty and removed: {gone}.")
        await interaction.response.send_message("\n".join(lines), ephemeral=True)


async def setup(bot: ReadingGroupBot) -> None:
    await bot.add_cog(ReadingListCog(bot))
