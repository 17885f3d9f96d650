"""Stopping ``python -m bot`` while a reminder run works: the process exits promptly with
status 0 and no traceback, and the restarted bot posts the reminder exactly once.

The session starts ten minutes from now and its one-hour reminder is overdue, so the bot
posts it as soon as it is ready. Discord answers the post with 503 (the sender backs off and
retries), or the database is write-locked by another connection while the run records the
post (the run is inside a SQLite call); the signal lands then.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from storage.models import DeliveryStatus
from tests.e2e.test_reminder_crash import (
    MESSAGES,
    WAKE_UP_DONE,
    BotProcess,
    ledger,
    seed,
    start_bot,
)
from tests.harness.discord.fixtures import fake_discord
from tests.harness.discord.models import Channel
from tests.harness.discord.server import FakeDiscord

__all__ = ["fake_discord"]

EXIT_BOUND = 15.0  # seconds from the signal to the end of the process


async def ended_within(bot: BotProcess, since: str) -> None:
    try:
        await asyncio.wait_for(bot.process.wait(), EXIT_BOUND)
    except TimeoutError:
        bot.process.kill()
        await bot.process.wait()
        raise AssertionError(f"still running {EXIT_BOUND} s after {since}:\n" + bot.log) from None
    finally:
        if bot.reader is not None:
            await bot.reader


async def stopped_within(bot: BotProcess, sig: signal.Signals) -> float:
    """Send ``sig`` and wait for the process to end; the seconds it took."""
    started = time.monotonic()
    bot.process.send_signal(sig)
    await ended_within(bot, sig.name)
    return time.monotonic() - started


async def posts_once_after_restart(
    fake: FakeDiscord, tmp_path: Path, url: str, channel: Channel
) -> None:
    restarted = await start_bot(url, fake.base_url, tmp_path, fake.token)
    try:
        message = await fake.wait_for_message(channel, timeout=30)
        # The stopped run's claim is taken over at once, not after its five-minute lease.
        await restarted.wait_log(r"taken over from this instance's earlier run")
        await restarted.wait_log(WAKE_UP_DONE)
    finally:
        await restarted.stop()
    assert restarted.process.returncode == 0, restarted.log
    assert [m["id"] for m in fake.channel_messages(channel)] == [message["id"]]
    [row] = await ledger(url)
    assert row.status == DeliveryStatus.SENT and row.message_id == int(message["id"])


@pytest.mark.parametrize(
    ("stop_signal", "backend"),
    [
        pytest.param(signal.SIGTERM, "sqlite", id="SIGTERM"),
        pytest.param(signal.SIGINT, "sqlite", id="SIGINT"),
        pytest.param(signal.SIGTERM, "postgres", id="SIGTERM-postgres", marks=pytest.mark.postgres),
    ],
)
async def test_a_stop_while_discord_answers_5xx_exits_at_once_and_loses_nothing(
    fake_discord: FakeDiscord,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    stop_signal: signal.Signals,
    backend: str,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    if backend == "postgres":
        factory: Any = request.getfixturevalue("postgres_database_factory")
        url = str(factory())
    channel = fake_discord.guild.add_text_channel("announcements")
    starts_at = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=10)
    await seed(url, fake_discord.guild.id, channel.id, starts_at)
    failing = fake_discord.faults.add("POST", MESSAGES, status=503, times=None)

    bot = await start_bot(url, fake_discord.base_url, tmp_path, fake_discord.token)
    try:
        await bot.wait_log(r"reminder claims are made as slot-0/")
        # The first post was refused: the sender is in its back-off before the next try.
        await fake_discord.wait_for(lambda: True if failing.hits else None, 30, "a 503")
        took = await stopped_within(bot, stop_signal)
    finally:
        if bot.process.returncode is None:
            await bot.kill()
    # A stop asked for (SIGTERM) is a success; Ctrl-C is reported as an interruption.
    expected = 130 if stop_signal == signal.SIGINT else 0
    assert bot.process.returncode == expected, bot.log
    assert "Traceback" not in bot.log, bot.log
    assert took < EXIT_BOUND
    # The retry waiting out its back-off was given up; the claim stays for the takeover.
    assert "not posted yet: the bot is stopping" in bot.log
    assert fake_discord.channel_messages(channel) == []
    [claim] = await ledger(url)
    assert claim.status == DeliveryStatus.CLAIMED  # the claim stays for the takeover

    fake_discord.faults.clear()
    await posts_once_after_restart(fake_discord, tmp_path, url, channel)


async def test_a_stop_while_the_run_waits_for_the_database_lets_it_finish(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    path = tmp_path / "bot.db"
    url = f"sqlite+aiosqlite:///{path}"
    channel = fake_discord.guild.add_text_channel("announcements")
    starts_at = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=10)
    await seed(url, fake_discord.guild.id, channel.id, starts_at)
    failing = fake_discord.faults.add("POST", MESSAGES, status=503, times=1)

    bot = await start_bot(url, fake_discord.base_url, tmp_path, fake_discord.token)
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        await bot.wait_log(r"reminder claims are made as slot-0/")
        await fake_discord.wait_for(lambda: True if failing.hits else None, 30, "a 503")
        # The claim is written; another connection now holds the write lock, so recording
        # the post that the retry makes waits inside SQLite (busy_timeout).
        writer.execute("BEGIN IMMEDIATE")
        message = await fake_discord.wait_for_message(channel, timeout=30)
        bot.process.send_signal(signal.SIGTERM)
        await bot.wait_log(r"shutting down")
        writer.execute("ROLLBACK")  # the database answers again: the run records its post
        started = time.monotonic()
        await ended_within(bot, "the lock was released")
        took = time.monotonic() - started
    finally:
        writer.close()
        if bot.process.returncode is None:
            await bot.kill()
    assert bot.process.returncode == 0, bot.log
    assert "Traceback" not in bot.log, bot.log
    assert took < EXIT_BOUND
    assert "waiting up to" in bot.log and "running job(s)" in bot.log
    assert f"posted as message {message['id']}" in bot.log
    [row] = await ledger(url)
    assert row.status == DeliveryStatus.SENT and row.message_id == int(message["id"])

    # Restarted, the bot has nothing left to post.
    restarted = await start_bot(url, fake_discord.base_url, tmp_path, fake_discord.token)
    try:
        await restarted.wait_log(r"reminders planned: 0 pending")
        await restarted.wait_log(r"ready as ")
    finally:
        await restarted.stop()
    assert restarted.process.returncode == 0, restarted.log
    assert [m["id"] for m in fake_discord.channel_messages(channel)] == [message["id"]]
