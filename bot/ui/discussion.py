"""Pure rendering of the discussion log and of LLM summaries for Discord.

Comments and model output are untrusted text: everything is escaped (markdown, mentions,
headings and quotes at the start of a line), and every message stays within Discord's
limits (2,000 characters a message, 4,096 an embed description).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import discord

from bot.services.discussion import CommentPage
from bot.services.schedule import SessionView, headline
from bot.services.text import shorten
from bot.services.timeparse import discord_timestamp
from bot.ui.render import COLOUR, EMBED_DESCRIPTION, EMBED_TITLE, escape, safe_url
from storage.models import Comment, Summary

MESSAGE_LIMIT = 2000
MAX_SUMMARY_MESSAGES = 4
CHOICE_NAME = 100
TRIMMED = "… (trimmed to fit Discord; the full text is stored)"

_ID_MENTION = re.compile(r"<(@[!&]?|#)(\d+)>")
_LINE_MARKUP = re.compile(r"^(\s*)(#{1,3}\s|>|-#\s)", re.MULTILINE)


def plain(text: str) -> str:
    """Untrusted text as inert Discord text: no formatting, no mention of any kind."""
    text = escape(text)
    text = _ID_MENTION.sub(lambda m: f"<\\{m.group(1)}{m.group(2)}>", text)
    return _LINE_MARKUP.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", text)


def session_title(view: SessionView) -> str:
    return f"#{view.id} · {headline(view)}"


# ------------------------------------------------------------------ comments


def comment_line(comment: Comment, text_limit: int = 280) -> str:
    pin = "📌 " if comment.pinned else ""
    author = f"<@{comment.author_id}>" if comment.author_id else plain(comment.author_name)
    line = (
        f"`#{comment.id}` {pin}{author} · {discord_timestamp(comment.created_at, 'd')}\n"
        f"> {plain(shorten(' '.join(comment.text.split()), text_limit))}"
    )
    url = safe_url(comment.jump_url)
    if url:
        line += f" [↗]({url})"
    return line


def comments_embed(page: CommentPage) -> discord.Embed:
    title = shorten(f"Comments on {session_title(page.session)}", EMBED_TITLE)
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
    embed = discord.Embed(title=escape(title), description=description, colour=COLOUR)
    embed.set_footer(
        text=f"Page {page.number + 1} of {page.pages} · {page.total} comment"
        f"{'s' if page.total != 1 else ''} · 📌 pinned comments go to the exported schedule"
    )
    return embed


def comment_choice(comment: Comment) -> str:
    """An autocomplete label: '#12 · alice: Fig. 2 is unclear…' (≤ 100 characters)."""
    prefix = f"#{comment.id} · {shorten(comment.author_name or 'someone', 24)}: "
    pin = " 📌" if comment.pinned else ""
    body = " ".join(comment.text.split())
    return prefix + shorten(body, CHOICE_NAME - len(prefix) - len(pin)) + pin


# ------------------------------------------------------------------ summaries


def summary_lines(view: SessionView, summary: Summary, *, cached: bool) -> list[str]:
    lines = [f"## Summary of {plain(shorten(session_title(view), 200))}", ""]
    lines += [plain(p) for p in summary.summary.split("\n") if p.strip()]
    if summary.key_points:
        lines += ["", "**Key points**"]
        lines += [f"- {plain(point)}" for point in summary.key_points]
    if summary.open_questions:
        lines += ["", "**Open research questions**"]
        lines += [f"{n}. {plain(q)}" for n, q in enumerate(summary.open_questions, start=1)]
    source = f"{summary.model}, {discord_timestamp(summary.created_at, 'f')}"
    if cached:
        source += " · stored answer (the papers and comments did not change)"
    lines += ["", f"-# {plain(source)}"]
    return lines


def split_messages(
    lines: Sequence[str], limit: int = MESSAGE_LIMIT, max_messages: int = MAX_SUMMARY_MESSAGES
) -> list[str]:
    """Pack lines into messages of at most ``limit`` characters; a longer line is cut at
    spaces. Beyond ``max_messages`` the rest is trimmed with a note."""
    pieces: list[str] = []
    for line in lines:
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            pieces.append(line[:cut])
            line = line[cut:].lstrip()
        pieces.append(line)
    messages: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}\n{piece}" if current else piece
        if len(candidate) > limit:
            messages.append(current)
            current = piece
        else:
            current = candidate
    if current.strip():
        messages.append(current)
    messages = [m.strip("\n") for m in messages if m.strip()]
    if len(messages) > max_messages:
        messages = messages[:max_messages]
        last = messages[-1]
        room = limit - len(TRIMMED) - 1
        messages[-1] = (last if len(last) <= room else last[:room]).rstrip() + "\n" + TRIMMED
    return messages


def summary_messages(view: SessionView, summary: Summary, *, cached: bool) -> list[str]:
    return split_messages(summary_lines(view, summary, cached=cached))
