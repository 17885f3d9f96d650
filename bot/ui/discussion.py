"""Pure rendering of the discussion log and of LLM summaries for Discord.

Comments and model output are untrusted text: everything is escaped (markdown, mentions,
headings and quotes at the start of a line), and every message stays within Discord's
limits (2,000 characters a message, 4,096 an embed description).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import discord

from bot.dates import discord_timestamp
from bot.discussion.service import CommentPage
from bot.schedule.service import SessionInfo, headline
from bot.text import shorten
from bot.ui.render import COLOUR, EMBED_DESCRIPTION, EMBED_TITLE, escape, safe_url
from storage.models import Comment, Summary

MESSAGE_LIMIT = 2000
MAX_SUMMARY_MESSAGES = 4
SHOWN_KEY_POINTS = 10  # at most; more are counted ("… and 3 more key points")
SHOWN_QUESTIONS = 12
CHOICE_NAME = 100
TRIMMED = "… (trimmed to fit Discord; the full text is stored)"

_ID_MENTION = re.compile(r"<(@[!&]?|#)(\d+)>")
_LINE_MARKUP = re.compile(r"^(\s*)(#{1,3}\s|>|-#\s)", re.MULTILINE)


def plain(text: str) -> str:
    """Untrusted text as inert Discord text: no formatting, no mention of any kind."""
    text = escape(text)
    text = _ID_MENTION.sub(lambda m: f"<\\{m.group(1)}{m.group(2)}>", text)
    return _LINE_MARKUP.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", text)


def session_title(view: SessionInfo, limit: int = 150) -> str:
    """'#12 · Visual Instruction Tuning', the headline escaped (ready to send)."""
    return f"#{view.number} · {plain(shorten(headline(view), limit))}"


# ------------------------------------------------------------------ comments


def comment_line(comment: Comment, text_limit: int = 280) -> str:
    pin = "📌 " if comment.pinned else ""
    author = f"<@{comment.author_id}>" if comment.author_id else plain(comment.author_name)
    line = (
        f"`#{comment.number}` {pin}{author} · {discord_timestamp(comment.created_at, 'd')}\n"
        f"> {plain(shorten(' '.join(comment.text.split()), text_limit))}"
    )
    url = safe_url(comment.jump_url)
    if url:
        line += f" [↗]({url})"
    return line


def comments_embed(page: CommentPage) -> discord.Embed:
    title = f"Comments on {session_title(page.session, EMBED_TITLE - 40)}"
    if page.items:
        lines = [comment_line(c) for c in page.items]
        description = ""
        for line in lines:
            candidate = f"{description}\n\n{line}" if description else line
            if len(candidate) > EMBED_DESCRIPTION:
                break
            description = candidate
    else:
        description = (
            "No comments logged yet. Add one with `/comment add`, or use the message menu "
            "(Apps → Log as discussion comment) on any message."
        )
    embed = discord.Embed(title=title, description=description, colour=COLOUR)
    embed.set_footer(
        text=f"Page {page.number + 1} of {page.pages} · {page.total} comment"
        f"{'s' if page.total != 1 else ''} · 📌 pinned comments go to the exported schedule"
    )
    return embed


def comment_choice(comment: Comment) -> str:
    """An autocomplete label: '#12 · alice: Fig. 2 is unclear…' (≤ 100 characters)."""
    prefix = f"#{comment.number} · {shorten(comment.author_name or 'someone', 24)}: "
    pin = " 📌" if comment.pinned else ""
    body = " ".join(comment.text.split())
    return prefix + shorten(body, CHOICE_NAME - len(prefix) - len(pin)) + pin


# ------------------------------------------------------------------ summaries


def _more(count: int, what: str) -> str:
    return f"… and {count} more {what}{'s' if count != 1 else ''}"


def summary_lines(
    view: SessionInfo,
    summary: Summary,
    *,
    cached: bool,
    points: int = SHOWN_KEY_POINTS,
    questions: int = SHOWN_QUESTIONS,
) -> list[str]:
    """The summary as lines; at most ``points`` key points and ``questions`` questions, and
    a line saying how many more there are."""
    lines = [f"## Summary of {session_title(view)}", ""]
    lines += [plain(p) for p in summary.summary.split("\n") if p.strip()]
    if summary.key_points:
        lines += ["", "**Key points**"]
        lines += [f"- {plain(point)}" for point in summary.key_points[:points]]
        if len(summary.key_points) > points:
            lines.append(_more(len(summary.key_points) - points, "key point"))
    if summary.open_questions:
        shown = summary.open_questions[: max(1, questions)]
        lines += ["", "**Open research questions**"]
        lines += [f"{n}. {plain(q)}" for n, q in enumerate(shown, start=1)]
        if len(summary.open_questions) > len(shown):
            lines.append(_more(len(summary.open_questions) - len(shown), "question"))
    source = f"{summary.model}, {discord_timestamp(summary.created_at, 'f')}"
    if cached:
        source += " · stored answer (the papers and comments did not change)"
    lines += ["", f"-# {plain(source)}"]
    return lines


def _cut_at_space(text: str, size: int) -> str:
    if len(text) <= size:
        return text
    space = text.rfind(" ", 0, size)
    return text[:space] if space > size // 2 else text[:size]


def split_messages(
    lines: Sequence[str], limit: int = MESSAGE_LIMIT, max_messages: int = MAX_SUMMARY_MESSAGES
) -> list[str]:
    """Pack lines into messages of at most ``limit`` characters; a line that does not fit
    fills the current message and continues in the next, cut at spaces. Beyond
    ``max_messages`` the rest is trimmed with a note."""
    messages: list[str] = []
    current = ""
    for line in lines:
        while True:
            sep = "\n" if current else ""
            if len(current) + len(sep) + len(line) <= limit:
                current += sep + line
                break
            room = limit - len(current) - len(sep)
            if room >= min(200, limit // 2) or not current:  # fill, continue in the next
                piece = _cut_at_space(line, room)
                current += sep + piece
                line = line[len(piece) :].lstrip()
            messages.append(current)
            current = ""
            if not line:
                break
    if current.strip():
        messages.append(current)
    messages = [m.strip("\n") for m in messages if m.strip()]
    if len(messages) > max_messages:
        messages = messages[:max_messages]
        room = limit - len(TRIMMED) - 1
        messages[-1] = _cut_at_space(messages[-1], room).rstrip() + "\n" + TRIMMED
    return messages


# When a summary does not fit, these shorten the summary and key points before the open
# questions (the part members come for); then fewer key points and questions are shown, the
# rest counted; only then is the end trimmed.
_SHORTENINGS = ((None, None, None), (1500, 300, None), (900, 160, 400), (500, 100, 260))


def summary_messages(view: SessionInfo, summary: Summary, *, cached: bool) -> list[str]:
    shortened = summary
    for summary_chars, point_chars, question_chars in _SHORTENINGS:
        shortened = Summary(
            guild_id=summary.guild_id,
            session_id=summary.session_id,
            model=summary.model,
            input_hash=summary.input_hash,
            summary=shorten(summary.summary, summary_chars) if summary_chars else summary.summary,
            key_points=[shorten(k, point_chars) if point_chars else k for k in summary.key_points],
            open_questions=[
                shorten(q, question_chars) if question_chars else q for q in summary.open_questions
            ],
            created_at=summary.created_at,
        )
        messages = _fitted(summary_lines(view, shortened, cached=cached))
        if messages is not None:
            return messages
    points = min(len(shortened.key_points), SHOWN_KEY_POINTS)
    questions = min(len(shortened.open_questions), SHOWN_QUESTIONS)
    while points > 0 or questions > 1:
        if points > 0:
            points -= 1
        else:
            questions -= 1
        lines = summary_lines(view, shortened, cached=cached, points=points, questions=questions)
        messages = _fitted(lines)
        if messages is not None:
            return messages
    return split_messages(
        summary_lines(view, shortened, cached=cached, points=points, questions=questions)
    )


def _fitted(lines: list[str]) -> list[str] | None:
    messages = split_messages(lines, max_messages=len(lines) + 1)
    return messages if len(messages) <= MAX_SUMMARY_MESSAGES else None
