"""``python -m bot`` when Discord answers the login badly: one line, never a traceback.

The real entry point runs as a child process; DISCORD_API_BASE points it at the fake Discord,
which answers ``GET /users/@me`` (the login) with a fault.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from tests.harness.discord.fixtures import fake_discord
from tests.harness.discord.server import FakeDiscord

__all__ = ["fake_discord"]

REPO = Path(__file__).resolve().parents[2]


async def run_bot(fake: FakeDiscord, tmp_path: Path) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_"))}
    env.update(
        DISCORD_TOKEN=fake.token,
        DISCORD_API_BASE=fake.api_url,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        PYTHONPATH=str(REPO),
        LOG_LEVEL="INFO",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
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
