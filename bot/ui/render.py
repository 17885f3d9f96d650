"""Pure functions that turn sessions and papers into Discord text and embeds.

Everything members typed is escaped here (markdown, links), and every string is cut to
Discord's limits, so no title can break a message or ping anyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote, urlsplit

import discord

from bot.dates import discord_timestamp, format_date, utc_to_local
from bot.markdown.syntax import LINK, URL, tokenize
from bot.schedule.service import KIND_LABELS, Page, SessionInfo, headline
from bot.text import shorten
from storage.models import GuildConfig, Paper, PaperRole, SessionKind, SessionStatus

EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
FIELD_VALUE = 1024
CHOICE_NAME = 100
COLOUR = discord.Colour.blurple()


def escape(text: str) -> str:
    """Plain text for Discord markdown: no formatting, no mentions."""
    text = discord.utils.escape_markdown(text, as_needed=False)
    return discord.utils.escape_mentions(text)


def cell_text(markup: str) -> str:
    """A cell kept from an imported table as Discord text: its http(s) links as links,
    everything else escaped (relative links, which lead nowhere here, as their text)."""
    parts: list[str] = []
    for kind, text, url in tokenize(markup):
        if kind == LINK and (target := safe_url(url)):
            parts.append(f"[{escape(text)}]({target})")
        elif kind == URL:
            parts.append(safe_url(url) or escape(url))
        else:
            parts.append(escape(text))
    return " ".join("".join(parts).split("\n"))


def safe_url(url: str | None) -> str | None:
    """An http(s) URL usable inside ``[text](url)``, or None."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return quote(url, safe=":/?#[]@!$&'*+,;=%~-._")


def link(text: str, url: str | None, limit: int = 200) -> str:
    label = escape(shorten(text, limit)).replace("]", "\\]").replace("[", "\\[")
    target = safe_url(url)
    return f"[{label}]({target})" if target else label


def abbreviate_authors(authors: Sequence[str], limit: int = 6) -> str:
    """'Haotian Liu, Chunyuan Li, …' → 'H. Liu, C. Li, Q. Wu, Y. J. Lee' (the README's way)."""
    out = []
    for name in authors[:limit]:
        parts = name.replace(".", ". ").split()
        if len(parts) < 2:
            out.append(name.strip())
            continue
        initials = " ".join(f"{p[0]}." for p in parts[:-1] if p[:1].isalpha())
        out.append(f"{initials} {parts[-1]}".strip())
    if len(authors) > limit:
        out.append("et al.")
    return ", ".join(out)


def paper_line(paper: Paper, label: str | None = None, *, with_authors: bool = True) -> str:
    line = link(label or paper.title, paper.url)
    if with_authors and paper.authors:
        line += f" — {escape(abbreviate_authors(paper.authors, 4))}"
    return line


def when(view: SessionInfo, config: GuildConfig) -> str:
    local = utc_to_local(view.starts_at, config.timezone)
    return (
        f"{discord_timestamp(view.starts_at, 'F')} ({discord_timestamp(view.starts_at, 'R')}) · "
        f"{format_date(local.date(), config.date_format)} {local:%H:%M} {config.timezone}"
    )


def event_url(guild_id: int, event_id: int) -> str:
    return f"https://discord.com/events/{guild_id}/{event_id}"


def _papers_block(view: SessionInfo, limit: int) -> str:
    lines = []
    for linked in view.papers:
        prefix = "See also: " if linked.role == PaperRole.SEE_ALSO else ""
        lines.append(f"• {prefix}{paper_line(linked.paper, linked.label)}")
    return _fit_lines(lines, limit)


def _fit_lines(lines: Sequence[str], limit: int) -> str:
    text = ""
    for index, line in enumerate(lines):
        more = f"\n… and {len(lines) - index} more"
        candidate = f"{text}\n{line}" if text else line
        if len(candidate) > limit - len(more):
            return (text + more).strip()
        text = candidate
    return text


def session_embed(view: SessionInfo, config: GuildConfig) -> discord.Embed:
    s = view.session
    prefix = f"#{view.number} · "
    embed = discord.Embed(
        title=prefix + shorten(escape(headline(view)), EMBED_TITLE - len(prefix)),
        description=when(view, config),
        colour=discord.Colour.dark_grey() if s.status == SessionStatus.CANCELLED else COLOUR,
    )
    kind = KIND_LABELS.get(s.kind, s.kind)
    if s.status == SessionStatus.CANCELLED:
        kind += " · **cancelled**"
    embed.add_field(name="Kind", value=kind, inline=True)
    presenter = f"<@{s.presenter_id}>" if s.presenter_id else escape(s.presenter_name or "—")
    embed.add_field(name="Presenter", value=presenter, inline=True)
    if s.kind == SessionKind.BLOCK_PART:
        embed.add_field(
            name="Block", value=escape(f"{s.block_name}, part {s.block_part}"), inline=True
        )
    if view.papers:
        embed.add_field(name="Papers", value=_papers_block(view, FIELD_VALUE), inline=False)
    if s.kind == SessionKind.CONTINUE and view.continues is not None:
        root = view.continues
        local = utc_to_local(root.starts_at, config.timezone)
        continued = [
            paper_line(lp.paper, lp.label, with_authors=False) for lp in view.continues_papers
        ]
        value = f"#{root.number} of {format_date(local.date(), config.date_format)}"
        if continued:
            value += ": " + ", ".join(continued)
        embed.add_field(name="Continues", value=shorten(value, FIELD_VALUE), inline=False)
    if s.notes:
        embed.add_field(name="Notes", value=shorten(escape(s.notes), FIELD_VALUE), inline=False)
    columns = (s.details or {}).get("columns")
    if isinstance(columns, dict) and columns:
        lines = [
            f"**{escape(str(name))}:** {cell_text(str(value))}"
            for name, value in columns.items()
            if str(value).strip()
        ]
        if lines:
            embed.add_field(
                name="From the imported table", value=_fit_lines(lines, FIELD_VALUE), inline=False
            )
    if s.discord_event_id and s.status != SessionStatus.CANCELLED:
        embed.add_field(
            name="Event", value=f"[Discord event]({event_url(s.guild_id, s.discord_event_id)})"
        )
    return embed


def session_line(view: SessionInfo, config: GuildConfig) -> str:
    """One line of a list."""
    s = view.session
    local = utc_to_local(view.starts_at, config.timezone)
    date_text = format_date(local.date(), config.date_format)
    start = f"`#{view.number}` {date_text} {discord_timestamp(view.starts_at, 't')} · "
    if s.kind == SessionKind.PAPER and view.papers and not s.title:
        first = view.papers[0]
        line = start + link(first.label or first.paper.title, first.paper.url, 120)
    else:
        line = start + f"**{escape(shorten(headline(view), 120))}**"
    if s.presenter_id:
        line += f" · <@{s.presenter_id}>"
    if s.status == SessionStatus.CANCELLED:
        line = f"~~{line}~~ (cancelled)"
    return line


SCOPE_TITLES = {
    "upcoming": "Upcoming sessions",
    "past": "Past sessions",
    "all": "All sessions",
}


def page_embed(
    page: Page, config: GuildConfig, scope: str, block: str | None = None
) -> discord.Embed:
    title = f"{block}: all parts" if block else SCOPE_TITLES.get(scope, "Sessions")
    if not page.items:
        description = {
            "upcoming": "Nothing scheduled yet. Organizers add sessions with `/session add`.",
            "past": "No session has taken place yet.",
        }.get(scope, "No sessions.")
        if block:
            description = "No sessions in this block."
    else:
        description = _fit_lines([session_line(v, config) for v in page.items], EMBED_DESCRIPTION)
    embed = discord.Embed(
        title=shorten(escape(title), EMBED_TITLE), description=description, colour=COLOUR
    )
    embed.set_footer(
        text=f"Page {page.number + 1} of {page.pages} · {page.total} session"
        f"{'s' if page.total != 1 else ''} · times shown in your own time zone"
    )
    return embed


def choice_name(view: SessionInfo, config: GuildConfig) -> str:
    """An autocomplete label: '#12 · 07.02.2025 · RLHF Block. Part 2. …' (≤ 100 chars)."""
    local = utc_to_local(view.starts_at, config.timezone)
    prefix = f"#{view.number} · {format_date(local.date(), config.date_format)} · "
    status = " (cancelled)" if view.session.status == SessionStatus.CANCELLED else ""
    return prefix + shorten(headline(view), CHOICE_NAME - len(prefix) - len(status)) + status
