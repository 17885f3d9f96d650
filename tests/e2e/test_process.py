"""``python -m bot`` as a real process against the fake Discord: run, answer, stop on SIGTERM.

The child process runs the unchanged entry point (bot.cli.main); only the two discord.py
URLs are pointed at the loopback server before it starts, as the harness does in-process.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.harness.discord.fixtures import fake_discord
from tests.harness.discord.server import FakeDiscord

__all__ = ["fake_discord"]

REPO = Path(__file__).resolve().parents[2]

LAUNCHER = """
import sys, yarl, discord.http, discord.gateway
port = int(sys.argv[1])
discord.http.Route.BASE = f"http://127.0.0.1:{port}/api/v10"
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(f"ws://127.0.0.1:{port}/gateway")
from bot.cli import main
raise SystemExit(main(sys.argv[2:]))
"""


async def _spawn(
    fake: FakeDiscord, tmp_path: Path, *args: str, token: str | None = None
) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_"))}
    env.update(
        DISCORD_TOKEN=token or fake.token,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        PYTHONPATH=str(REPO),
        LOG_LEVEL="INFO",
    )
    port = fake.base_url.rsplit(":", 1)[1].split("/")[0]
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        LAUNCHER,
        port,
        *args,
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
async def test_the_bot_process_answers_and_stops_cleanly(
    fake_discord: FakeDiscord, tmp_path: Path, stop_signal: signal.Signals
) -> None:
    process = await _spawn(fake_discord, tmp_path)
    try:
        await fake_discord.wait_ready(1, timeout=30)
        await fake_discord.wait_for_request("PUT", r"/applications/\d+/commands", timeout=30)
        member = fake_discord.guild.add_member("reader")
        reply = await fake_discord.slash(member, "help", timeout=10)
        assert reply.embeds[0]["title"] == "Reading group assistant"
    finally:
        process.send_signal(stop_signal)
        stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    log = stderr.decode()
    if stop_signal is signal.SIGINT:  # Ctrl-C: said so, and never exit status 0
        assert process.returncode == 130, log
        assert log.rstrip().endswith("Interrupted: the bot shut down cleanly")
    else:
        assert process.returncode == 0, log
    assert "shutting down" in log
    assert "Traceback" not in log
    # no voice here: discord.py's warnings about voice libraries stay out of the log
    assert "PyNaCl" not in log and "davey" not in log and "WARNING" not in log
    assert fake_discord.token not in log + stdout.decode()
    assert (tmp_path / "data").exists() is False  # DATABASE_URL was used, not the default


async def test_sync_command_registers_and_exits(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    guild_id = fake_discord.guild.id
    process = await _spawn(fake_discord, tmp_path, "sync", "--guild", str(guild_id))
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    assert "synced" in stdout.decode()
    names = {c["name"] for c in fake_discord.registered_commands(fake_discord.guild)}
    assert {"help", "session", "setup"} <= names


async def test_a_rejected_token_is_one_line(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    process = await _spawn(fake_discord, tmp_path, token="a-revoked-token")
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    lines = [line for line in stderr.decode().splitlines() if line.startswith("error:")]
    assert process.returncode == 2
    assert lines == [
        "error: DISCORD_TOKEN was rejected by Discord: copy the token again from the "
        "Developer Portal (Bot → Reset Token)"
    ]
    assert "Traceback" not in stderr.decode()
