"""Several processes sharing one token as Discord shards (SHARD_COUNT / SHARD_IDS).

Each bot here is the real sharded bot (``AutoShardedBot``) on the fake Discord, which routes
every server's events to the connection of its shard. A process posts reminders and keeps
pins only for the servers of its own shards; when two processes overlap (a re-shard, a
rolling restart) the reminder ledger still posts every reminder exactly once; only the
process holding shard 0 syncs the commands.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.app import ShardedReadingGroupBot, build_bot
from bot.settings import Settings
from storage.db import Database
from storage.models import ReadingSession, ReminderDelivery
from tests.harness.clock import FakeClock
from tests.harness.discord.client import RunningClient, start_client
from tests.harness.discord.fixtures import fake_discord
from tests.harness.discord.server import FakeDiscord

__all__ = ["fake_discord"]

START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
FIRST = datetime(2025, 1, 9, 17, 0, tzinfo=UTC)  # Thursday 18:00 in Berlin
SECOND = FIRST + timedelta(days=7)
SHARDS = 2


@dataclass
class Cluster:
    fake: FakeDiscord
    clock: FakeClock
    url: str
    guilds: list[Any] = field(default_factory=list)
    channels: dict[int, Any] = field(default_factory=dict)  # guild id → announcement channel
    running: list[RunningClient] = field(default_factory=list)

    def settings(self, shard_ids: list[int]) -> Settings:
        return Settings(
            _env_file=None,  # type: ignore[call-arg]
            discord_token=self.fake.token,
            database_url=self.url,
            default_timezone="Europe/Berlin",
            shard_count=SHARDS,
            shard_ids=",".join(map(str, shard_ids)),
        )

    async def start(self, shard_ids: list[int]) -> ShardedReadingGroupBot:
        bot = build_bot(self.settings(shard_ids), clock=self.clock, guild_ready_timeout=0.05)
        assert isinstance(bot, ShardedReadingGroupBot)
        self.running.append(await start_client(self.fake, bot))
        return bot

    async def stop(self, bot: ShardedReadingGroupBot) -> None:
        for running in list(self.running):
            if running.client is bot:
                await running.stop()
                self.running.remove(running)

    def posts(self, guild: Any) -> list[dict[str, Any]]:
        return self.fake.channel_messages(self.channels[guild.id])


async def _cluster(fake: FakeDiscord, url: str) -> Cluster:
    clock = FakeClock(START)
    fake.set_clock(clock.now)
    fake.shard_count = SHARDS
    cluster = Cluster(fake, clock, url)
    for shard in (0, 0, 1, 1):
        guild = fake.add_guild(f"Group on shard {shard}", shard=(shard, SHARDS))
        cluster.guilds.append(guild)
        cluster.channels[guild.id] = guild.add_text_channel("announcements")
    db = await Database.open(url)
    try:
        await db.migrate()
        async with db.unit() as uow:
            for guild in cluster.guilds:
                config = await uow.guilds.get_or_create(guild.id, default_timezone="Europe/Berlin")
                config.announcement_channel_id = cluster.channels[guild.id].id
                for starts in (FIRST, SECOND):
                    await uow.sessions.add(
                        ReadingSession(
                            guild_id=guild.id, starts_at=starts, kind="special", title="Reading"
                        )
                    )
    finally:
        await db.close()
    return cluster


@contextlib.asynccontextmanager
async def cluster_on(fake: FakeDiscord, url: str) -> AsyncIterator[Cluster]:
    cluster = await _cluster(fake, url)
    try:
        yield cluster
    finally:
        for running in reversed(cluster.running):
            with contextlib.suppress(Exception):
                await running.stop()


def shard_of(guild: Any) -> int:
    return (guild.id >> 22) % SHARDS


async def test_each_process_serves_the_servers_of_its_shards(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    async with cluster_on(fake_discord, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}") as c:
        # The process of shard 1 starts first: it must leave the command sync to shard 0's.
        one = await c.start([1])
        assert fake_discord.requests_matching("PUT", r"/applications/\d+/commands") == []
        zero = await c.start([0])
        await fake_discord.wait_for_request("PUT", r"/applications/\d+/commands")
        assert len(fake_discord.requests_matching("PUT", r"/applications/\d+/commands")) == 1
        assert fake_discord.gateway.shard_sessions() == {0: 1, 1: 1}
        # Discord hands each process the servers of its shards only.
        assert {g.id for g in zero.guilds} == {g.id for g in c.guilds if shard_of(g) == 0} | {
            g.id for g in [fake_discord.guild] if shard_of(g) == 0
        }
        assert {g.id for g in one.guilds} == {g.id for g in c.guilds if shard_of(g) == 1} | {
            g.id for g in [fake_discord.guild] if shard_of(g) == 1
        }

        # A command in a server of shard 1 reaches (and is answered by) shard 1's process.
        guild = next(g for g in c.guilds if shard_of(g) == 1)
        member = guild.add_member("reader")
        reply = await fake_discord.slash(
            member, "session next", channel=guild.channel_named("general")
        )
        assert "Reading" in reply.text

        # Reminders: shard 0's process posts for shard 0's servers and no others.
        c.clock.set(FIRST - timedelta(hours=1))
        await zero.services.reminders.run_due()
        for guild in c.guilds:
            assert len(c.posts(guild)) == (1 if shard_of(guild) == 0 else 0), guild.name
        await one.services.reminders.run_due()
        for guild in c.guilds:
            assert len(c.posts(guild)) == 1, guild.name

        # The pinned schedule of a shard-1 server is not kept by shard 0's process.
        await one.services.guilds.update(guild.id, export_pin_channel_id=c.channels[guild.id].id)
        await zero.reactions.pins.request(guild.id)
        assert len(c.posts(guild)) == 1
        await one.reactions.pins.request(guild.id)
        assert len(c.posts(guild)) > 1  # the pinned schedule (and Discord's pin notice)


@pytest.mark.postgres
async def test_overlapping_shard_sets_post_every_reminder_once(
    fake_discord: FakeDiscord, postgres_database_factory: Any
) -> None:
    url = postgres_database_factory()
    async with cluster_on(fake_discord, url) as c:
        # A re-shard in progress: both processes believe they hold shard 1.
        a = await c.start([0, 1])
        b = await c.start([1])
        c.clock.set(FIRST - timedelta(hours=1))
        for _ in range(2):
            await asyncio.gather(a.services.reminders.run_due(), b.services.reminders.run_due())
        for guild in c.guilds:
            assert len(c.posts(guild)) == 1, guild.name

        # The shard sets change under them: a restarts with shard 0 only, b with both
        # (a rolling restart, overlapping on shard 0 this time).
        await c.stop(a)
        a2 = await c.start([0])
        await c.stop(b)
        b2 = await c.start([0, 1])
        c.clock.set(SECOND - timedelta(hours=1))
        for _ in range(2):
            await asyncio.gather(a2.services.reminders.run_due(), b2.services.reminders.run_due())

        db = await Database.open(url)
        try:
            async with db.unit() as uow:
                rows = (
                    await uow.tx.execute(
                        ReminderDelivery.__table__.select()  # type: ignore[attr-defined]
                    )
                ).all()
        finally:
            await db.close()
        for guild in c.guilds:
            posts = c.posts(guild)
            refs = [p["embeds"][0]["footer"]["text"] for p in posts]
            assert len(posts) == 2 and len(set(refs)) == 2, (guild.name, refs)
        assert len(rows) == 2 * len(c.guilds)
        assert {r.status for r in rows} == {"sent"}


def test_discord_routes_a_server_to_its_shard() -> None:
    # Discord routes a server to shard (id >> 22) % count.
    from bot.ops.shards import ShardSet, shard_of

    assert shard_of(175928847299117063, 16) == 4
    own = ShardSet.of(16, [4])
    assert own.owns(175928847299117063)
    assert not ShardSet.of(16, [0, 1]).owns(175928847299117063)
    assert ShardSet.of(None).owns(175928847299117063)
    assert ShardSet.of(16, [0]).holds_first_shard and not own.holds_first_shard
    assert discord.utils.snowflake_time(175928847299117063).year == 2016
