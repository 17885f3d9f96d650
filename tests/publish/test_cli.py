"""``python -m bot publish`` against the loopback GitHub: the diff, then one commit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.container import Services
from bot.schedule.drafts import SessionDraft
from bot.settings import Settings
from storage.db import Database
from tests.harness.github import FakeGitHub
from tests.publish.conftest import GUILD, HAND_WRITTEN


async def _run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str, **env: str
) -> tuple[int, str, str]:
    """``python -m bot ARGS`` in a worker thread (its own event loop, as from a shell) while
    the fake GitHub keeps serving on this one."""
    for name in ("GITHUB_TOKEN", "GITHUB_API_URL", "DISCORD_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {**env, "LOG_LEVEL": "WARNING"}.items():
        monkeypatch.setenv(name, value)
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        status = await asyncio.to_thread(main, ["--env-file", "/dev/null", *args])
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
async def enterprise() -> AsyncIterator[FakeGitHub]:
    """GitHub Enterprise Server's layout: the API under /api/v3."""
    async with FakeGitHub(prefix="/api/v3") as fake:
        yield fake
        assert fake.violations == []


async def test_dry_run_then_publish(
    tmp_path: Path,
    enterprise: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake_github = enterprise
    assert fake_github.api_url.endswith("/api/v3")
    repo = fake_github.add_repo("lab/reading-group", files={"README.md": HAND_WRITTEN})
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    db = await Database.open(url)
    await db.migrate()
    services = Services(settings=Settings(_env_file=None), db=db)  # type: ignore[call-arg]
    await services.guilds.update(GUILD, timezone="Europe/Berlin")
    await services.schedule.add(
        GUILD,
        SessionDraft(
            date_text="2030-02-06", time_text="18:00", kind="special", title="Code Reading Group"
        ),
        actor_id=None,
    )
    await services.publish.configure(GUILD, repository="lab/reading-group")
    await db.close()
    env = {
        "DATABASE_URL": url,
        "GITHUB_TOKEN": fake_github.token,
        "GITHUB_API_URL": fake_github.api_url,
    }
    head = repo.branches["main"]

    status, out, err = await _run(
        monkeypatch, capsys, "publish", "--guild", str(GUILD), "--dry-run", **env
    )
    assert status == 0, err
    assert err.strip() == (
        "README.md has no reading-group markers yet: the schedule goes at the end "
        "(choose with --place start|end|after:HEADING)"
    )
    assert out.startswith(
        "lab/reading-group (main) · README.md: the schedule section is added at the end"
    )
    assert "+| 06.02.2030 | Code Reading Group |  |  |  |  |" in out
    assert out.rstrip().endswith("dry run: nothing was published")
    assert repo.branches["main"] == head

    status, out, err = await _run(
        monkeypatch, capsys, "publish", "--guild", str(GUILD), "--place", "after:How to join", **env
    )
    assert status == 0, err
    assert out.rstrip().endswith(
        f"Published to lab/reading-group (main): {repo.html_url}/commit/{repo.branches['main']}"
    )
    assert "Published by python -m bot publish" in repo.commits[repo.branches["main"]].message
    readme = (repo.file("README.md") or b"").decode()
    assert readme.index("## How to join") < readme.index("<!-- reading-group:start -->")
    assert fake_github.token not in out + err

    status, out, err = await _run(
        monkeypatch, capsys, "publish", "--guild", str(GUILD), **{**env, "GITHUB_TOKEN": ""}
    )
    assert status == 2 and err.strip().startswith(
        "error: Publishing to GitHub is off: the bot has no GITHUB_TOKEN"
    )
    status, out, err = await _run(
        monkeypatch,
        capsys,
        "publish",
        "--guild",
        str(GUILD),
        **{**env, "GITHUB_TOKEN": "ghp_" + "x" * 36},
    )
    assert status == 1 and err.strip().startswith(
        "error: GitHub rejected GITHUB_TOKEN (401 Bad credentials)"
    )
    assert "Traceback" not in err and "ghp_xxxx" not in err
