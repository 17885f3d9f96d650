"""End-to-end fixtures: the real ReadingGroupBot against the loopback Discord, arXiv and LLM.

A test reads like what members do::

    async def test_something(app: App) -> None:
        reply = await app.slash(app.organizer, "session add", date="2025-02-06", kind="tba")
        assert "Scheduled" in reply.content

``app.restart()`` stops the bot and starts a new process-equivalent bot on the same
database (what a crash or a deploy does); ``app.start_another()`` runs a second instance on
the same database (two processes).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.app import ReadingGroupBot
from bot.container import Services
from bot.papers.arxiv import ArxivService
from bot.settings import Settings
from tests.harness.arxiv import FakeArxiv
from tests.harness.clock import FakeClock
from tests.harness.discord.client import RunningClient
from tests.harness.discord.client import start_client as run_client
from tests.harness.discord.fixtures import fake_discord
from tests.harness.discord.server import FakeDiscord
from tests.harness.fixtures_services import (
    fake_arxiv,
    fake_feed,
    fake_llm,
    fresh_arxiv_rate_limit,
)
from tests.harness.hf_papers import FakeDailyPapers
from tests.harness.llm import FakeLLM

# Monday 6 January 2025, 09:00 UTC (10:00 in Berlin): tests move this clock by hand.
START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
LLM_KEY = "sk-test-0123456789abcdef"

__all__ = [
    "App",
    "app",
    "fake_arxiv",
    "fake_discord",
    "fake_feed",
    "fake_llm",
    "fresh_arxiv_rate_limit",
]


@dataclass
class App:
    """The running bot and the world around it."""

    discord: FakeDiscord
    arxiv: FakeArxiv
    llm: FakeLLM
    clock: FakeClock
    settings: Settings
    running: RunningClient
    guild: Any
    channel: Any  # #general, where commands are run
    announcements: Any  # #announcements, the configured announcement channel
    organizer_role: Any
    organizer: Any  # holds the organizer role
    member: Any  # a plain member
    admin: Any  # has Manage Server but not the organizer role
    others: list[RunningClient] = field(default_factory=list)
    feed: FakeDailyPapers | None = None  # the fake Daily Papers API the bot reads

    @property
    def bot(self) -> ReadingGroupBot:
        return self.running.client  # type: ignore[return-value]

    @property
    def services(self) -> Services:
        return self.bot.services

    def new_bot(self, **overrides: Any) -> ReadingGroupBot:
        return make_bot(self.settings, self.clock, self.arxiv, **overrides)

    async def until(self, predicate: Any, what: str, within: float = 5.0) -> None:
        """Wait (on the fake's state changes, not a sleep) until ``predicate()`` is true."""
        await self.discord.wait_for(lambda: True if predicate() else None, within, what)

    async def slash(self, member: Any, command: str, **options: Any) -> Any:
        return await self.discord.slash(member, command, **options)

    async def restart(self, **overrides: Any) -> ReadingGroupBot:
        """Stop the bot and start a fresh one on the same database."""
        await self.running.stop()
        self.running = await run_client(self.discord, self.new_bot(**overrides))
        return self.bot

    async def start_another(self, **overrides: Any) -> ReadingGroupBot:
        """A second bot instance on the same database (a second process)."""
        other = await run_client(self.discord, self.new_bot(**overrides))
        self.others.append(other)
        return other.client  # type: ignore[return-value]

    async def stop(self) -> None:
        for other in reversed(self.others):
            await other.stop()
        self.others.clear()
        await self.running.stop()


def make_bot(
    settings: Settings, clock: FakeClock, arxiv: FakeArxiv, **overrides: Any
) -> ReadingGroupBot:
    service_overrides = overrides.pop("service_overrides", {})
    service_overrides.setdefault(
        "arxiv",
        ArxivService(
            arxiv.query_url_format, min_interval=0.0, max_attempts=3, backoff_base=0.01, timeout=2.0
        ),
    )
    overrides.setdefault("guild_ready_timeout", 0.05)
    return ReadingGroupBot(settings, clock=clock, service_overrides=service_overrides, **overrides)


def app_settings(
    tmp_path: Path,
    arxiv: FakeArxiv,
    llm: FakeLLM,
    feed: FakeDailyPapers | None = None,
    **changes: Any,
) -> Settings:
    values: dict[str, Any] = {
        "discord_token": "test-token",
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "openai_api_key": LLM_KEY,
        "openai_base_url": llm.base_url,  # already ends in /v1
        "llm_model": "test-model",
        "llm_timeout_seconds": 2.0,
        "default_timezone": "Europe/Berlin",
        "arxiv_api_url": arxiv.query_url_format,
        "arxiv_min_interval_seconds": 0.0,
    }
    if feed is not None:  # never the real feed
        values["hf_endpoint"] = feed.endpoint
        values["feed_timeout_seconds"] = 2.0
    values.update(changes)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def app_settings_overrides() -> dict[str, Any]:
    """Override in a test module to change the bot's settings (e.g. no LLM key)."""
    return {}


@pytest.fixture
async def app(
    fake_discord: FakeDiscord,
    fake_arxiv: FakeArxiv,
    fake_llm: FakeLLM,
    fake_feed: FakeDailyPapers,
    fresh_arxiv_rate_limit: None,
    tmp_path: Path,
    app_settings_overrides: dict[str, Any],
) -> AsyncIterator[App]:
    clock = FakeClock(START)
    fake_discord.set_clock(clock.now)
    guild = fake_discord.guild
    announcements = guild.add_text_channel("announcements")
    organizer_role = guild.add_role("Organizers", permissions=discord.Permissions.none())
    organizer = guild.add_member("olga", roles=[organizer_role])
    member = guild.add_member("max")
    admin = guild.add_member("ada", permissions=discord.Permissions(manage_guild=True))
    settings = app_settings(tmp_path, fake_arxiv, fake_llm, fake_feed, **app_settings_overrides)
    running = await run_client(fake_discord, make_bot(settings, clock, fake_arxiv))
    application = App(
        discord=fake_discord,
        arxiv=fake_arxiv,
        llm=fake_llm,
        clock=clock,
        settings=settings,
        running=running,
        guild=guild,
        channel=guild.channel_named("general"),
        announcements=announcements,
        organizer_role=organizer_role,
        organizer=organizer,
        member=member,
        admin=admin,
        feed=fake_feed,
    )
    await application.services.guilds.update(
        guild.id,
        organizer_role_id=organizer_role.id,
        announcement_channel_id=announcements.id,
        meeting_weekday=3,
        meeting_time=time(18, 0),
        timezone="Europe/Berlin",
    )
    try:
        yield application
    finally:
        with contextlib.suppress(Exception):
            await application.stop()
