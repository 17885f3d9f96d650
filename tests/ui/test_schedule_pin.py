"""The pinned schedule: split into a few messages within Discord's limits, text escaped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.schedule.service import SessionInfo
from bot.ui.schedule_pin import FOOTER, MAX_MESSAGES, MESSAGE_LIMIT, pin_messages
from storage.models import GuildConfig, ReadingSession, SessionKind

START = datetime(2025, 2, 6, 17, 0, tzinfo=UTC)


def _views(count: int, title: str = "Code Reading Group") -> list[SessionInfo]:
    return [
        SessionInfo(
            session=ReadingSession(
                id=index + 1,
                number=index + 1,
                guild_id=1,
                starts_at=START + timedelta(days=7 * index),
                kind=SessionKind.SPECIAL,
                title=f"{title} {index + 1}",
            ),
            papers=[],
        )
        for index in range(count)
    ]


def test_a_short_schedule_is_one_message() -> None:
    config = GuildConfig(guild_id=1, timezone="Europe/Berlin", group_name="multimodal **group**")
    (message,) = pin_messages(_views(3), config)
    assert message.startswith("📌 **Upcoming sessions** · multimodal \\*\\*group\\*\\*\n")
    assert "`#1` 06.02.2025 <t:1738861200:t> · **Code Reading Group 1**" in message
    assert message.endswith(FOOTER)


def test_a_long_schedule_is_split_within_the_limits() -> None:
    config = GuildConfig(guild_id=1, timezone="Europe/Berlin")
    views = _views(200, title="@everyone </details> | " + "x" * 150)
    messages = pin_messages(views, config, total=500)
    assert len(messages) == MAX_MESSAGES
    assert all(len(m) <= MESSAGE_LIMIT for m in messages)
    assert "@everyone" not in "".join(messages).replace("@\u200beveryone", "")
    shown = sum(m.count("\n`#") + m.startswith("`#") for m in messages)
    assert messages[-1].endswith(f"… and {500 - shown} more: `/session list`\n{FOOTER}")


def test_nothing_scheduled() -> None:
    (message,) = pin_messages([], GuildConfig(guild_id=1))
    assert "Nothing is scheduled yet." in message
    assert "more" not in message
