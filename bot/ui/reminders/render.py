"""What a reminder looks like in Discord: a :class:`~bot.reminders.posts.ReminderPost` as a message.

The reminder service decides *what* is due and *whether* to post (it knows no Discord);
this module renders the post. Previews render the same object, so ``/reminders preview``
shows exactly what would be posted. The footer carries the reminder's reference, which the
sender (:mod:`bot.ui.reactions.reminder_sender`) looks for after a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import discord

from bot.dates import discord_timestamp, format_date, utc_to_local
from bot.reminders.plan import LEAD, format_lead
from bot.reminders.posts import ReminderPost
from bot.schedule.readmodels import SessionInfo, headline
from bot.text import shorten
from bot.ui.reminders.ping import PingRoleView
from bot.ui.render import (
    COLOUR,
    EMBED_DESCRIPTION,
    EMBED_TITLE,
    FIELD_VALUE,
    escape,
    event_url,
    paper_line,
    session_embed,
)
from storage.models import GuildConfig, PaperRole

EMBED_BUDGET = 5800  # Discord allows 6000 characters across a message's embeds
MAX_WEEKLY_SESSIONS = 10
FIELD_NAME = 256


@dataclass(frozen=True, slots=True)
class RenderedPost:
    content: str
    embed: discord.Embed
    allowed_mentions: discord.AllowedMentions
    view: discord.ui.View | None

    def kwargs(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "content": self.content,
            "embed": self.embed,
            "allowed_mentions": self.allowed_mentions,
        }
        if self.view is not None:
            values["view"] = self.view
        return values


def footer_text(post: ReminderPost) -> str:
    """The footer carries the reminder's reference: the look-up after a crash finds it."""
    if post.test:
        what = "Test post"
    elif post.kind == LEAD:
        what = f"Reminder {format_lead(post.lead_minutes or 0)} before"
    else:
        what = "Weekly announcement"
    return f"{what} · ref {post.ref}"


def render_post(post: ReminderPost) -> RenderedPost:
    embed = _lead_embed(post) if post.kind == LEAD else _weekly_embed(post)
    embed.set_footer(text=footer_text(post))
    lines: list[str] = []
    mentions = discord.AllowedMentions.none()
    if post.kind == LEAD:
        session = post.sessions[0]
        start = session.starts_at
        line = (
            f"⏰ Session #{session.number} starts {discord_timestamp(start, 'R')} "
            f"({discord_timestamp(start, 't')})."
        )
        if post.ping_role_id is not None:
            line = f"<@&{post.ping_role_id}> {line}"
            # Pings are opt-in per message: only this role, never @everyone or members.
            mentions = discord.AllowedMentions(
                everyone=False,
                users=False,
                replied_user=False,
                roles=[discord.Object(id=post.ping_role_id)],
            )
        lines.append(line)
    else:
        lines.append(f"📅 **{escape(_group(post.config))}: the coming week**")
    if post.late:
        lines.append(
            f"_Posted late: this was due {discord_timestamp(post.due_at, 'f')}, when I could "
            "not post._"
        )
    if post.test:
        lines.append("_Test post: not a scheduled reminder, and nobody is pinged._")
    button = PingRoleView() if post.offer_ping_button else None
    return RenderedPost("\n".join(lines), embed, mentions, button)


def _group(config: GuildConfig) -> str:
    return shorten(config.group_name or "Reading group", 100)


def _lead_embed(post: ReminderPost) -> discord.Embed:
    return session_embed(post.sessions[0], post.config)


def _when_line(view: SessionInfo, config: GuildConfig) -> str:
    local = utc_to_local(view.starts_at, config.timezone)
    return (
        f"{discord_timestamp(view.starts_at, 'F')} ({discord_timestamp(view.starts_at, 'R')}) · "
        f"{format_date(local.date(), config.date_format)} {local:%H:%M} {config.timezone}"
    )


def _session_value(view: SessionInfo, config: GuildConfig, limit: int) -> str:
    s = view.session
    lines = [_when_line(view, config)]
    if s.presenter_id:
        lines.append(f"Presenter: <@{s.presenter_id}>")
    elif s.presenter_name:
        lines.append(f"Presenter: {escape(s.presenter_name)}")
    papers = view.papers or view.continues_papers
    for linked in papers:
        prefix = "See also: " if linked.role == PaperRole.SEE_ALSO else ""
        lines.append(f"• {prefix}{paper_line(linked.paper, linked.label)}")
    if s.discord_event_id:
        lines.append(f"[Discord event]({event_url(s.guild_id, s.discord_event_id)})")
    return _fit(lines, limit)


def _fit(lines: list[str], limit: int) -> str:
    """Whole lines up to ``limit`` characters (a cut link would break its markdown)."""
    text = ""
    for index, line in enumerate(lines):
        candidate = f"{text}\n{line}" if text else line
        if len(candidate) > limit:
            more = f"\n… and {len(lines) - index} more"
            if len(text) + len(more) <= limit:
                return text + more
            return text or shorten(line, limit)
        text = candidate
    return text or "—"


def _weekly_embed(post: ReminderPost) -> discord.Embed:
    config = post.config
    sessions = post.sessions[:MAX_WEEKLY_SESSIONS]
    if sessions:
        count = len(post.sessions)
        description = f"{count} session{'s' if count != 1 else ''} in the coming week."
        if len(post.sessions) > len(sessions):
            description += f" The first {len(sessions)} are shown; see `/session list`."
    else:
        description = "Nothing is scheduled in the coming week, so no announcement is posted."
    embed = discord.Embed(
        title=shorten(f"This week · {escape(_group(config))}", EMBED_TITLE),
        description=shorten(description, EMBED_DESCRIPTION),
        colour=COLOUR,
    )
    questions_budget = 0
    if post.open_questions and post.last_session is not None:
        questions_budget = min(FIELD_VALUE, 1200)
    used = len(embed.title or "") + len(description) + 120  # the footer
    per_field = 0
    if sessions:
        per_field = min(
            FIELD_VALUE,
            (EMBED_BUDGET - used - questions_budget - FIELD_NAME * len(sessions)) // len(sessions),
        )
    for view in sessions:
        name = shorten(f"#{view.number} · {headline(view)}", FIELD_NAME - 10)
        embed.add_field(
            name=escape(name)[:FIELD_NAME],
            value=_session_value(view, config, max(100, per_field)),
            inline=False,
        )
    if questions_budget and post.last_session is not None:
        last = post.last_session
        name = shorten(f"Open questions from #{last.number} · {headline(last)}", FIELD_NAME - 10)
        lines = [f"• {escape(shorten(q, 300))}" for q in post.open_questions]
        embed.add_field(
            name=escape(name)[:FIELD_NAME],
            value=_fit(lines, min(FIELD_VALUE, questions_budget)),
            inline=False,
        )
    return embed
