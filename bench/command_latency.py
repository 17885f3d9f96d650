"""Slash-command handling time: our bot against a bare discord.py bot, cold and warm.

The same loopback Discord drives (a) a bare ``commands.Bot`` that answers one slash command and
(b) the reading-group bot answering ``/session list`` and ``/session next`` with N sessions in
its SQLite database. Each figure is the time from the member's action (the INTERACTION_CREATE
the fake sends) to the bot's answer arriving at the fake, measured in the same run on the same
machine. *Warm* calls follow each other; each *cold* call is the first after a change of the
schedule (a session's title edited through the schedule service, outside the timing), and the
first call after the bot started is reported on its own. Goals: at 1,000 sessions, cold and
warm medians ≤ 2× the bare bot; at 100,000, no answer later than Discord's 3 s deadline.

    python bench/command_latency.py [--sessions 1000] [--rounds 300]
    python bench/command_latency.py --sessions 100000 --rounds 50
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import discord  # noqa: E402
from discord.ext import commands  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from bot.app import ReadingGroupBot  # noqa: E402
from bot.schedule.drafts import SessionEdit  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import ReadingSession  # noqa: E402
from tests.harness.clock import FakeClock  # noqa: E402
from tests.harness.discord.client import start_client  # noqa: E402
from tests.harness.discord.server import FakeDiscord  # noqa: E402

NOW = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


class BareBot(commands.Bot):
    """A minimal bot: one command, synced to the server (leaving the global commands alone)."""

    def __init__(self, guild_id: int) -> None:
        self.guild = discord.Object(id=guild_id)
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.none(),
            guild_ready_timeout=0.05,
        )

        @self.tree.command(name="ping", description="Answers at once")
        async def ping(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("pong")

    async def setup_hook(self) -> None:
        self.tree.copy_global_to(guild=self.guild)
        await self.tree.sync(guild=self.guild)


async def fill(url: str, guild_id: int, count: int) -> None:
    db = await Database.open(url)
    await db.migrate()
    rows = [
        {
            "guild_id": guild_id,
            "number": i + 1,
            "starts_at": NOW + timedelta(days=1 + i // 2, hours=(i % 2) * 3),
            "duration_minutes": 60,
            "kind": "special",
            "title": f"Session {i}: a reasonably long title about multimodal learning",
            "status": "scheduled",
            "source": "command",
            "details": {},
            "created_at": NOW,
            "updated_at": NOW,
        }
        for i in range(count)
    ]
    async with db.engine.begin() as conn:
        for start in range(0, len(rows), 1000):
            await conn.execute(insert(ReadingSession), rows[start : start + 1000])
    await db.close()


def handling_time(fake: FakeDiscord, reply: object) -> float:
    """From the fake sending INTERACTION_CREATE to the bot's callback arriving at the fake.

    Both stamps are the fake's own (loop clock); the fake's validation of the answer body
    happens after the arrival stamp, so it does not count against either bot.
    """
    record = reply.record  # type: ignore[attr-defined]
    prefix = f"/interactions/{record.id}/"
    arrival = next(r.time for r in fake.requests if r.path.startswith(prefix))
    return arrival - record.created_at


async def measure(
    fake: FakeDiscord,
    member: object,
    command: str,
    rounds: int,
    change: Callable[[], Awaitable[None]] | None = None,
) -> list[float]:
    """``rounds`` answers to ``command``; with ``change``, each one right after a change."""
    for _ in range(5 if change else 20):  # warm-up
        await fake.slash(member, command)
    samples = []
    for _ in range(rounds):
        if change is not None:
            await change()
        reply = await fake.slash(member, command)
        samples.append(handling_time(fake, reply))
        fake.requests.clear()
    return samples


def schedule_changer(bot: ReadingGroupBot, guild_id: int) -> Callable[[], Awaitable[None]]:
    """Edits the title of the next session, as ``/session edit`` does."""
    counter = 0

    async def change() -> None:
        nonlocal counter
        counter += 1
        nxt = await bot.services.schedule.next(guild_id)
        assert nxt is not None
        await bot.services.schedule.edit(
            guild_id, nxt.id, SessionEdit(title=f"Edited title {counter}"), actor_id=None
        )

    return change


def describe(name: str, samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    median = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"{name:<28} median {median * 1000:7.2f} ms   p99 {p99 * 1000:7.2f} ms   n={len(samples)}"
    )
    return median, p99


async def main(sessions: int, rounds: int, blocks: int) -> int:
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("discord").setLevel(logging.ERROR)
    fake = FakeDiscord()
    await fake.start()
    bare_name = "(a) bare bot /ping"
    names = [bare_name] + [
        f"(b) /session {cmd} {kind}" for cmd in ("list", "next") for kind in ("warm", "cold")
    ]
    samples: dict[str, list[float]] = {name: [] for name in names}
    first_calls: list[float] = []
    per_block = max(1, rounds // blocks)
    with tempfile.TemporaryDirectory() as tmp, fake.pointed():
        member = fake.guild.add_member("reader")
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        started = time.perf_counter()
        await fill(url, fake.guild.id, sessions)
        print(f"inserted {sessions:,} sessions in {time.perf_counter() - started:.1f} s")
        settings = Settings(_env_file=None, discord_token="test-token", database_url=url)  # type: ignore[call-arg]
        # Alternate the two bots in blocks so that drifting machine load hits both alike.
        for _ in range(blocks):
            bare = await start_client(fake, BareBot(fake.guild.id))
            samples[bare_name] += await measure(fake, member, "ping", per_block)
            await bare.stop()
            bot = ReadingGroupBot(settings, clock=FakeClock(NOW), guild_ready_timeout=0.05)
            ours = await start_client(fake, bot)
            reply = await fake.slash(member, "session list")  # the first after a restart
            first_calls.append(handling_time(fake, reply))
            change = schedule_changer(bot, fake.guild.id)
            for cmd in ("list", "next"):
                command = f"session {cmd}"
                samples[f"(b) /session {cmd} warm"] += await measure(
                    fake, member, command, per_block
                )
                samples[f"(b) /session {cmd} cold"] += await measure(
                    fake, member, command, per_block, change
                )
            await ours.stop()
    await fake.stop()

    results = {name: describe(name, samples[name]) for name in names}
    describe("(b) first call after a start", first_calls)
    base_median, base_p99 = results[bare_name]
    worst = 0.0
    for name in names[1:]:
        median, p99 = results[name]
        ratio = median / base_median
        worst = max(worst, ratio)
        print(f"ratio {name} / (a): median {ratio:.2f}   p99 {p99 / base_p99:.2f}")
    slowest = max(max(v) for v in [*samples.values(), first_calls])
    print(f"goal: median ratio <= 2 -> {'met' if worst <= 2 else 'NOT met'} ({worst:.2f})")
    print(
        f"slowest answer {slowest * 1000:.1f} ms: Discord's 3 s deadline "
        f"{'kept' if slowest < 3 else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=300, help="samples per command and kind")
    parser.add_argument("--blocks", type=int, default=5, help="alternations of the two bots")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.sessions, args.rounds, args.blocks)))
