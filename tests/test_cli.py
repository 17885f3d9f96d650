"""``python -m bot`` as a new user runs it: one clear line and the right exit status."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from storage.db import Database, alembic_config

REPO = Path(__file__).resolve().parent.parent


def run_bot(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DISCORD_TOKEN", "DATABASE_URL"}}
    clean.update(env)
    clean["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_without_token_exits_2_with_one_line(tmp_path: Path) -> None:
    result = run_bot(tmp_path)
    assert result.returncode == 2
    assert one_line(result) == (
        "error: DISCORD_TOKEN is not set: put your bot token in the environment or in .env "
        "(see .env.example)"
    )
    assert not (tmp_path / "data").exists()  # nothing created before the token check


def test_malformed_setting_exits_2(tmp_path: Path) -> None:
    result = run_bot(tmp_path, DEFAULT_TIMEZONE="Nowhere/Land", DISCORD_TOKEN="x")
    assert result.returncode == 2
    assert one_line(result).startswith("error: DEFAULT_TIMEZONE is invalid")


def test_unsupported_database_exits_2(tmp_path: Path) -> None:
    result = run_bot(tmp_path, DISCORD_TOKEN="x", DATABASE_URL="mysql://root@localhost/x")
    assert result.returncode == 2
    assert "not supported" in one_line(result)


def test_unreachable_database(tmp_path: Path) -> None:
    result = run_bot(tmp_path, "migrate", DATABASE_URL="postgresql://u:hunter22@127.0.0.1:1/db")
    assert result.returncode == 2
    line = one_line(result)
    assert "cannot connect" in line and "hunter22" not in line


def test_migrate_creates_default_sqlite_database(tmp_path: Path) -> None:
    result = run_bot(tmp_path, "migrate")
    assert result.returncode == 0, result.stderr
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert result.stdout.strip() == f"database is at schema revision {head}"
    assert (tmp_path / "data" / "reading_group.db").exists()


async def test_newer_database_is_left_untouched(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    db = await Database.open(url)
    await db.migrate()
    async with db.engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = 'from_the_future'"))
    await db.close()
    before = (tmp_path / "bot.db").read_bytes()
    result = run_bot(tmp_path, "migrate", DATABASE_URL=url)
    assert result.returncode == 2
    assert "newer version of the bot" in one_line(result)
    assert (tmp_path / "bot.db").read_bytes() == before


@pytest.mark.parametrize("command", ["export", "import", "calendar"])
def test_offline_commands_need_a_guild(tmp_path: Path, command: str) -> None:
    result = run_bot(tmp_path, command)
    assert result.returncode == 2
    assert "--guild" in result.stderr


async def test_calendar_command_writes_an_ics_file(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from icalendar import Calendar

    from storage.models import ReadingSession

    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    db = await Database.open(url)
    await db.migrate()
    async with db.unit() as uow:
        await uow.sessions.add(
            ReadingSession(
                guild_id=42,
                starts_at=datetime(2025, 2, 6, 17, tzinfo=UTC),
                kind="special",
                title="Code Reading Group",
            )
        )
        await uow.sessions.add(
            ReadingSession(guild_id=43, starts_at=datetime(2025, 2, 6, 17, tzinfo=UTC), kind="tba")
        )
    await db.close()
    out = tmp_path / "group.ics"
    result = run_bot(tmp_path, "calendar", "--guild", "42", "--out", str(out), DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    events = list(Calendar.from_ical(out.read_bytes()).walk("VEVENT"))
    assert [str(e["summary"]) for e in events] == ["Code Reading Group"]
    unwritable = run_bot(
        tmp_path, "calendar", "--guild", "42", "--out", "/proc/x.ics", DATABASE_URL=url
    )
    assert unwritable.returncode == 1
    assert "cannot write" in one_line(unwritable)
