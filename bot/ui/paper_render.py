"""Pure functions that turn papers, proposals and the reading list into Discord embeds.

Titles, authors, abstracts and notes come from arXiv or from members: all of it is escaped
(no markdown, no mentions) and cut to Discord's limits here, so nothing can break a message
or ping anyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import discord

from bot.dates import format_date, utc_to_local
from bot.papers.editing import PaperEdited
from bot.papers.identity import is_stand_in_title
from bot.papers.proposals import ProposalInfo, QueuePage
from bot.papers.service import PaperDetails
from bot.readinglist.service import TopicNode
from bot.schedule.presenters import PresenterSuggestion
from bot.schedule.readmodels import SessionInfo
from bot.text import shorten
from bot.ui.render import COLOUR, abbreviate_authors, escape, link, safe_url
from storage.models import GuildConfig, Paper, ProposalStatus, ReadingSession, SessionStatus

EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
FIELD_VALUE = 1024
FOOTER = 2048
ABSTRACT_LIMIT = 1500
CHOICE_NAME = 100
SELECT_LABEL = 100
SELECT_DESCRIPTION = 100
READING_PAGE_BUDGET = 3500  # description characters per reading-list page (limit 4096)
INDENT = "\u2003"  # an em space: Discord keeps it at the start of a line
READ, UNREAD = "✅", "⬜"

STATUS_COLOURS = {
    ProposalStatus.OPEN: COLOUR,
    ProposalStatus.WITHDRAWN: discord.Colour.dark_grey(),
    ProposalStatus.SCHEDULED: discord.Colour.green(),
}


def fit(text: str, limit: int) -> str:
    """``text`` escaped for Discord and shortened so the escaped form fits ``limit``."""
    escaped = escape(text)
    raw = text
    while len(escaped) > limit and raw:
        raw = shorten(raw, max(1, len(raw) - (len(escaped) - limit) - 1))
        escaped = escape(raw)
    return escaped[:limit]


def links_text(links: Sequence[Sequence[str]]) -> str:
    """README style: '[GitHub](…) [Project Page](…)'."""
    parts = [link(label, url, 40) for label, url in links if safe_url(url)]
    return " ".join(parts)


def paper_links(paper: Paper) -> str:
    parts = []
    if paper.arxiv_id:
        parts.append(link("arXiv", f"https://arxiv.org/abs/{paper.arxiv_id}"))
        if paper.pdf_url:
            parts.append(link("PDF", paper.pdf_url))
    elif paper.url:
        parts.append(link("Paper", paper.url))
    return " · ".join(parts)


def _fit_field(text: str) -> str:
    return text if len(text) <= FIELD_VALUE else shorten(text, FIELD_VALUE)


def _fit_links(links: Sequence[Sequence[str]]) -> str:
    """As many whole links as fit a field (a link cut in half would be broken markdown)."""
    shown: list[str] = []
    for label, url in links:
        if not safe_url(url):
            continue
        candidate = " ".join([*shown, link(label, url, 40)])
        if len(candidate) > FIELD_VALUE - 2:
            return " ".join(shown) + " …"
        shown.append(link(label, url, 40))
    return " ".join(shown)


def _paper_fields(embed: discord.Embed, paper: Paper) -> None:
    if paper.authors:
        embed.add_field(
            name="Authors",
            value=fit(abbreviate_authors(paper.authors, 12), FIELD_VALUE),
            inline=False,
        )
    links = paper_links(paper)
    if links:
        embed.add_field(name="Links", value=links, inline=True)
    if paper.code_links:
        embed.add_field(name="Code", value=_fit_links(paper.code_links) or "—", inline=True)
    if paper.demo_links:
        embed.add_field(name="Demo", value=_fit_links(paper.demo_links) or "—", inline=True)
    if paper.categories:
        embed.add_field(
            name="Categories", value=fit(" · ".join(paper.categories[:10]), 200), inline=True
        )


def _base_embed(paper: Paper, prefix: str = "", colour: discord.Colour = COLOUR) -> discord.Embed:
    title = prefix + fit(paper.title, EMBED_TITLE - len(prefix))
    abstract = paper.abstract or ""
    description = fit(shorten(abstract, ABSTRACT_LIMIT), ABSTRACT_LIMIT + 200) if abstract else None
    return discord.Embed(
        title=title, url=safe_url(paper.url), description=description, colour=colour
    )


def proposal_embed(view: ProposalInfo) -> discord.Embed:
    """The proposal message: what the paper is, who proposed it, how many votes."""
    proposal, paper = view.proposal, view.paper
    embed = _base_embed(
        paper,
        f"#{view.number} · ",
        STATUS_COLOURS.get(ProposalStatus(proposal.status), COLOUR),
    )
    _paper_fields(embed, paper)
    embed.add_field(name="Proposed by", value=f"<@{proposal.proposer_id}>", inline=True)
    presenter = f"<@{proposal.presenter_id}>" if proposal.presenter_id else "— (volunteers welcome)"
    embed.add_field(name="Presenter", value=presenter, inline=True)
    embed.add_field(name="Votes", value=str(view.votes), inline=True)
    if proposal.note:
        embed.add_field(name="Note", value=fit(proposal.note, FIELD_VALUE), inline=False)
    status = {
        ProposalStatus.OPEN: "open: vote with the button, click again to take it back",
        ProposalStatus.WITHDRAWN: "withdrawn",
        ProposalStatus.SCHEDULED: f"scheduled as session #{view.session_number}",
    }.get(ProposalStatus(proposal.status), proposal.status)
    version = f" · arXiv {paper.arxiv_id}v{paper.arxiv_version}" if paper.arxiv_version else ""
    embed.set_footer(text=f"Proposal #{view.number} · {status}{version}")
    return embed


def _session_line(session: ReadingSession, config: GuildConfig) -> str:
    local = utc_to_local(session.starts_at, config.timezone)
    line = f"#{session.number} · {format_date(local.date(), config.date_format)}"
    if session.status == SessionStatus.CANCELLED:
        line += " (cancelled)"
    return line


def paper_embed(details: PaperDetails, config: GuildConfig) -> discord.Embed:
    """``/paper info``: the cached metadata and where the paper appears in this server."""
    paper = details.paper
    embed = _base_embed(paper)
    _paper_fields(embed, paper)
    if details.proposals:
        lines = [f"#{no} · {status} · {votes} votes" for no, status, votes in details.proposals]
        embed.add_field(name="Proposals", value=_fit_field("\n".join(lines[-10:])), inline=False)
    if details.sessions:
        lines = [_session_line(s, config) for s in details.sessions]
        embed.add_field(name="Sessions", value=_fit_field("\n".join(lines[-10:])), inline=False)
    if details.reading:
        lines = [
            f"{READ if read else UNREAD} {fit(' / '.join(path.split('/')), 200)}"
            for path, read in details.reading
        ]
        embed.add_field(name="Reading list", value=_fit_field("\n".join(lines)), inline=False)
    source = f"arXiv {paper.arxiv_id}v{paper.arxiv_version}" if paper.arxiv_id else "member"
    fetched = ""
    if paper.fetched_at:
        day = utc_to_local(paper.fetched_at, config.timezone).date()
        fetched = f" · fetched {format_date(day, config.date_format)}"
    edited = " · links edited by organizers" if paper.links_edited else ""
    embed.set_footer(text=f"Paper · {source}{fetched}{edited}"[:FOOTER])
    return embed


def message_url(guild_id: int, channel_id: int | None, message_id: int | None) -> str | None:
    if not channel_id or not message_id:
        return None
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


def queue_line(view: ProposalInfo) -> str:
    proposal = view.proposal
    target = message_url(proposal.guild_id, proposal.channel_id, proposal.message_id)
    title = link(view.paper.title, target or view.paper.url, 120)
    line = f"`#{view.number}` **{view.votes}** 👍 · {title} · by <@{proposal.proposer_id}>"
    if proposal.presenter_id:
        line += f" · presents <@{proposal.presenter_id}>"
    return line


def queue_embed(page: QueuePage) -> discord.Embed:
    if not page.items:
        description = "No open proposals. Propose a paper with `/paper propose`."
    else:
        lines: list[str] = []
        for index, view in enumerate(page.items, start=page.number * page.per_page + 1):
            line = f"{index}. {queue_line(view)}"
            if len("\n".join([*lines, line])) > EMBED_DESCRIPTION:
                break
            lines.append(line)
        description = "\n".join(lines)
    embed = discord.Embed(title="Proposed papers", description=description, colour=COLOUR)
    embed.set_footer(
        text=f"Page {page.number + 1} of {page.pages} · {page.total} open proposal"
        f"{'s' if page.total != 1 else ''} · most votes first, then the oldest"
    )
    return embed


def proposal_choice(view: ProposalInfo) -> str:
    prefix = f"#{view.number} · {view.votes} votes · "
    return prefix + shorten(" ".join(view.paper.title.split()), CHOICE_NAME - len(prefix))


def paper_choice(paper: Paper) -> str:
    suffix = f" · {paper.arxiv_id}" if paper.arxiv_id else ""
    return shorten(" ".join(paper.title.split()), CHOICE_NAME - len(suffix)) + suffix


def edited_text(done: PaperEdited) -> str:
    """The reply to /paper edit."""
    paper = done.paper
    if not done.changed:
        return f"Nothing changed: {escape(shorten(paper.title, 150))} is as it was."
    text = f"Saved the {done.changed_text} of {escape(shorten(paper.title, 150))}."
    shown = []
    if done.session_ids:
        count = len(done.session_ids)
        shown.append(f"{count} session{'s' if count != 1 else ''}")
    if done.in_reading_list:
        shown.append("the reading list")
    if shown:
        text += f" Updated in {' and '.join(shown)}."
    if paper.arxiv_id and {"title", "authors"} & set(done.changed):
        text += (
            " A refresh from arXiv (/paper info refresh:true) puts arXiv's title and authors back."
        )
    return text


def stand_in_notes(view: SessionInfo) -> list[str]:
    """One line per paper of a session known only by its link (a title made from it)."""
    return [
        f"{escape(shorten(lp.paper.title, 100))} has only a name made from its link: give its "
        "title and authors with /paper edit."
        for lp in view.papers
        if is_stand_in_title(lp.paper.title, lp.paper.url)
    ]


def rotation_text(suggestions: Sequence[PresenterSuggestion], config: GuildConfig) -> str | None:
    """'Fair rotation suggests: @a (never presented), @b (last presented 07.02.2025)'."""
    if not suggestions:
        return None
    parts = []
    for s in suggestions:
        if s.last_presented is None:
            when = "never presented"
        else:
            local = utc_to_local(s.last_presented, config.timezone)
            when = f"last presented {format_date(local.date(), config.date_format)}"
        parts.append(f"<@{s.user_id}> ({when})")
    return "🎤 Next presenter by fair rotation: " + ", ".join(parts)


# ------------------------------------------------------------------------------------------
# The reading list


@dataclass(frozen=True, slots=True)
class ReadingLine:
    text: str
    breadcrumb: str  # the topic the line belongs to, repeated atop a page that starts inside it
    is_topic: bool


def _item_label(listed_label: str | None, paper: Paper) -> str:
    if listed_label:
        return listed_label
    if paper.authors:
        first = paper.authors[0].replace(".", ". ").split()
        surname = first[-1] if first else ""
        return f"{surname} et al." if len(paper.authors) > 1 else surname
    return ""


def reading_lines(roots: Sequence[TopicNode]) -> list[ReadingLine]:
    lines: list[ReadingLine] = []
    for root in roots:
        for node in root.walk():
            depth = node.depth - root.depth
            read, total = node.counts()
            name = fit(node.topic.name, 200)
            crumb = fit(" / ".join(node.topic.path.split("/")), 300)
            lines.append(
                ReadingLine(f"{INDENT * depth}**{name}** · {read}/{total}", crumb, is_topic=True)
            )
            for listed in node.items:
                paper = listed.paper
                mark = READ if listed.read else UNREAD
                label = _item_label(listed.item.label, paper)
                who = f"{fit(label, 60)} " if label else ""
                lines.append(
                    ReadingLine(
                        f"{INDENT * (depth + 1)}{mark} {who}{link(paper.title, paper.url, 150)}",
                        crumb,
                        is_topic=False,
                    )
                )
    return lines


def reading_pages(roots: Sequence[TopicNode], budget: int = READING_PAGE_BUDGET) -> list[str]:
    """The reading list cut into page descriptions of at most ``budget`` characters."""
    pages: list[str] = []
    current: list[str] = []
    size = 0
    for line in reading_lines(roots):
        if current and size + len(line.text) + 1 > budget:
            pages.append("\n".join(current))
            current, size = [], 0
            if not line.is_topic:
                header = f"**{line.breadcrumb}** (continued)"
                current.append(header)
                size = len(header) + 1
        current.append(line.text)
        size += len(line.text) + 1
    if current:
        pages.append("\n".join(current))
    return pages


def reading_embed(
    pages: Sequence[str], number: int, roots: Sequence[TopicNode], topic: str | None
) -> discord.Embed:
    read = sum(node.counts()[0] for node in roots)
    total = sum(node.counts()[1] for node in roots)
    if not pages:
        description = "The reading list is empty. Add papers with `/readinglist add`."
    else:
        description = pages[number]
    title = "Reading list" + (f": {fit(topic, 200)}" if topic else "")
    embed = discord.Embed(title=title, description=description, colour=COLOUR)
    embed.set_footer(
        text=f"Page {number + 1} of {max(1, len(pages))} · {read} of {total} read · "
        "✅ read, ⬜ unread"
    )
    return embed
