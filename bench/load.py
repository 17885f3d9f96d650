"""Load: two bot processes of two shards each on PostgreSQL, commands arriving at a fixed rate.

The fake Discord (in this process) holds 1,000 servers spread over 4 shards. Two real
``python -m bot`` processes (SHARD_COUNT=4, SHARD_IDS 0,1 and 2,3, DISCORD_API_BASE and
DISCORD_GATEWAY_URL pointing at the fake) share one PostgreSQL database. Commands arrive at
100 per second for 60 seconds, open loop (a slow answer does not slow the arrivals): reads
(``/session list``, ``/paper queue``), writes (``/comment add``, 👍 votes on proposals), while
one reminder per server falls due during the run. Printed: p50/p99 from dispatch to the first
response, errors, comments stored vs acknowledged, reminders posted vs due (duplicates and
missing), and Discord 4xx/429 counts; then the same load against a bare discord.py bot
(the same two processes of two shards, one trivial command) for the latency ratio.

    python bench/load.py                 # 1,000 servers, 100 commands/s for 60 s
    python bench/load.py --quick         # 100 servers, 30 commands/s for 15 s
    python bench/load.py --soak          # 10 minutes, a gateway reconnect every minute
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import random
import re
import socket
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import asyncpg  # type: ignore[import-untyped]  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402
from sqlmodel import col  # noqa: E402

from storage.db import Database  # noqa: E402
from storage.models import (  # noqa: E402
    Comment,
    GuildConfig,
    Paper,
    Proposal,
    ReadingSession,
)
from tests.harness.discord.server import FakeDiscord  # noqa: E402

POSTGRES_URL = "postgresql+asyncpg://127.0.0.1:5432/test"
SHARDS = 4
PROCESSES = (("0,1", 0), ("2,3", 2))  # SHARD_IDS of each process, and its first shard
START_BUDGET = 45.0  # seconds the processes may take to connect every shard
MIX = (("session list", 30), ("paper queue", 20), ("comment add", 30), ("vote", 20))

BARE = """
import sys, discord
from discord.ext import commands
intents = discord.Intents.none()
intents.guilds = True
bot = commands.AutoShardedBot(
    command_prefix=commands.when_mentioned, intents=intents,
    shard_count=int(sys.argv[2]), shard_ids=[int(s) for s in sys.argv[3].split(",")],
)
discord.http.Route.BASE = sys.argv[4]
import yarl, discord.gateway
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sys.argv[5])

@bot.tree.command(name="ping", description="Answers at once")
async def ping(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("pong")

async def setup_hook() -> None:
    if 0 in bot.shard_ids:
        await bot.tree.sync()

bot.setup_hook = setup_hook
bot.run(sys.argv[1], log_handler=None)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class World:
    fake: FakeDiscord
    guilds: list[Any]
    members: dict[int, Any]
    announcements: dict[int, Any]
    proposals: dict[int, tuple[int, int]] = field(default_factory=dict)  # guild → (msg, id)


@dataclass
class Results:
    label: str
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    sent: Counter[str] = field(default_factory=Counter)
    comments_acknowledged: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


# ------------------------------------------------------------------------------ set-up


async def admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"), timeout=5)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def build_world(fake: FakeDiscord, servers: int) -> World:
    fake.shard_count = SHARDS
    fake.interaction_deadline = 3.0
    guilds = [fake.add_guild(f"Group {i}", shard=(i % SHARDS, SHARDS)) for i in range(servers)]
    members = {g.id: g.add_member("reader") for g in guilds}
    announcements = {g.id: g.add_text_channel("announcements") for g in guilds}
    return World(fake, guilds, members, announcements)


async def fill(url: str, world: World, due_from: datetime, spread: float) -> int:
    """Servers with settings, a past and upcoming sessions, an open proposal each; one lead
    reminder per server falls due between ``due_from`` and ``due_from + spread``."""
    now = datetime.now(UTC)
    db = await Database.open(url)
    await db.migrate()
    count = len(world.guilds)
    async with db.engine.begin() as conn:
        await conn.execute(
            insert(GuildConfig.__table__),  # type: ignore[attr-defined]
            [
                {
                    "guild_id": g.id,
                    "timezone": "UTC",
                    "announcement_channel_id": world.announcements[g.id].id,
                    "lead_times_minutes": [60],
                    "export_pin_message_ids": [],
                    "events_enabled": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for g in world.guilds
            ],
        )
        sessions = []
        for i, g in enumerate(world.guilds):
            due = due_from + timedelta(seconds=spread * i / count)
            starts = [now - timedelta(days=2), due + timedelta(hours=1)]
            starts += [due + timedelta(days=7 * k, hours=1) for k in (1, 2, 3)]
            for n, start in enumerate(starts):
                sessions.append(
                    {
                        "guild_id": g.id,
                        "number": n + 1,
                        "starts_at": start,
                        "duration_minutes": 60,
                        "kind": "special",
                        "title": f"Session {n} of group {i}: multimodal learning",
                        "status": "scheduled",
                        "source": "command",
                        "details": {},
                        "created_at": now,
                        "updated_at": now,
                    }
                )
        await conn.execute(insert(ReadingSession.__table__), sessions)  # type: ignore[attr-defined]
        papers = await conn.execute(
            insert(Paper.__table__).returning(Paper.__table__.c.id),  # type: ignore[attr-defined]
            [
                {
                    "guild_id": g.id,
                    "ref_key": f"arxiv:2304.{i:05d}",
                    "arxiv_id": f"2304.{i:05d}",
                    "title": f"A paper about scaling number {i}",
                    "authors": ["A. Author", "B. Writer"],
                    "categories": [],
                    "code_links": [],
                    "demo_links": [],
                    "source": "arxiv",
                    "created_at": now,
                    "updated_at": now,
                }
                for i, g in enumerate(world.guilds)
            ],
        )
        paper_ids = [row[0] for row in papers]
        proposals = await conn.execute(
            insert(Proposal.__table__).returning(Proposal.__table__.c.id),  # type: ignore[attr-defined]
            [
                {
                    "guild_id": g.id,
                    "number": 1,
                    "paper_id": pid,
                    "proposer_id": world.members[g.id].id,
                    "status": "open",
                    "channel_id": g.channel_named("general").id,
                    "created_at": now,
                    "updated_at": now,
                }
                for g, pid in zip(world.guilds, paper_ids, strict=True)
            ],
        )
        for g, (proposal_id,) in zip(world.guilds, proposals, strict=True):
            channel = g.channel_named("general")
            message = world.fake.world.new_message(
                channel.id,
                world.fake.world.bot,
                content="Proposal",
                components=[
                    {
                        "type": 1,
                        "components": [
                            {
                                "type": 2,
                                "style": 1,
                                "label": "👍 Vote (0)",
                                "custom_id": f"paper:vote:{proposal_id}",
                            }
                        ],
                    }
                ],
            )
            world.fake.world.add_message(message, announce=False)
            world.proposals[g.id] = (message.id, proposal_id)
    await db.close()
    return count


async def start_processes(
    world: World, argv_for: Any, env: dict[str, str], directory: Path
) -> list[tuple[asyncio.subprocess.Process, Path]]:
    """The processes, each logging to a file (a pipe nobody reads while the load runs
    would fill up and block the bot's event loop on its next log line)."""
    fake = world.fake
    before = fake.gateway.ready_count
    processes = []
    for index, (shard_ids, first) in enumerate(PROCESSES):
        log_path = directory / f"bot-{os.getpid()}-{len(fake.requests)}-{index}.log"
        with log_path.open("wb") as log_file:
            process = await asyncio.create_subprocess_exec(
                *argv_for(shard_ids, first),
                cwd=directory,
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log_file,
            )
        processes.append((process, log_path))
    await fake.wait_ready(before + SHARDS, timeout=START_BUDGET * 3)
    await fake.wait_for(lambda: True if fake.registered_commands() else None, 60, "commands")
    return processes


async def stop_processes(processes: list[tuple[asyncio.subprocess.Process, Path]]) -> list[str]:
    for process, _ in processes:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
    logs = []
    for process, log_path in processes:
        await asyncio.wait_for(process.wait(), 60)
        logs.append(log_path.read_text(errors="replace"))
    return logs


async def probe_ready(world: World, command: str, **options: Any) -> None:
    """Until one server of every shard answers (each process has finished starting)."""
    fake = world.fake
    for shard in range(SHARDS):
        guild = next(g for g in world.guilds if (g.id >> 22) % SHARDS == shard)
        deadline = time.monotonic() + START_BUDGET
        while True:
            try:
                await fake.slash(world.members[guild.id], command, timeout=10, **options)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)


# ------------------------------------------------------------------------------- load


async def one_command(world: World, results: Results, kind: str, bare: bool) -> None:
    fake = world.fake
    guild = random.choice(world.guilds)
    member = world.members[guild.id]
    began = time.perf_counter()
    try:
        if bare:
            reply = await fake.slash(member, "ping", timeout=10)
        elif kind == "vote":
            message_id, proposal_id = world.proposals[guild.id]
            reply = await fake.click(member, message_id, custom_id=f"paper:vote:{proposal_id}")
        elif kind == "comment add":
            reply = await fake.slash(
                member, "comment add", text=f"A question from the load test {random.random()}"
            )
        else:
            reply = await fake.slash(member, kind, timeout=10)
    except Exception as exc:
        results.errors[f"{kind}: {exc.__class__.__name__}"] += 1
        return
    results.latencies.append(time.perf_counter() - began)
    if kind == "comment add" and not bare:
        try:
            final = await reply.final(timeout=10) if reply.deferred else reply
        except Exception as exc:
            results.errors[f"{kind} (final): {exc.__class__.__name__}"] += 1
            return
        text = getattr(final, "text", "") or ""
        if "Logged" in text or "comment #" in text.lower() or "logged" in text.lower():
            results.comments_acknowledged += 1
        else:
            results.errors[f"{kind}: unexpected answer {text[:60]!r}"] += 1


async def drive(
    world: World, results: Results, rate: float, duration: float, bare: bool, reconnect: float
) -> None:
    kinds = [k for k, weight in MIX for _ in range(weight)]
    tasks: set[asyncio.Task[None]] = set()
    began = time.perf_counter()
    n = 0
    next_reconnect = began + reconnect if reconnect else None
    while True:
        at = began + n / rate
        now = time.perf_counter()
        if at - began >= duration:
            break
        if at > now:
            await asyncio.sleep(at - now)
        if next_reconnect is not None and time.perf_counter() >= next_reconnect:
            await world.fake.request_reconnect()
            results.errors["(gateway reconnects injected)"] += 1
            next_reconnect += reconnect
        kind = "ping" if bare else random.choice(kinds)
        results.sent[kind] += 1
        task = asyncio.create_task(one_command(world, results, kind, bare))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        n += 1
    if tasks:
        await asyncio.wait(tasks, timeout=60)
    results.extra["elapsed"] = time.perf_counter() - began


def discord_statuses(fake: FakeDiscord, since: int) -> Counter[int]:
    return Counter(r.status for r in fake.requests[since:] if r.status is not None)


REF = re.compile(r"ref (\S+)")


def reminder_refs(world: World) -> Counter[str]:
    refs: Counter[str] = Counter()
    for guild in world.guilds:
        for message in world.fake.channel_messages(world.announcements[guild.id]):
            for embed in message.get("embeds") or []:
                found = REF.search((embed.get("footer") or {}).get("text") or "")
                if found:
                    refs[found.group(1)] += 1
    return refs


# ------------------------------------------------------------------------------- runs


async def run_ours(args: argparse.Namespace, directory: Path) -> Results:
    database = f"bench_load_{os.getpid()}"
    await admin(args.postgres_url, f'DROP DATABASE IF EXISTS "{database}"')
    await admin(args.postgres_url, f'CREATE DATABASE "{database}"')
    url = f"{args.postgres_url.rpartition('/')[0]}/{database}"
    results = Results("reading-group bot")
    try:
        async with FakeDiscord() as fake:
            world = build_world(fake, args.servers)
            due_from = datetime.now(UTC) + timedelta(seconds=START_BUDGET)
            await fill(url, world, due_from, args.duration)
            env = {
                k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_"))
            }
            env.update(
                PYTHONPATH=str(REPO),
                DISCORD_TOKEN=fake.token,
                DATABASE_URL=url,
                DISCORD_API_BASE=fake.api_url,
                DISCORD_GATEWAY_URL=fake.gateway_url,
                SHARD_COUNT=str(SHARDS),
                LOG_LEVEL=args.log_level,
            )
            ports = {first: free_port() for _, first in PROCESSES}

            def argv(shard_ids: str, first: int) -> list[str]:
                env_line = f"SHARD_IDS={shard_ids} HEALTH_PORT={ports[first]}"
                return ["env", *env_line.split(), sys.executable, "-m", "bot"]

            processes = await start_processes(world, argv, env, directory)
            try:
                await probe_ready(world, "session next")
                wait = (due_from - datetime.now(UTC)).total_seconds()
                if wait > 0:
                    await asyncio.sleep(wait)  # the first reminders fall due as the load starts
                since = len(fake.requests)
                await drive(world, results, args.rate, args.duration, False, args.reconnect)
                end = datetime.now(UTC)
                results.extra["metrics"] = await scrape(ports)
                # Reminders due by the end of the run: wait for them (they are due at most a
                # minute apart from the scheduler's tick).
                due = await count_due(url, world, end)
                with contextlib.suppress(Exception):  # a shortfall is reported below
                    await fake.wait_for(
                        lambda: True if len(reminder_refs(world)) >= due else None,
                        90,
                        "the due reminders",
                        poll=1.0,
                    )
                refs = reminder_refs(world)
                results.extra["reminders_due"] = due
                results.extra["reminders_posted"] = sum(refs.values())
                results.extra["reminders_distinct"] = len(refs)
                results.extra["reminders_duplicated"] = sum(1 for n in refs.values() if n > 1)
                results.extra["statuses"] = discord_statuses(fake, since)
                results.extra["comments_stored"] = await count_rows(url, Comment)
                results.extra["violations"] = len(fake.violations)
            finally:
                logs = await stop_processes(processes)
                results.extra["tracebacks"] = sum(log.count("Traceback") for log in logs)
                if args.logs is not None:
                    for index, log in enumerate(logs):
                        args.logs.with_suffix(f".{index}.log").write_text(log)
    finally:
        await admin(args.postgres_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    return results


async def run_bare(args: argparse.Namespace, directory: Path) -> Results:
    results = Results("bare discord.py")
    async with FakeDiscord() as fake:
        world = build_world(fake, args.servers)
        env = {k: v for k, v in os.environ.items() if not k.startswith("DISCORD_")}

        def argv(shard_ids: str, first: int) -> list[str]:
            return [
                sys.executable, "-c", BARE, fake.token, str(SHARDS), shard_ids,
                fake.api_url, fake.gateway_url,
            ]  # fmt: skip

        processes = await start_processes(world, argv, env, directory)
        try:
            await probe_ready(world, "ping")
            since = len(fake.requests)
            await drive(world, results, args.rate, args.duration, True, args.reconnect)
            results.extra["statuses"] = discord_statuses(fake, since)
        finally:
            await stop_processes(processes)
    return results


async def count_due(url: str, world: World, end: datetime) -> int:
    """Lead reminders whose due time passed by ``end`` (sessions planned by ``fill``)."""
    db = await Database.open(url)
    try:
        async with db.engine.connect() as conn:
            starts = (
                await conn.execute(
                    select(func.count()).where(
                        col(ReadingSession.starts_at) <= end + timedelta(hours=1),
                        col(ReadingSession.starts_at) > end - timedelta(hours=3),
                    )
                )
            ).scalar_one()
        return int(starts)
    finally:
        await db.close()


async def count_rows(url: str, model: Any) -> int:
    db = await Database.open(url)
    try:
        async with db.engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(model))).scalar_one())
    finally:
        await db.close()


async def scrape(ports: dict[int, int]) -> dict[str, float]:
    import aiohttp

    totals: dict[str, float] = {}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        for port in ports.values():
            try:
                async with http.get(f"http://127.0.0.1:{port}/metrics") as answer:
                    text = await answer.text()
            except (aiohttp.ClientError, TimeoutError):
                totals["(a /metrics scrape went unanswered)"] = (
                    totals.get("(a /metrics scrape went unanswered)", 0.0) + 1
                )
                continue
            for line in text.splitlines():
                if line.startswith(("bot_discord_rate_limits_total", "bot_reminders_total")):
                    key, _, value = line.rpartition(" ")
                    totals[key] = totals.get(key, 0.0) + float(value)
    return totals


def show(results: Results, duration: float) -> None:
    sent = sum(results.sent.values())
    statuses: Counter[int] = results.extra.get("statuses", Counter())
    fours = sum(n for s, n in statuses.items() if 400 <= s < 500)
    print(
        f"\n{results.label}: {sent} commands in {results.extra.get('elapsed', 0):.1f} s "
        f"({dict(results.sent)})"
    )
    print(
        f"  dispatch → first response: p50 {results.percentile(0.5):.1f} ms, "
        f"p99 {results.percentile(0.99):.1f} ms ({len(results.latencies)} answered)"
    )
    errors = {k: v for k, v in results.errors.items() if not k.startswith("(")}
    print(f"  errors: {sum(errors.values())} {dict(errors) if errors else ''}")
    print(
        f"  Discord answers: {dict(sorted(statuses.items()))}; 4xx {fours} "
        f"(~{fours * 600 / max(duration, 1):.0f} per 10 minutes; Discord's limit 10,000), "
        f"429 {statuses.get(429, 0)}"
    )
    if "comments_stored" in results.extra:
        print(
            f"  comments: sent {results.sent.get('comment add', 0)}, acknowledged "
            f"{results.comments_acknowledged}, stored {results.extra['comments_stored']}"
        )
        print(
            f"  reminders: due {results.extra['reminders_due']}, posted "
            f"{results.extra['reminders_posted']} ({results.extra['reminders_distinct']} distinct, "
            f"{results.extra['reminders_duplicated']} duplicated, "
            f"{max(0, results.extra['reminders_due'] - results.extra['reminders_distinct'])} missing)"
        )
        print(f"  /metrics of both processes: {results.extra.get('metrics')}")
        print(
            f"  fake Discord violations: {results.extra['violations']}; tracebacks in the "
            f"bot logs: {results.extra['tracebacks']}"
        )


async def main(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.ERROR)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        ours = await run_ours(args, Path(tmp))
        show(ours, args.duration)
        bare = await run_bare(args, Path(tmp))
        show(bare, args.duration)
    print(
        f"\nratio (ours / bare) at the same load: p50 "
        f"{ours.percentile(0.5) / bare.percentile(0.5):.2f}×, p99 "
        f"{ours.percentile(0.99) / bare.percentile(0.99):.2f}×"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0, help="commands per second")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--quick", action="store_true", help="100 servers, 30/s for 15 s")
    parser.add_argument("--soak", action="store_true", help="10 minutes, a reconnect a minute")
    parser.add_argument("--reconnect", type=float, default=0.0, help="seconds between reconnects")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--logs", type=Path, help="write the bot processes' logs here")
    parser.add_argument("--log-level", default="WARNING", help="LOG_LEVEL of the bot processes")
    args = parser.parse_args()
    if args.quick:
        args.servers, args.rate, args.duration = 100, 30.0, 15.0
    if args.soak:
        args.duration, args.reconnect = 600.0, args.reconnect or 60.0
    asyncio.run(main(args))
