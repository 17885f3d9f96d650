"""Rendering of reminder posts: pure functions, checked against Discord's limits."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import discord

from bot.reminders.plan import LEAD, WEEKLY
from bot.reminders.posts import ReminderPost
from bot.schedule.readmodels import SessionInfo
from bot.ui.reminders.ping import PING_BUTTON_ID
from bot.ui.reminders.render import render_post
from storage.models import GuildConfig, Paper, PaperRole, ReadingSession
from storage.repositories import LinkedPaper

GUILD = 600_000_000_000_000_001
ROLE = 600_000_000_000_000_002
START = datetime(2025, 1, 9, 17, 0, tzinfo=UTC)
CONFIG = GuildConfig(
    guild_id=GUILD,
    timezone="Europe/Berlin",
    announcement_channel_id=1,
    weekly_enabled=True,
    weekly_weekday=0,
    weekly_time=time(10, 0),
    group_name="ML reading group",
)


def _view(number: int, *, papers: int = 1, title: str = "Talk") -> SessionInfo:
    session = ReadingSession(
        id=number,
        number=number,
        guild_id=GUILD,
        starts_at=START + timedelta(hours=number),
        kind="special",
        title=title,
        presenter_id=12345,
        discord_event_id=777,
    )
    linked = [
        LinkedPaper(
            Paper(
                id=number * 100 + i,
                guild_id=GUILD,
                ref_key=f"url:{number}-{i}",
                url=f"https://example.org/{'x' * 80}/{number}/{i}",
                title="A very long paper title about multimodal learning " * 3,
                authors=["Ada Lovelace", "Alan Turing", "Grace Hopper"],
            ),
            PaperRole.MAIN,
            i,
            None,
        )
        for i in range(papers)
    ]
    return SessionInfo(session=session, papers=linked)


def _post(kind: str, sessions: list[SessionInfo], **values: object) -> ReminderPost:
    base: dict[str, object] = {
        "guild_id": GUILD,
        "kind": kind,
        "key": "k",
        "ref": "0123456789ab",
        "config": CONFIG,
        "due_at": START - timedelta(hours=1),
        "sessions": sessions,
    }
    base.update(values)
    return ReminderPost(**base)  # type: ignore[arg-type]


def test_a_crowded_weekly_announcement_stays_within_discord_limits() -> None:
    sessions = [_view(n, papers=12, title="T" * 300) for n in range(1, 13)]
    questions = ["What about @everyone and **bold** claims? " * 10 for _ in range(30)]
    post = _post(WEEKLY, sessions, last_session=_view(99), open_questions=questions)
    rendered = render_post(post)
    embed = rendered.embed
    assert len(embed) <= 6000
    assert len(embed.fields) <= 25
    assert len(embed.title or "") <= 256
    assert all(len(f.name or "") <= 256 and len(f.value or "") <= 1024 for f in embed.fields)
    assert embed.fields[-1].name is not None and "Open questions" in embed.fields[-1].name
    assert "@everyone" not in (embed.fields[-1].value or "")  # escaped, never a ping
    assert "The first 10 are shown" in (embed.description or "")
    assert rendered.allowed_mentions.everyone is False
    assert rendered.allowed_mentions.roles is False


def test_weekly_lists_papers_presenter_and_event_link() -> None:
    rendered = render_post(_post(WEEKLY, [_view(1, papers=2)]))
    value = rendered.embed.fields[0].value or ""
    assert "<@12345>" in value
    assert "[A very long paper title" in value and "https://example.org/" in value
    assert f"https://discord.com/events/{GUILD}/777" in value
    assert "19:00 Europe/Berlin" in value  # 18:00 UTC, shown in the server's zone
    assert rendered.embed.footer.text == "Weekly announcement · ref 0123456789ab"
    assert rendered.view is None


def test_lead_reminder_pings_only_the_opt_in_role() -> None:
    post = _post(
        LEAD, [_view(1)], lead_minutes=60, ping_role_id=ROLE, offer_ping_button=True, late=True
    )
    rendered = render_post(post)
    assert rendered.content.startswith(f"<@&{ROLE}> ⏰ Session #1 starts <t:")
    assert "Posted late" in rendered.content
    mentions = rendered.allowed_mentions.to_dict()
    assert mentions == {"parse": [], "roles": [ROLE]}
    assert rendered.embed.footer.text == "Reminder 1h before · ref 0123456789ab"
    assert rendered.view is not None
    button = rendered.view.children[0]
    assert isinstance(button, discord.ui.Button) and button.custom_id == PING_BUTTON_ID

    quiet = render_post(_post(LEAD, [_view(1)], lead_minutes=15))
    assert quiet.content.startswith("⏰ Session #1")
    assert quiet.allowed_mentions.to_dict() == {"parse": []}
    assert quiet.view is None
