"""A reminder survives ``kill -9``: real ``python -m bot`` processes against the fake Discord.

The session starts ten minutes from now and its one-hour reminder is overdue, so each bot
posts it as soon as it starts (late, with a note). The first process meets Discord answering
503 and is killed while it retries; the restarted process holds the dead one's instance slot,
takes its claim over at once (after looking in the channel) and posts the reminder once,
long before the session starts, instead of waiting out the five-minute lease. A second live
instance on the same database never takes over a claim that is not its own.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from storage.db import Database
from storage.models import DeliveryStatus, ReadingSession, ReminderDelivery
from tests.harness.discord.fixtures import fake_discord
from tests.harness.discord.server import FakeDiscord
from tests.harness.proxy import RecordingProxy

__all__ = ["fake_discord"]

REPO = Path(__file__).resolve().parents[2]
MESSAGES = r"/channels/{channel_id}/messages"
WAKE_UP_DONE = r'Job "RemindersCog._wake.*" executed successfully'


@dataclass
class BotProcess:
    """``python -m bot`` with its log read as it is written."""

    process: asyncio.subprocess.Process
    lines: list[str] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    reader: asyncio.Task[None] | None = None

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            self.lines.append(raw.decode(errors="replace").rstrip())
            self.changed.set()

    async def wait_log(self, pattern: str) -> re.Match[str]:
        """The first log line matching ``pattern``, waiting up to 30 seconds for it."""
        try:
            async with asyncio.timeout(30):
                while True:
                    for line in self.lines:
                        if match := re.search(pattern, line):
                            return match
                    self.changed.clear()
                    await self.changed.wait()
        except TimeoutError:
            raise AssertionError(f"no log line {pattern!r}:\n" + "\n".join(self.lines)) from None

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    async def kill(self) -> None:
        self.process.kill()  # SIGKILL: nothing of the bot runs after it
        await self.process.wait()
        if self.reader is not None:
            await self.reader

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
                raise AssertionError("the bot did not stop on SIGTERM:\n" + self.log) from None
        if self.reader is not None:
            await self.reader


async def start_bot(url: str, api: str, tmp_path: Path, token: str) -> BotProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_"))}
    port = api.rsplit(":", 1)[1].split("/")[0]
    env.update(
        DISCORD_TOKEN=token,
        DATABASE_URL=url,
        DISCORD_API_BASE=f"{api}/api/v10",
        DISCORD_GATEWAY_URL=f"ws://127.0.0.1:{port}/gateway",
        PYTHONPATH=str(REPO),
        LOG_LEVEL="INFO",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    bot = BotProcess(process)
    bot.reader = asyncio.create_task(bot._read())
    return bot


async def seed(url: str, guild_id: int, channel_id: int, starts_at: datetime) -> None:
    db = await Database.open(url)
    try:
        await db.migrate()
        async with db.unit() as uow:
            config = await uow.guilds.get_or_create(guild_id, default_timezone="UTC")
            config.announcement_channel_id = channel_id
            config.lead_times_minutes = [60]
            await uow.sessions.add(
                ReadingSession(
                    guild_id=guild_id, starts_at=starts_at, kind="special", title="Reading"
                )
            )
    finally:
        await db.close()


async def ledger(url: str) -> list[ReminderDelivery]:
    db = await Database.open(url)
    try:
        async with db.unit() as uow:
            return await uow.reminders.ledger_since(datetime(2000, 1, 1, tzinfo=UTC))
    finally:
        await db.close()


def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    factory: Any = request.getfixturevalue("postgres_database_factory")
    return str(factory())


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return database_url(request, tmp_path)


async def test_kill_9_while_retrying_then_restart_posts_once_before_the_session(
    fake_discord: FakeDiscord, tmp_path: Path, url: str
) -> None:
    channel = fake_discord.guild.add_text_channel("announcements")
    starts_at = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=10)
    await seed(url, fake_discord.guild.id, channel.id, starts_at)
    failing = fake_discord.faults.add("POST", MESSAGES, status=503, times=None)

    first = await start_bot(url, fake_discord.base_url, tmp_path, fake_discord.token)
    try:
        await first.wait_log(r"reminder claims are made as slot-0/")
        # The sender retries after a 503, looking in the channel before each new attempt.
        await fake_discord.wait_for(
            lambda: True if failing.hits >= 2 else None, 30, "a retried post"
        )
    finally:
        await first.kill()
    assert fake_discord.channel_messages(channel) == []
    [claim] = await ledger(url)
    assert claim.status == DeliveryStatus.CLAIMED

    fake_discord.faults.clear()  # Discord is healthy again
    restarted = await start_bot(url, fake_discord.base_url, tmp_path, fake_discord.token)
    try:
        # Far less than the lease: the claim of the dead run is taken over at once.
        message = await fake_discord.wait_for_message(channel, timeout=30)
        await restarted.wait_log(r"taken over from this instance's earlier run")
        await restarted.wait_log(rf"posted as message {message['id']}")
        await restarted.wait_log(WAKE_UP_DONE)  # the run is over: stopping loses nothing
    finally:
        await restarted.stop()
    assert restarted.process.returncode == 0, restarted.log
    messages = fake_discord.channel_messages(channel)
    assert [m["id"] for m in messages] == [message["id"]]
    assert "Posted late" in message["content"]
    assert datetime.fromisoformat(message["timestamp"]) < starts_at
    [row] = await ledger(url)
    assert row.status == DeliveryStatus.SENT and row.message_id == int(message["id"])
    assert row.attempts == 2
    assert (row.claimed_by or "").startswith("slot-0/") and row.claimed_by != claim.claimed_by
    # Before posting, the restarted bot looked for an earlier post of the reminder.
    looked = fake_discord.requests_matching("GET", rf"/channels/{channel.id}/messages")
    posted = fake_discord.requests_matching("POST", rf"/channels/{channel.id}/messages")
    assert looked and posted and looked[-1].time < posted[-1].time


async def test_a_second_instance_leaves_a_live_claim_alone(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    channel = fake_discord.guild.add_text_channel("announcements")
    starts_at = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=10)
    await seed(url, fake_discord.guild.id, channel.id, starts_at)
    failing = fake_discord.faults.add("POST", MESSAGES, status=503, times=None)

    owner = await start_bot(url, fake_discord.base_url, tmp_path, fake_discord.token)
    async with RecordingProxy(fake_discord.base_url) as proxy:
        other: BotProcess | None = None
        try:
            await owner.wait_log(r"reminder claims are made as slot-0/")
            await fake_discord.wait_for(lambda: True if failing.hits else None, 30, "a claim")
            # A second instance on the same database, its requests seen through the proxy.
            other = await start_bot(url, proxy.base_url, tmp_path, fake_discord.token)
            await other.wait_log(r"reminder claims are made as slot-1/")
            planned = await other.wait_log(r"reminders planned: 1 pending .*next at (.+)\)")
            [claim] = await ledger(url)
            assert claim.claimed_at is not None
            # It waits for the owner's lease instead of taking the live claim over.
            assert datetime.fromisoformat(planned[1]) > claim.claimed_at + timedelta(minutes=4)

            # The owner dies; restarted in its slot it posts, the other instance does not.
            await owner.kill()
            fake_discord.faults.clear()
            owner = await start_bot(url, fake_discord.base_url, tmp_path, fake_discord.token)
            await owner.wait_log(r"reminder claims are made as slot-0/")
            message = await fake_discord.wait_for_message(channel, timeout=30)
            await owner.wait_log(r"taken over from this instance's earlier run")
            await owner.wait_log(rf"posted as message {message['id']}")
            await owner.wait_log(WAKE_UP_DONE)
        finally:
            await owner.stop()
            if other is not None:
                await other.stop()
    assert [m["id"] for m in fake_discord.channel_messages(channel)] == [message["id"]]
    posts_by_other = [r for r in proxy.requests if r.method == "POST" and "/messages" in r.path]
    assert posts_by_other == []
    [row] = await ledger(url)
    assert row.status == DeliveryStatus.SENT
