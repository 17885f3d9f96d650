"""/paper candidates: the Daily Papers feed's papers of a period, ranked for this group.

A part of the /paper group (``PapersCog`` inherits it); the page source and the Propose
button it uses are registered by the /candidates cog.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.candidates.service import normalise_query
from bot.ui import options
from bot.ui.candidates import CandidatePages, listing_state
from bot.ui.checks import guild_id_of
from bot.ui.paging import send_paged

if TYPE_CHECKING:
    from bot.app import ReadingGroupBot

PAGE_SOURCE = "cands"
PERIOD_SUGGESTIONS = (
    "last 7 days",
    "today",
    "yesterday",
    "this week",
    "last week",
    "this month",
    "last month",
    "last 14 days",
)


async def period_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    text = current.strip().lower()
    found = [p for p in PERIOD_SUGGESTIONS if text in p] or [current.strip()[:40]]
    return [app_commands.Choice(name=p, value=p) for p in found if p][:25]


class PaperCandidatesCommands:
    bot: ReadingGroupBot

    @app_commands.command(  # type: ignore[type-var]  # a mixin of the /paper GroupCog
        name="candidates", description="Papers of the Daily Papers feed, ranked for this group"
    )
    @app_commands.describe(
        period="A day (2024-03-14), a week (2024-W11, last week), a month (2024-03) or "
        "'last N days' (default: the last 7 days)",
        query="Only papers with these words in the title, abstract or keywords",
        private="Show the list only to you",
    )
    @app_commands.autocomplete(period=period_choices)
    async def candidates(
        self,
        interaction: discord.Interaction,
        period: options.Period | None = None,
        query: options.CandidateQuery | None = None,
        private: bool = False,
    ) -> None:
        guild_id = guild_id_of(interaction)
        services = self.bot.services
        words = normalise_query(query)
        span = await services.candidates.period_of(guild_id, period)
        state = listing_state(span, words)  # a query too long to page with is refused now
        await interaction.response.defer(ephemeral=private, thinking=True)
        pages = CandidatePages(services, guild_id, span, words)
        await send_paged(interaction, PAGE_SOURCE, state, pages, ephemeral=private)
