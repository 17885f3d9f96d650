"""The first start and every failure a user can cause on the command line: one line on
stderr, a documented exit status, never a traceback (real ``python -m bot`` processes)."""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.cli import _parser
from bot.settings import SettingsError, load_settings
from tests.conftest import SHARED_DIR
from tests.test_cli import REPO, one_line, run_bot

README = SHARED_DIR / "examples" / "schedule-readme.md"
SNOWFLAKE_MAX = 2**63 - 1


def shipped_env(tmp_path: Path, token: str = "abc.def.ghi") -> Path:
    """``cp .env.example .env`` and fill in only the token, as the README says."""
    text = (REPO / ".env.example").read_text(encoding="utf-8")
    assert "\nDISCORD_TOKEN=\n" in text
    env = tmp_path / ".env"
    env.write_text(text.replace("\nDISCORD_TOKEN=\n", f"\nDISCORD_TOKEN={token}\n"))
    return env


def test_env_example_as_shipped_with_only_the_token_is_valid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = (REPO / ".env.example").read_text(encoding="utf-8")
    for line in example.splitlines():  # nothing from this process's environment mixes in
        name = line.partition("=")[0]
        if line and not line.startswith("#"):
            monkeypatch.delenv(name, raising=False)
    settings = load_settings(env_file=shipped_env(tmp_path))
    assert settings.require_token() == "abc.def.ghi"
    # every empty `NAME=` of the file means "not set"
    assert settings.dev_guild_id is None
    assert settings.shard_count is None and settings.shard_ids is None
    assert settings.health_port is None
    assert settings.openai_api_key is None and settings.github_token is None
    assert settings.discord_api_base is None and settings.embeddings_model is None


def test_first_start_with_the_shipped_env_file(tmp_path: Path) -> None:
    shipped_env(tmp_path)
    result = run_bot(tmp_path, "migrate", LOG_LEVEL="WARNING")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("database is at schema revision")
    assert (tmp_path / "data" / "reading_group.db").exists()


def test_empty_values_mean_not_set_for_every_setting(tmp_path: Path) -> None:
    example = (REPO / ".env.example").read_text(encoding="utf-8")
    names = [
        line.partition("=")[0]
        for line in example.splitlines()
        if line and not line.startswith("#") and "=" in line
    ]
    env = tmp_path / "empty.env"
    env.write_text("".join(f"{name}=\n" for name in names))
    defaults = load_settings(env_file=tmp_path / "none.env")
    assert load_settings(env_file=env) == defaults


def test_a_missing_env_file_is_an_error(tmp_path: Path) -> None:
    result = run_bot(tmp_path, "--env-file", "prod.env", "migrate")
    assert result.returncode == 2
    assert one_line(result) == "error: --env-file prod.env: no such file"
    assert not (tmp_path / "data").exists()


def test_an_env_file_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "latin1.env").write_bytes(b"DISCORD_TOKEN=x\nLLM_MODEL=caf\xe9\n")
    result = run_bot(tmp_path, "--env-file", "latin1.env", "migrate")
    assert result.returncode == 2
    assert one_line(result) == "error: latin1.env is not UTF-8 text: save it again as UTF-8"
    with pytest.raises(SettingsError, match="is not UTF-8"):
        load_settings(env_file=tmp_path / "latin1.env")


@pytest.mark.parametrize("value", [str(SNOWFLAKE_MAX + 1), str(2**64), "0", "-1"])
@pytest.mark.parametrize("command", ["export", "calendar", "doctor", "sync"])
def test_server_ids_out_of_range_are_refused(tmp_path: Path, command: str, value: str) -> None:
    result = run_bot(tmp_path, command, "--guild", value)
    assert result.returncode == 2
    line = one_line(result)
    assert f"{value} is not a server id: ids are whole numbers from 1 to {SNOWFLAKE_MAX}" in line


def test_dev_guild_id_out_of_range_is_refused(tmp_path: Path) -> None:
    result = run_bot(tmp_path, "migrate", DEV_GUILD_ID=str(SNOWFLAKE_MAX + 1))
    assert result.returncode == 2
    assert one_line(result).startswith("error: DEV_GUILD_ID is invalid")


def test_every_subcommand_and_option_is_described() -> None:
    parser = _parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(commands.choices) >= {"run", "migrate", "sync", "export", "import", "calendar"}
    for name, sub in commands.choices.items():
        assert sub.description, f"{name} has no description"
        for action in sub._actions:
            assert action.help, f"{name} {action.option_strings or action.dest} has no help"
    for action in parser._actions:
        assert action.help, action.dest


def test_subcommand_help_shows_the_description(tmp_path: Path) -> None:
    result = run_bot(tmp_path, "export", "--help")
    assert result.returncode == 0
    assert "Write a server's schedule" in result.stdout
    assert "Copy Server ID" in " ".join(result.stdout.split())


def damaged_copy(tmp_path: Path, env: dict[str, str]) -> dict[str, str]:
    """A database with the group's schedule, and a copy with random bytes in its middle."""
    result = run_bot(tmp_path, "import", "--guild", "7", str(README), **env)
    assert result.returncode == 0, result.stderr
    data = bytearray((tmp_path / "bot.db").read_bytes())
    noise = random.Random(7)
    for i in range(len(data) // 4, 3 * len(data) // 4):
        data[i] = noise.randrange(256)
    (tmp_path / "damaged.db").write_bytes(bytes(data))
    return {**env, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'damaged.db'}"}


def test_a_damaged_database_file_is_named_with_what_to_do(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", "LOG_LEVEL": "WARNING"}
    damaged = damaged_copy(tmp_path, env)
    for command in (["export", "--guild", "7"], ["import", "--guild", "7", str(README)]):
        result = run_bot(tmp_path, *command, **damaged)
        assert result.returncode in (1, 2), result.stderr
        line = one_line(result)
        assert f"the database file {tmp_path / 'damaged.db'} is damaged" in line
        assert "restore your latest backup" in line and "python -m bot backup" in line
        assert "[parameters" not in line
    backup = run_bot(tmp_path, "backup", "--out", str(tmp_path / "copy.db"), **damaged)
    assert backup.returncode == 1
    line = one_line(backup)
    assert line.startswith(f"error: the database file {tmp_path / 'damaged.db'} is damaged (")
    assert line.endswith("stop the bot and restore an earlier backup to that path")


async def test_doctor_finds_a_damaged_database(tmp_path: Path) -> None:
    from bot.ops.doctor import FIX, database

    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", "LOG_LEVEL": "WARNING"}
    damaged = damaged_copy(tmp_path, env)
    check, schema = await database(
        load_settings(env_file=None, **{"database_url": damaged["DATABASE_URL"]})
    )
    assert check.status == FIX and schema is None
    assert f"the database file {tmp_path / 'damaged.db'} is damaged (" in check.detail


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    (tmp_path / "notes.db").write_bytes(random.Random(1).randbytes(8192))
    result = run_bot(
        tmp_path, "export", "--guild", "7", DATABASE_URL=f"sqlite:///{tmp_path / 'notes.db'}"
    )
    assert result.returncode == 2
    line = one_line(result)
    assert f"the database file {tmp_path / 'notes.db'} is damaged (file is not a database)" in line


def test_importing_an_endless_device_stops_at_the_limit(tmp_path: Path) -> None:
    result = run_bot(tmp_path, "import", "--guild", "7", "/dev/zero")
    assert result.returncode == 1
    assert one_line(result) == (
        "error: /dev/zero holds more than 64 MiB, the most an import reads (reading stopped "
        "there); nothing was imported"
    )
    directory = run_bot(tmp_path, "import", "--guild", "7", str(tmp_path))
    assert directory.returncode == 1
    assert one_line(directory) == f"error: {tmp_path} is a directory: name a markdown file"


def test_ctrl_c_while_import_waits_on_a_pipe(tmp_path: Path) -> None:
    fifo = tmp_path / "schedule.fifo"
    os.mkfifo(fifo)
    env = {k: v for k, v in os.environ.items() if k not in {"DISCORD_TOKEN", "DATABASE_URL"}}
    env["PYTHONPATH"] = str(REPO)
    child = subprocess.Popen(
        [sys.executable, "-m", "bot", "import", "--guild", "7", str(fifo)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    writer: list[int] = []
    # Opening the pipe for writing returns once the child opened it to read.
    opener = threading.Thread(target=lambda: writer.append(os.open(fifo, os.O_WRONLY)))
    opener.start()
    opener.join(timeout=30)
    try:
        assert writer, "the import never opened the pipe"
        os.write(writer[0], b"| Date | Paper |\n")  # a first part, then nothing
        child.send_signal(signal.SIGINT)
        stdout, stderr = child.communicate(timeout=30)
    finally:
        if writer:
            os.close(writer[0])
        child.kill()
    assert child.returncode == 130
    assert stdout == ""
    assert [line for line in stderr.splitlines() if line] == ["Interrupted: nothing was written"]
    assert not (tmp_path / "data").exists()


def test_export_and_calendar_of_a_server_without_data(tmp_path: Path) -> None:
    from icalendar import Calendar

    exported = run_bot(tmp_path, "export", "--guild", "99", LOG_LEVEL="WARNING")
    assert exported.returncode == 0
    assert one_line(exported) == (
        "server 99 has no sessions or reading list in this database (wrote an empty table): "
        "check the server id and DATABASE_URL"
    )
    assert "| Date | Paper | Authors | Code | Demo | Comments |" in exported.stdout
    calendar = run_bot(tmp_path, "calendar", "--guild", "99", LOG_LEVEL="WARNING")
    assert calendar.returncode == 0
    assert "has no sessions in this database (wrote a calendar without events)" in one_line(
        calendar
    )
    assert list(Calendar.from_ical(calendar.stdout).walk("VEVENT")) == []
