"""◀ / ▶ buttons of long lists that keep working after a restart and never time out.

Each button's custom id carries everything needed to show the page it leads to: which
list (a *source* a cog registers, such as ``sessions``), the member who asked for it, the
page number and the list's filter in a compact form
(``page:sessions:123456789012345678:3:n:u``). The button class is registered once with
``bot.add_dynamic_items``; a click finds the source, renders that page fresh from the
database (so it is never stale) and edits the message. Nothing is held in memory per
message, so a list posted last week pages as well as one posted a second ago.

Filters that are free text (a block name, a topic path) would not fit the 100 characters
of a custom id; they travel as :func:`text_key`, a short digest the source matches against
the names it knows.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot.ui.autocomplete import bot_of
from bot.ui.errors import report_error, send_ephemeral

PageRenderer = Callable[[int], Awaitable[tuple[discord.Embed, int, int]]]
"""``render(number)`` → (embed, the page number actually shown, number of pages)."""

PageItems = Callable[[int], Sequence[discord.ui.Item[Any]]]
"""``items(number)`` → more components for the page just rendered (e.g. a button per entry)."""

PageSource = Callable[[discord.Interaction, str], Awaitable[PageRenderer]]
"""``open(interaction, state)`` → the renderer of the list ``state`` describes."""

STATE_PATTERN = r"[A-Za-z0-9_.~-]{0,48}"
PAGE_TEMPLATE = (
    r"page:(?P<source>[a-z]{1,12}):(?P<owner>\d{1,20}):(?P<page>\d{1,6}):"
    rf"(?P<direction>[pn]):(?P<state>{STATE_PATTERN})"
)
MAX_PAGE = 999_999
LABELS = {"p": "◀ Previous", "n": "Next ▶"}
SOURCE_NAME = re.compile(r"[a-z]{1,12}")
STATE = re.compile(STATE_PATTERN)


def text_key(text: str) -> str:
    """A 12-character digest of ``text`` for a custom id (URL-safe characters only)."""
    return hashlib.blake2b(text.encode(), digest_size=9).hexdigest()[:12]


class PageSources:
    """The lists a bot can page through, by name; cogs add theirs when they load."""

    def __init__(self) -> None:
        self._sources: dict[str, PageSource] = {}
        self._items: dict[str, Callable[[PageRenderer], PageItems | None]] = {}

    def add(
        self,
        name: str,
        source: PageSource,
        *,
        items: Callable[[PageRenderer], PageItems | None] | None = None,
    ) -> None:
        """``items(render)``, when given, returns the page's extra components of that
        renderer (read after it rendered the page)."""
        if not SOURCE_NAME.fullmatch(name):
            raise ValueError(f"page source names are 1-12 lowercase letters, not {name!r}")
        self._sources[name] = source
        if items is not None:
            self._items[name] = items

    def items_of(self, name: str, render: PageRenderer) -> PageItems | None:
        finder = self._items.get(name)
        return finder(render) if finder is not None else None

    def remove(self, name: str) -> None:
        self._sources.pop(name, None)
        self._items.pop(name, None)

    def get(self, name: str) -> PageSource | None:
        return self._sources.get(name)


class PageButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=PAGE_TEMPLATE):
    """One of the two buttons; ``page`` is the page it leads to."""

    def __init__(
        self, source: str, owner_id: int, page: int, direction: str, state: str, *, disabled: bool
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=LABELS[direction],
                style=discord.ButtonStyle.secondary,
                custom_id=f"page:{source}:{owner_id}:{page}:{direction}:{state}",
                disabled=disabled,
            )
        )
        self.source = source
        self.owner_id = owner_id
        self.page = page
        self.state = state

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any
    ) -> PageButton:
        return cls(
            match["source"],
            int(match["owner"]),
            int(match["page"]),
            match["direction"],
            match["state"],
            disabled=False,
        )

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            if interaction.user.id != self.owner_id:
                await send_ephemeral(interaction, "These buttons belong to someone else's command.")
                return
            sources = bot_of(interaction).page_sources
            source = sources.get(self.source)
            if source is None:
                await send_ephemeral(
                    interaction, "This list can no longer be paged; run the command again."
                )
                return
            render = await source(interaction, self.state)
            embed, number, pages = await render(self.page)
            extra = sources.items_of(self.source, render)
            buttons = page_buttons(
                self.source,
                self.owner_id,
                self.state,
                number,
                pages,
                extra=extra(number) if extra is not None else (),
            )
            await interaction.response.edit_message(embed=embed, view=buttons)
        except Exception as error:
            await report_error(interaction, error)


def page_buttons(
    source: str,
    owner_id: int,
    state: str,
    number: int,
    pages: int,
    *,
    extra: Sequence[discord.ui.Item[Any]] = (),
) -> discord.ui.View | None:
    """The ◀ / ▶ row for page ``number`` of ``pages`` (none when everything fits one page),
    followed by the page's ``extra`` components."""
    if pages <= 1:
        if not extra:
            return None
        view = discord.ui.View(timeout=None)
        for item in extra:
            view.add_item(item)
        return view
    if not STATE.fullmatch(state):
        raise ValueError(f"a page state is at most 48 URL-safe characters, not {state!r}")
    number = max(0, min(number, pages - 1, MAX_PAGE - 1))
    view = discord.ui.View(timeout=None)
    view.add_item(
        PageButton(source, owner_id, max(0, number - 1), "p", state, disabled=number <= 0)
    )
    view.add_item(
        PageButton(source, owner_id, number + 1, "n", state, disabled=number >= pages - 1)
    )
    for item in extra:
        view.add_item(item)
    return view


async def send_paged(
    interaction: discord.Interaction,
    source: str,
    state: str,
    render: PageRenderer,
    *,
    ephemeral: bool,
) -> None:
    """Answer with the first page, with ◀ / ▶ buttons for the invoking member when there
    are more. ``source`` must be registered in the bot's ``page_sources`` and turn
    ``state`` back into the same list. After a deferral the page is sent as the follow-up."""
    embed, number, pages = await render(0)
    sources: PageSources | None = getattr(interaction.client, "page_sources", None)
    extra = sources.items_of(source, render) if sources is not None else None
    view = page_buttons(
        source,
        interaction.user.id,
        state,
        number,
        pages,
        extra=extra(number) if extra is not None else (),
    )
    if interaction.response.is_done():
        if view is None:
            await interaction.followup.send(embed=embed, ephemeral=ephemeral)
        else:
            await interaction.followup.send(embed=embed, view=view, ephemeral=ephemeral)
        return
    if view is None:
        await interaction.response.send_message(embed=embed, ephemeral=ephemeral)
    else:
        await interaction.response.send_message(embed=embed, view=view, ephemeral=ephemeral)
