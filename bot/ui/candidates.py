"""Candidates from the Daily Papers feed, on the Discord side.

Pure rendering (pages of candidates, the weekly digest), the Propose button and the digest's
sender. The Propose button is a :class:`discord.ui.DynamicItem` whose custom id carries the
arXiv id (``cand:propose:2403.09611``); the class is registered once when the cog loads, so
the buttons of every list and digest ever posted keep working after a restart. Everything
the feed says is escaped, and messages are sent with mentions disabled.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import aiohttp
import discord

from bot.candidates.digest import Digest, DigestBlocked, DigestFailed, DigestRejected
from bot.candidates.feed import FeedItem
from bot.candidates.service import EMBEDDINGS, Candidate, CandidateList, feed_links
from bot.dates import Period, discord_timestamp
from bot.errors import InvalidInput
from bot.papers.proposals import ProposalInfo
from bot.ui.autocomplete import bot_of
from bot.ui.checks import guild_id_of
from bot.ui.errors import report_error
from bot.ui.paper_render import fit, links_text, proposal_embed
from bot.ui.paper_views import proposal_buttons
from bot.ui.render import COLOUR, escape, link

if TYPE_CHECKING:
    from bot.app import ReadingGroupBot
    from bot.container import Services

log = logging.getLogger(__name__)

PROPOSE_ID = "cand:propose:{id}"
PROPOSE_TEMPLATE = r"cand:propose:(?P<id>\d{4}\.\d{4,5})"
PER_PAGE = 5
FIELD_NAME = 256
FIELD_VALUE = 1024
KNOWN_SHOWN = 8
HISTORY_SCAN = 50


# --------------------------------------------------------------------------------------
# Rendering (pure)


def _close_to(candidate: Candidate, listing: CandidateList) -> str | None:
    ranked = candidate.ranked
    if listing.history == 0:
        return None  # said once, in the description
    if ranked.close_to is None:
        return "not close to anything the group read"
    line = f"close to: {fit(ranked.close_to, 150)}"
    if ranked.unlike is not None:
        line += f" (but like withdrawn {fit(ranked.unlike, 80)})"
    return line


def item_links(item: FeedItem) -> str:
    parts = [link("arXiv", item.arxiv_url), link("Hugging Face", item.hf_url)]
    code, demo = feed_links(item)
    extra = links_text(code + demo)
    return " · ".join(parts) + (f" · {extra}" if extra else "")


def candidate_field(number: int, candidate: Candidate, listing: CandidateList) -> tuple[str, str]:
    item = candidate.item
    name = f"{number}. " + fit(item.title, FIELD_NAME - 8)
    facts = [f"👍 {item.upvotes}"]
    if item.feed_day is not None:
        facts.append(item.feed_day.isoformat())
    if item.keywords:
        facts.append(fit(", ".join(item.keywords), 200))
    reason = _close_to(candidate, listing)
    lines = [" · ".join(facts), *([reason] if reason else []), item_links(item)]
    value = "\n".join(lines)
    if len(value) > FIELD_VALUE:
        value = "\n".join([*lines[:-1], link("arXiv", item.arxiv_url)])[:FIELD_VALUE]
    return name, value


def _method(listing: CandidateList) -> str:
    if listing.history == 0:
        return (
            "Ranked by upvotes: the group has no papers yet to compare with (propose, "
            "schedule or read some and the ranking follows them)."
        )
    how = "embeddings" if listing.method == EMBEDDINGS else "shared words, BM25"
    return (
        f"Ranked by similarity ({how}) to what this group read, scheduled and voted for, "
        "away from what it withdrew; upvotes break ties."
    )


def _heading(listing: CandidateList) -> str:
    title = f"Candidates · {listing.period.label}"
    if listing.query:
        title += f" · “{listing.query}”"
    return fit(title, 250)


def known_lines(listing: CandidateList) -> str:
    lines = [f"{fit(c.item.title, 90)} ({c.mark})" for c in listing.known[:KNOWN_SHOWN]]
    more = len(listing.known) - KNOWN_SHOWN
    if more > 0:
        lines.append(f"… and {more} more")
    return "\n".join(lines)[:FIELD_VALUE]


def candidates_embed(
    listing: CandidateList, shown: Sequence[Candidate], number: int, pages: int
) -> discord.Embed:
    """One page of a listing; ``shown`` are its candidates (numbered across pages)."""
    description = [_method(listing)]
    if listing.note:
        description.append(f"⚠️ {escape(listing.note)}")
    if not listing.fresh:
        what = f"{listing.in_feed} paper{'s' if listing.in_feed != 1 else ''} in the feed"
        description.append(
            f"Nothing new to propose ({what}"
            + (", none matching the query" if listing.query else "")
            + ")."
        )
    embed = discord.Embed(
        title=_heading(listing), description="\n".join(description)[:4000], colour=COLOUR
    )
    for offset, candidate in enumerate(shown):
        name, value = candidate_field(number * PER_PAGE + offset + 1, candidate, listing)
        embed.add_field(name=name, value=value, inline=False)
    if number == 0 and listing.known:
        embed.add_field(
            name="Already proposed, scheduled or read", value=known_lines(listing), inline=False
        )
    embed.set_footer(
        text=f"Page {number + 1}/{max(pages, 1)} · {len(listing.fresh)} new of "
        f"{listing.in_feed} in the feed · Propose with the buttons"
    )
    return embed


def propose_buttons(
    shown: Sequence[Candidate], first_number: int, *, first_row: int = 1
) -> list[ProposeButton]:
    """A button per candidate, five a row from ``first_row`` (row 0 holds ◀ / ▶)."""
    return [
        ProposeButton(c.item.arxiv_id, label=f"Propose {first_number + i}", row=first_row + i // 5)
        for i, c in enumerate(shown)
    ]


def digest_embed(digest: Digest) -> discord.Embed:
    listing = digest.listing
    embed = discord.Embed(
        title=fit(f"This week's candidates · {listing.period.label}", 250),
        description=(
            f"The top {len(digest.candidates)} papers of the Daily Papers feed for this group. "
            + _method(listing)
            + (f"\n⚠️ {escape(listing.note)}" if listing.note else "")
        )[:4000],
        colour=COLOUR,
    )
    for i, candidate in enumerate(digest.candidates, start=1):
        name, value = candidate_field(i, candidate, listing)
        embed.add_field(name=name, value=value, inline=False)
    embed.set_footer(text=f"Weekly digest · /paper candidates for more · ref {digest.ref}")
    embed.timestamp = digest.due_at
    return embed


def digest_view(digest: Digest) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for button in propose_buttons(digest.candidates, 1, first_row=0):
        view.add_item(button)
    return view


# --------------------------------------------------------------------------------------
# The state of a listing in a page button's custom id (≤ 48 URL-safe characters)

_STATE = re.compile(
    r"^(?P<kind>[dwmr])(?P<start>\d{8})(?P<end>\d{8})?(?:~(?P<query>[a-z0-9.-]*))?$"
)


def listing_state(period: Period, query: str | None) -> str:
    kind = {"day": "d", "week": "w", "month": "m", "days": "r"}[period.kind]
    state = f"{kind}{period.start:%Y%m%d}"
    if period.kind == "days":
        state += f"{period.end:%Y%m%d}"
    if query:
        encoded = query.replace(" ", ".")
        if not re.fullmatch(r"[a-z0-9.-]*", encoded) or len(state) + 1 + len(encoded) > 48:
            raise InvalidInput(
                "Use a shorter query of plain letters and digits, so the list can be paged."
            )
        state += f"~{encoded}"
    return state


def parse_state(state: str) -> tuple[Period, str | None]:
    from datetime import date, timedelta

    match = _STATE.match(state)
    if match is None:
        raise InvalidInput("This list can no longer be paged; run the command again.")

    def day(text: str) -> date:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))

    start = day(match["start"])
    kind = match["kind"]
    if kind == "d":
        period = Period("day", start, start)
    elif kind == "w":
        period = Period("week", start, start + timedelta(days=6))
    elif kind == "m":
        following = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
        period = Period("month", start, following - timedelta(days=1))
    else:
        period = Period("days", start, day(match["end"] or match["start"]))
    query = (match["query"] or "").replace(".", " ").strip() or None
    return period, query


# --------------------------------------------------------------------------------------
# The Propose button


async def publish_proposal(
    services: Services, channel: Any, guild_id: int, view: ProposalInfo
) -> discord.Message:
    """Post a new proposal with its vote button; removed again if Discord refuses."""
    if not isinstance(channel, discord.abc.Messageable):
        await services.proposals.discard(guild_id, view.id)
        raise InvalidInput("Propose papers in a text channel of the server.")
    try:
        message = await channel.send(embed=proposal_embed(view), view=proposal_buttons(view))
    except discord.HTTPException:
        await services.proposals.discard(guild_id, view.id)
        raise
    await services.proposals.set_message(guild_id, view.id, message.channel.id, message.id)
    return message


class ProposeButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=PROPOSE_TEMPLATE):
    """Propose this candidate: the normal proposal with its vote button, in this channel."""

    def __init__(self, arxiv_id: str, *, label: str = "Propose", row: int | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji="📥",
                style=discord.ButtonStyle.success,
                custom_id=PROPOSE_ID.format(id=arxiv_id),
                row=row,
            )
        )
        self.arxiv_id = arxiv_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any
    ) -> ProposeButton:
        return cls(match["id"], label=getattr(item, "label", None) or "Propose")

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            bot = bot_of(interaction)
            guild_id = guild_id_of(interaction)
            await interaction.response.defer(ephemeral=True, thinking=True)
            services = bot.services
            view = await services.candidates.propose(
                guild_id, self.arxiv_id, proposer_id=interaction.user.id
            )
            message = await publish_proposal(services, interaction.channel, guild_id, view)
            await interaction.followup.send(
                f"Proposed {escape(view.paper.title[:150])} as #{view.number}: {message.jump_url}",
                ephemeral=True,
            )
        except Exception as error:
            await report_error(interaction, error)


# --------------------------------------------------------------------------------------
# Posting the digest


class DiscordDigestSender:
    """Posts digests; maps Discord's answers to the digest service's errors."""

    def __init__(self, bot: ReadingGroupBot) -> None:
        self.bot = bot

    async def send(self, digest: Digest, channel_id: int) -> int:
        channel = self.bot.get_partial_messageable(channel_id, guild_id=digest.guild_id)
        try:
            message = await channel.send(
                embed=digest_embed(digest),
                view=digest_view(digest),
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except (discord.Forbidden, discord.NotFound) as exc:
            raise DigestBlocked(f"Discord answered {exc.status} ({exc.code})") from None
        except (discord.DiscordServerError, discord.RateLimited) as exc:
            raise DigestFailed(f"Discord failed: {exc}") from None
        except discord.HTTPException as exc:
            raise DigestRejected(f"{exc.status} ({exc.code}): {exc.text}") from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise DigestFailed(f"network error: {exc.__class__.__name__}") from None
        return message.id

    async def find_posted(
        self, guild_id: int, channel_id: int, ref: str, after: datetime
    ) -> int | None:
        if self.bot.user is None:
            raise DigestFailed("not logged in")
        channel = self.bot.get_partial_messageable(channel_id, guild_id=guild_id)
        try:
            async for message in channel.history(limit=HISTORY_SCAN, after=after):
                if message.author.id != self.bot.user.id:
                    continue
                for embed in message.embeds:
                    footer = embed.footer.text
                    if footer and f"ref {ref}" in footer:
                        return message.id
        except (discord.Forbidden, discord.NotFound) as exc:
            raise DigestBlocked(f"Discord answered {exc.status}") from None
        except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
            raise DigestFailed(f"cannot read the channel: {exc.__class__.__name__}") from None
        return None


def digest_status(config: Any, next_due: datetime | None) -> str:
    """One paragraph for /candidates show."""
    from bot.dates import WEEKDAYS

    if not config.enabled or config.channel_id is None:
        return "The weekly digest is off. Turn it on with /candidates set channel:… day:… time:…"
    text = (
        f"Every {WEEKDAYS[config.weekday].title()} at {config.at:%H:%M} (server time), the top "
        f"{config.count} candidates go to <#{config.channel_id}>."
    )
    if next_due is not None:
        text += f" Next: {discord_timestamp(next_due, 'F')}."
    return text


# --------------------------------------------------------------------------------------
# Pages of a listing


class CandidatePages:
    """The renderer of one listing's pages; remembers each rendered page's candidates so
    the page gets a Propose button per candidate."""

    def __init__(self, services: Services, guild_id: int, period: Period, query: str | None):
        self.services = services
        self.guild_id = guild_id
        self.period = period
        self.query = query
        self._shown: dict[int, list[Candidate]] = {}

    async def __call__(self, number: int) -> tuple[discord.Embed, int, int]:
        service = self.services.candidates
        listing = await service.listing(self.guild_id, self.period, self.query)
        pages = max(1, -(-len(listing.fresh) // PER_PAGE))
        number = max(0, min(number, pages - 1))
        shown = listing.fresh[number * PER_PAGE : (number + 1) * PER_PAGE]
        shown = await service.with_details(shown)
        self._shown[number] = shown
        return candidates_embed(listing, shown, number, pages), number, pages

    def buttons(self, number: int) -> list[ProposeButton]:
        return propose_buttons(self._shown.get(number, []), number * PER_PAGE + 1)


def page_items(render: Any) -> Any:
    """For ``PageSources.add(items=…)``: the Propose buttons of a rendered page."""
    return render.buttons if isinstance(render, CandidatePages) else None
