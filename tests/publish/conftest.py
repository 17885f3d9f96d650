"""Publishing tests: the real services on a migrated database, and the loopback GitHub."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bot.container import Services
from bot.schedule.drafts import SessionDraft
from bot.schedule.service import SessionInfo
from bot.settings import Settings
from storage.db import Database
from tests.harness.clock import FakeClock
from tests.harness.github import FakeGitHub, FakeRepo
from tests.harness.github.fixtures import fake_github, github_client_factory

__all__ = ["GUILD", "HAND_WRITTEN", "START", "World", "fake_github", "world"]

GUILD = 4242
START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)  # a Monday
TIMEOUT = 3.0  # seconds; generous: the machine may be busy
REPOSITORY = "lab/reading-group"
HAND_WRITTEN = (
    b"# Lab reading group\n"
    b"\n"
    b"We meet on Thursdays. Everyone is welcome!\n"
    b"\n"
    b"## How to join\n"
    b"\n"
    b"Write to the organizers.\n"
)


@dataclass
class World:
    services: Services
    clock: FakeClock
    github: FakeGitHub
    repo: FakeRepo
    settings: Settings
    db: Database

    @property
    def publish(self):  # type: ignore[no-untyped-def]
        return self.services.publish

    def services_again(self) -> Services:
        """A fresh process on the same database (what a restart gives)."""
        return make_services(self.settings, self.db, self.clock, self.github)

    async def add_session(self, day: str, title: str) -> SessionInfo:
        return await self.services.schedule.add(
            GUILD,
            SessionDraft(date_text=day, time_text="18:00", kind="special", title=title),
            actor_id=None,
        )

    def head(self, branch: str = "main") -> str:
        return self.repo.branches[branch]


def make_services(
    settings: Settings, db: Database, clock: FakeClock, github: FakeGitHub
) -> Services:
    return Services(
        settings=settings,
        db=db,
        clock=clock,
        overrides={"github": github_client_factory(github, clock, timeout=TIMEOUT)},
    )


@pytest.fixture
async def world(sqlite_db: Database, fake_github: FakeGitHub) -> World:
    clock = FakeClock(START)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        github_token=fake_github.token,
        github_api_url=fake_github.api_url,
        default_timezone="Europe/Berlin",
    )
    services = make_services(settings, sqlite_db, clock, fake_github)
    repo = fake_github.add_repo(REPOSITORY, files={"README.md": HAND_WRITTEN})
    await services.guilds.update(GUILD, group_name="Lab reading group")
    await services.publish.configure(GUILD, repository=REPOSITORY)
    return World(services, clock, fake_github, repo, settings, sqlite_db)
