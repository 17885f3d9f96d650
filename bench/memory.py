"""Memory after start and the cost of a CLI command, against bare discord.py.

1. RSS of ``python -m bot`` after start (ready, commands synced, one command answered)
   with 1 server, and with 1,000 servers of 50 sessions each, against a bare discord.py bot
   (one slash command) connected to the same fake Discord with the same servers. Goals:
   idle ≤ 90 MB; 1,000 servers within 60 MB of the bare client.
2. CPU (user + system) of ``python -m bot export`` on a small database against
   ``python -c "import discord.ext.commands"``. Goal: ≤ 2×.

Every process is a real child process; the fake Discord runs in this one.

    python bench/memory.py [--servers 1000] [--sessions 50] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import insert  # noqa: E402

from storage.db import Database  # noqa: E402
from storage.models import GuildConfig, ReadingSession  # noqa: E402
from tests.harness.discord.server import FakeDiscord  # noqa: E402

NOW = datetime.now(UTC)

BARE = """
import sys, yarl, discord, discord.http, discord.gateway
from discord.ext import commands
port = int(sys.argv[1])
discord.http.Route.BASE = f"http://127.0.0.1:{port}/api/v10"
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(f"ws://127.0.0.1:{port}/gateway")
intents = discord.Intents.none()
intents.guilds = True
bot = commands.Bot(command_prefix=commands.when_mentioned, intents=intents)

@bot.tree.command(name="help", description="Answers at once")
async def help_(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("pong")

async def setup_hook() -> None:
    await bot.tree.sync()

bot.setup_hook = setup_hook
bot.run(sys.argv[2], log_handler=None)
"""


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def fill(url: str, guild_ids: list[int], sessions: int) -> None:
    db = await Database.open(url)
    await db.migrate()
    async with db.engine.begin() as conn:
        await conn.execute(
            insert(GuildConfig.__table__),  # type: ignore[attr-defined]
            [
                {
                    "guild_id": g,
                    "timezone": "Europe/Berlin",
                    "lead_times_minutes": [60],
                    "export_pin_message_ids": [],
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for g in guild_ids
            ],
        )
        if sessions:
            await conn.execute(
                insert(ReadingSession.__table__),  # type: ignore[attr-defined]
                [
                    {
                        "guild_id": g,
                        "number": i + 1,
                        "starts_at": NOW + timedelta(days=7 * (i - sessions // 2), hours=2),
                        "duration_minutes": 60,
                        "kind": "special",
                        "title": f"Session {i}: reading about multimodal learning",
                        "status": "scheduled",
                        "source": "command",
                        "details": {},
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                    for g in guild_ids
                    for i in range(sessions)
                ],
            )
    await db.close()


async def start_measured(
    fake: FakeDiscord, argv: list[str], env: dict[str, str], cwd: Path
) -> tuple[float, float]:
    """Start a bot process, wait until it answers a command, settle, return (RSS MB, s)."""
    ready = fake.gateway.ready_count
    began = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await fake.wait_ready(ready + 1, timeout=120)
        await fake.wait_for(
            lambda: True if fake.registered_commands() else None, 120, "commands synced"
        )
        member = fake.guild.add_member(f"reader{ready}")
        await fake.slash(member, "help", timeout=30)
        started = time.perf_counter() - began
        await asyncio.sleep(2.0)  # let start-up work (reminder planning, caches) settle
        return rss_mb(process.pid), started
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)
        fake.world.global_commands.clear()


async def measure_rss(
    servers: int, sessions: int, directory: Path
) -> dict[str, tuple[float, float]]:
    results: dict[str, tuple[float, float]] = {}
    async with FakeDiscord() as fake:
        guilds = [fake.guild] + [fake.add_guild(f"Group {i}") for i in range(servers - 1)]
        url = f"sqlite+aiosqlite:///{directory / f'memory-{servers}.db'}"
        await fill(url, [g.id for g in guilds], sessions)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_"))}
        env.update(PYTHONPATH=str(REPO), DISCORD_TOKEN=fake.token, LOG_LEVEL="WARNING")
        results["bare discord.py"] = await start_measured(
            fake, [sys.executable, "-c", BARE, str(fake.port), fake.token], env, directory
        )
        ours = dict(
            env,
            DATABASE_URL=url,
            DISCORD_API_BASE=fake.api_url,
            DISCORD_GATEWAY_URL=fake.gateway_url,
        )
        results["reading-group bot"] = await start_measured(
            fake, [sys.executable, "-m", "bot"], ours, directory
        )
    return results


def cpu_seconds(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, env=env, cwd=cwd, check=True, capture_output=True, timeout=120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


async def measure_cli(directory: Path, rounds: int) -> tuple[float, float]:
    url = f"sqlite+aiosqlite:///{directory / 'cli.db'}"
    await fill(url, [1], 20)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_"))}
    env.update(PYTHONPATH=str(REPO), DATABASE_URL=url)
    export = [
        sys.executable,
        "-m",
        "bot",
        "export",
        "--guild",
        "1",
        "--out",
        str(directory / "o.md"),
    ]
    bare = [sys.executable, "-c", "import discord.ext.commands"]
    cpu_seconds(export, env, directory)  # warm the file cache and bytecode
    ours = [cpu_seconds(export, env, directory) for _ in range(rounds)]
    base = [cpu_seconds(bare, env, directory) for _ in range(rounds)]
    return statistics.median(ours), statistics.median(base)


async def main(servers: int, sessions: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        ours_cpu, bare_cpu = await measure_cli(directory, rounds)
        print("CLI: python -m bot export --guild ID (20 sessions), CPU user+system, median")
        print(
            f"  export {ours_cpu * 1000:7.0f} ms   import discord.ext.commands {bare_cpu * 1000:5.0f} ms"
            f"   ratio {ours_cpu / bare_cpu:.2f}× (goal ≤ 2×)"
        )
        for label, count, per in (
            ("1 server", 1, 0),
            (f"{servers:,} servers × {sessions} sessions", servers, sessions),
        ):
            results = await measure_rss(count, per, directory)
            bare_rss, bare_start = results["bare discord.py"]
            ours_rss, ours_start = results["reading-group bot"]
            print(f"RSS after start, {label}:")
            print(
                f"  bot {ours_rss:6.1f} MB (ready in {ours_start:4.1f} s)   bare discord.py "
                f"{bare_rss:6.1f} MB (ready in {bare_start:4.1f} s)   difference "
                f"{ours_rss - bare_rss:+.1f} MB, ratio {ours_rss / bare_rss:.2f}×"
            )
        print("goals: idle ≤ 90 MB; 1,000 servers within 60 MB of the bare client; CLI ≤ 2×")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=1000)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.servers, args.sessions, args.rounds))
