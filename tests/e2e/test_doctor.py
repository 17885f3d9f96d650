"""``python -m bot doctor`` against the fake Discord, the fake LLM and the fake arXiv.

The real command runs as a process with only settings: it reads the configured channels from
the database, asks Discord for the bot's permissions there, asks the LLM endpoint and arXiv,
and prints a table (exit 1 while something needs fixing).
"""

from __future__ import annotations

import asyncio
import base64
import os
import sys
from pathlib import Path

import discord

from storage.db import Database
from tests.harness.arxiv import FakeArxiv
from tests.harness.discord.fixtures import fake_discord
from tests.harness.discord.server import FakeDiscord
from tests.harness.fixtures_services import fake_arxiv, fake_llm
from tests.harness.llm import FakeLLM

__all__ = ["fake_arxiv", "fake_discord", "fake_llm"]

REPO = Path(__file__).resolve().parents[2]


def shaped_token(bot_id: int) -> str:
    head = base64.urlsafe_b64encode(str(bot_id).encode()).decode().rstrip("=")
    return f"{head}.GaBcDe.{'x' * 38}"


async def doctor(
    fake: FakeDiscord, llm: FakeLLM, arxiv: FakeArxiv, url: str, cwd: Path, **extra: str
) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_"))}
    env.update(
        DISCORD_TOKEN=fake.token,
        DATABASE_URL=url,
        DISCORD_API_BASE=fake.api_url,
        OPENAI_BASE_URL=llm.base_url,
        OPENAI_API_KEY="sk-test",
        LLM_MODEL="fake-model",
        ARXIV_API_URL=arxiv.query_url_format,
        ARXIV_MIN_INTERVAL_SECONDS="0",
        PYTHONPATH=str(REPO),
    )
    env.update(extra)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "doctor",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert "Traceback" not in err.decode(), err.decode()
    assert process.returncode is not None
    return process.returncode, out.decode()


def row(table: str, name: str) -> list[str]:
    return [line for line in table.splitlines() if line.startswith(name)]


async def test_doctor_finds_what_to_fix_and_then_all_fine(
    fake_discord: FakeDiscord, fake_llm: FakeLLM, fake_arxiv: FakeArxiv, tmp_path: Path
) -> None:
    fake_discord.token = shaped_token(fake_discord.bot_user.id)
    guild = fake_discord.guild
    announcements = guild.add_text_channel("announcements")
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    db = await Database.open(url)
    try:
        await db.migrate()
        async with db.unit() as uow:
            config = await uow.guilds.get_or_create(guild.id)
            config.announcement_channel_id = announcements.id
    finally:
        await db.close()
    fake_discord.set_bot_permissions(
        guild, announcements, deny=discord.Permissions(embed_links=True)
    )

    code, table = await doctor(fake_discord, fake_llm, fake_arxiv, url, tmp_path)
    assert code == 1, table
    assert "ok" in row(table, "Discord token")[0]
    assert "ok" in row(table, "Database")[0] and "ok" in row(table, "Schema")[0]
    assert "ok" in row(table, "Discord login")[0]
    problem = row(table, f"{guild.name} ({guild.id})")
    assert problem and "FIX" in problem[0] and "Embed Links" in problem[0], table
    assert "ok" in row(table, "LLM endpoint")[0]
    assert "ok" in row(table, "arXiv")[0]
    assert table.rstrip().endswith("1 thing to fix")

    fake_discord.set_bot_permissions(
        guild, announcements, allow=discord.Permissions(embed_links=True)
    )
    code, table = await doctor(fake_discord, fake_llm, fake_arxiv, url, tmp_path)
    assert code == 0, table
    assert table.rstrip().endswith("all fine")

    # A wrong model name and a malformed token are reported, not crashed on.
    code, table = await doctor(
        fake_discord,
        fake_llm,
        fake_arxiv,
        url,
        tmp_path,
        LLM_MODEL="no-such-model",
        DISCORD_TOKEN="not-a-token",
    )
    assert code == 1
    assert "FIX" in row(table, "Discord token")[0] and "skip" in row(table, "Discord ")[1]
