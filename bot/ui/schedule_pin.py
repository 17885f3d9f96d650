"""The pinned "upcoming sessions" message(s): pure rendering, split within Discord's limits.

Discord does not render markdown tables, so the pin lists the upcoming sessions one per line
(date, Discord timestamp, headline with links), the way ``/session list`` does, in at most
``MAX_MESSAGES`` messages of at most ``MESSAGE_LIMIT`` characters.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.schedule.service import SessionInfo
from bot.text import shorten
from bot.ui.render import escape, session_line
from storage.models import GuildConfig

MESSAGE_LIMIT = 2000
MAX_MESSAGES = 3
LINE_LIMIT = 400
FOOTER = (
    "-# Kept up to date by the bot · all sessions: `/session list` · README: `/export markdown`"
)


def pin_messages(
    views: Sequence[SessionInfo], config: GuildConfig, *, total: int | None = None
) -> list[str]:
    """The contents of the pinned messages, in order (at least one)."""
    title = "📌 **Upcoming sessions**"
    if config.group_name:
        title += f" · {escape(shorten(config.group_name, 100))}"
    lines = [shorten(session_line(view, config), LINE_LIMIT) for view in views]
    if not lines:
        lines = ["Nothing is scheduled yet."]
    total = len(views) if total is None else total
    messages: list[str] = []
    current = title
    shown = 0
    reserve = len(FOOTER) + 60  # room for the footer and an "… and N more" line
    for line in lines:
        last_message = len(messages) == MAX_MESSAGES - 1
        budget = MESSAGE_LIMIT - (reserve if last_message else 0)
        if len(current) + 1 + len(line) > budget:
            if last_message:
                break
            messages.append(current)
            current = line
        else:
            current = f"{current}\n{line}"
        shown += 1 if views else 0
    rest = total - shown
    if rest > 0 and views:
        current += f"\n… and {rest} more: `/session list`"
    current += f"\n{FOOTER}"
    messages.append(current)
    return messages
