"""``python -m bot`` as a new user meets it: the first start with the shipped .env.example,
Discord answering the login badly, Ctrl-C while it waits for Discord; one line, never a
traceback.

The real entry point runs as a child process; DISCORD_API_BASE points it at the fake Discord,
which answers ``GET /users/@me`` (the login) with a fault where a test asks for one.
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


async def spawn(fake: FakeDiscord, tmp_path: Path, *args: str) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_"))}
    env.update(
        DISCORD_TOKEN=fake.token,
        DISCORD_API_BASE=fake.api_url,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        PYTHONPATH=str(REPO),
        LOG_LEVEL="INFO",
    )
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def run_bot(fake: FakeDiscord, tmp_path: Path) -> tuple[int, str]:
    process = await spawn(fake, tmp_path)
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


def the_error(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, stderr
    return errors[0]


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (
            {"status": 503},
            "error: Discord answered 503 (a server error) at login: it is having trouble; "
            "try again in a few minutes (https://discordstatus.com)",
        ),
        (
            {"status": 403, "code": 40002},
            "error: Discord refused the login with 403 Forbidden: check DISCORD_TOKEN and "
            "DISCORD_API_BASE",
        ),
        (
            {"status": 200, "raw": "<html><body>Welcome to the hotel Wi-Fi</body></html>"},
            "error: Discord's answer at login was not understood (not the expected JSON): "
            "check DISCORD_API_BASE",
        ),
    ],
    ids=["5xx", "403", "not-json"],
)
async def test_a_bad_answer_at_login_is_one_line(
    fake_discord: FakeDiscord, tmp_path: Path, fault: dict[str, object], expected: str
) -> None:
    rule = fake_discord.faults.add("GET", "/users/@me", times=None, **fault)  # type: ignore[arg-type]
    status, stderr = await run_bot(fake_discord, tmp_path)
    assert rule.hits >= 1  # the process really asked the fake
    assert status == 1
    assert the_error(stderr) == expected
    assert fake_discord.token not in stderr


async def test_ctrl_c_while_sync_waits_for_discord(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    route = r"/applications/\d+/guilds/\d+/commands"
    fake_discord.faults.add("PUT", route, status=429, retry_after=60, times=None)
    process = await spawn(fake_discord, tmp_path, "sync", "--guild", str(fake_discord.guild.id))
    try:
        await fake_discord.wait_for_request("PUT", route, timeout=30)  # now waiting 60 s
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    log = stderr.decode()
    assert process.returncode == 130, log
    assert "Traceback" not in log
    assert log.rstrip().splitlines()[-1] == (
        "Interrupted: the commands may or may not have been registered: run sync again"
    )
    assert stdout.decode() == ""


async def test_first_start_with_the_shipped_env_example(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    """``cp .env.example .env``, fill in the token, start: it runs, quietly."""
    example = (REPO / ".env.example").read_text(encoding="utf-8")
    (tmp_path / ".env").write_text(
        example.replace("\nDISCORD_TOKEN=\n", f"\nDISCORD_TOKEN={fake_discord.token}\n")
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_"))}
    env.update(  # only where Discord is: the fake
        DISCORD_API_BASE=fake_discord.api_url,
        DISCORD_GATEWAY_URL=fake_discord.gateway_url,
        PYTHONPATH=str(REPO),
    )
    env.pop("LOG_LEVEL", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake_discord.wait_ready(1, timeout=30)
        await fake_discord.wait_for_request("PUT", r"/applications/\d+/commands", timeout=30)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    log = stderr.decode()
    assert process.returncode == 0, log
    assert (tmp_path / "data" / "reading_group.db").exists()  # the default database
    assert "Traceback" not in log and "WARNING" not in log and "ERROR" not in log, log
    assert "connected to Gateway" in log
