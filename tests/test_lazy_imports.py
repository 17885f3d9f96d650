"""Libraries a command may never need are loaded on first use, not at start."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Loaded by publishing to GitHub, the calendar file, the markdown import and PostgreSQL only.
NOT_AT_START = (
    "githubkit",
    "icalendar",
    "bot.markdown.importer",
    "bot.markdown.parse",
    "sqlalchemy.dialects.postgresql",  # on SQLite
)

START = """
import asyncio, sys
from bot.app import discover_extensions
from bot.container import Services
from bot.settings import Settings
from storage.db import Database

async def main(url):
    discover_extensions()  # every cog module, as the bot loads them
    db = await Database.open(url)
    services = Services(Settings(_env_file=None, discord_token="x", database_url=url), db)
    services.subscribers()  # the services the bot connects at start
    await db.close()

asyncio.run(main(sys.argv[1]))
print(" ".join(sorted(sys.modules)))
"""

EXPORT = """
import atexit, runpy, sys
atexit.register(lambda: print(" ".join(sorted(sys.modules))))
sys.argv = ["bot", "export", "--guild", "1", "--out", sys.argv[1]]
runpy.run_module("bot", run_name="__main__", alter_sys=True)
"""


def _loaded(output: str, names: tuple[str, ...]) -> list[str]:
    modules = output.split()
    return [n for n in names if any(m == n or m.startswith(f"{n}.") for m in modules)]


def test_the_bot_starts_without_the_publishing_calendar_and_import_libraries(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'start.db'}"
    done = subprocess.run(
        [sys.executable, "-c", START, url], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert _loaded(done.stdout, NOT_AT_START) == []
    assert _loaded(done.stdout, ("bot.publish.auto", "bot.candidates.service")) == [
        "bot.publish.auto",
        "bot.candidates.service",
    ]


def test_the_export_command_loads_neither_github_nor_the_importer(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}", "PATH": ""}
    subprocess.run(
        [sys.executable, "-m", "bot", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    out = tmp_path / "schedule.md"
    done = subprocess.run(
        [sys.executable, "-c", EXPORT, str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.exists()
    loaded = _loaded(done.stdout, (*NOT_AT_START, "tenacity", "bot.candidates", "discord"))
    assert loaded == []


GC_STATE = """
import gc, runpy, sys
import bot.cli

def report(argv=None):
    print(gc.isenabled(), gc.get_freeze_count())
    return 0

bot.cli.main = report  # the command line itself, replaced once the modules are loaded
sys.argv = ["bot", "--help"]
runpy.run_module("bot", run_name="__main__", alter_sys=True)
"""


def test_the_command_line_freezes_what_start_up_loaded_and_collects_after(
    tmp_path: Path,
) -> None:
    # The objects the libraries and models leave behind are kept out of every later
    # collection (and the one at exit); the collector runs as usual for the command.
    done = subprocess.run(
        [sys.executable, "-c", GC_STATE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    enabled, frozen = done.stdout.split()
    assert enabled == "True"
    assert int(frozen) > 10_000
