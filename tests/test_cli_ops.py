"""Operations commands: copy-db (verified, one transaction), backup, healthcheck."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.cli import main
from bot.container import Services
from bot.ops import copydb
from bot.settings import Settings
from storage.db import Database
from storage.models import (
    BotState,
    Comment,
    Proposal,
    ReadingSession,
    ReminderDelivery,
    Summary,
    Vote,
)
from tests.conftest import SHARED_DIR

README = (SHARED_DIR / "examples" / "schedule-readme.md").read_text(encoding="utf-8")
GUILDS = (111111111111111111, 222222222222222222)
NOW = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


async def fill(url: str) -> dict[str, int]:
    """A realistic database: the group's README imported into two servers, plus comments,
    proposals with votes, a summary, the reminder ledger and bot state."""
    db = await Database.open(url)
    await db.migrate()
    services = Services(settings=Settings(_env_file=None, database_url=url), db=db)  # type: ignore[call-arg]
    try:
        for guild_id in GUILDS:
            report = await services.markdown.import_text(guild_id, README)
            assert report.created
        async with db.unit() as uow:
            session = (
                await uow.tx.execute(
                    select(ReadingSession).where(ReadingSession.guild_id == GUILDS[0]).limit(1)
                )
            ).scalar_one()
            await uow.comments.add(
                Comment(guild_id=GUILDS[0], session_id=session.id, author_name="max", text="Why?")
            )
            from storage.models import Paper

            paper = (await uow.tx.execute(select(Paper).limit(1))).scalar_one()
            proposal = Proposal(guild_id=paper.guild_id, paper_id=paper.id, proposer_id=42)
            await uow.proposals.add(proposal)
            uow.tx.add(Vote(proposal_id=proposal.id, user_id=43, guild_id=paper.guild_id))
            uow.tx.add(
                Summary(
                    guild_id=GUILDS[0],
                    session_id=session.id,
                    model="m",
                    input_hash="h" * 64,
                    summary="s",
                    key_points=["a", "b"],
                    open_questions=["q?"],
                )
            )
            uow.tx.add(
                ReminderDelivery(
                    guild_id=GUILDS[0],
                    session_id=session.id,
                    kind="lead:60",
                    due_at=NOW,
                    dedupe_key="lead:60:s1:x",
                    status="sent",
                    sent_at=NOW + timedelta(seconds=1),
                )
            )
            uow.tx.add(BotState(key="command_tree_hash", value="global:abc"))
        async with db.engine.connect() as conn:
            return await copydb._counts(conn)
    finally:
        await db.close()


async def exports(url: str) -> dict[int, bytes]:
    db = await Database.open(url)
    try:
        services = Services(settings=Settings(_env_file=None, database_url=url), db=db)  # type: ignore[call-arg]
        return {g: (await services.markdown.export(g)).data for g in GUILDS}
    finally:
        await db.close()


async def run_cli(monkeypatch: pytest.MonkeyPatch, url: str, *args: str) -> int:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    return await asyncio.to_thread(main, ["--env-file", "/nonexistent", *args])


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def target_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'target.db'}"
    return request.getfixturevalue("postgres_database_factory")()  # type: ignore[no-any-return]


async def test_copy_db_copies_every_row_and_verifies_the_exports(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, target_url: str, capsys: Any
) -> None:
    source = f"sqlite+aiosqlite:///{tmp_path / 'source.db'}"
    counts = await fill(source)
    before = await exports(source)
    assert await run_cli(monkeypatch, source, "copy-db", "--to", target_url) == 0
    out = capsys.readouterr()
    assert "markdown export of 2 servers are identical" in out.out

    target = await Database.open(target_url)
    try:
        async with target.engine.connect() as conn:
            assert await copydb._counts(conn) == counts
        filled = (
            "guild_settings", "reading_sessions", "papers", "session_papers", "comments",
            "proposals", "votes", "summaries", "reading_topics", "reading_items",
            "reminder_deliveries", "bot_state",
        )  # fmt: skip
        assert all(counts[name] > 0 for name in filled), counts
        # The copy keeps ids and links (Continue rows point at their session, topics nest),
        # and new rows get new ids (PostgreSQL's sequences moved past the copied ones).
        async with target.unit() as uow:
            row = ReadingSession(guild_id=333333333333333333, starts_at=NOW, kind="tba")
            await uow.sessions.add(row)
            assert row.id is not None and row.id > counts["reading_sessions"]
            continued = await uow.tx.scalar(
                select(func.count()).where(ReadingSession.continues_id.is_not(None))  # type: ignore[union-attr]
            )
            assert continued
    finally:
        await target.close()
    assert await exports(target_url) == before

    # A second copy into the same (now full) database is refused and writes nothing.
    assert await run_cli(monkeypatch, source, "copy-db", "--to", target_url) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: the target database is not empty")


async def test_a_copy_that_does_not_verify_is_rolled_back(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any
) -> None:
    source = f"sqlite+aiosqlite:///{tmp_path / 'source.db'}"
    target_url = f"sqlite+aiosqlite:///{tmp_path / 'target.db'}"
    await fill(source)
    real = copydb.insert_rows

    async def lose_a_paper(conn: Any, table: Any, rows: Any, **options: Any) -> int:
        rows = list(rows)
        if table.name == "session_papers":
            rows = rows[:-1]  # a copy that silently drops a row
        return await real(conn, table, rows, **options)

    monkeypatch.setattr(copydb, "insert_rows", lose_a_paper)
    assert await run_cli(monkeypatch, source, "copy-db", "--to", target_url) == 1
    assert "verification failed: session_papers has" in capsys.readouterr().err
    target = await Database.open(target_url)
    try:
        async with target.engine.connect() as conn:
            assert set((await copydb._counts(conn)).values()) == {0}
    finally:
        await target.close()


async def test_copy_db_refuses_an_unreachable_target(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any
) -> None:
    source = f"sqlite+aiosqlite:///{tmp_path / 'source.db'}"
    code = await run_cli(
        monkeypatch, source, "copy-db", "--to", "postgresql+asyncpg://nobody@127.0.0.1:1/none"
    )
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: --to: cannot connect to the database")
    assert "Traceback" not in "\n".join(err)


async def test_backup_is_a_consistent_copy(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any
) -> None:
    source = f"sqlite+aiosqlite:///{tmp_path / 'source.db'}"
    counts = await fill(source)
    out = tmp_path / "backup.db"
    assert await run_cli(monkeypatch, source, "backup", "--out", str(out)) == 0
    copy = sqlite3.connect(out)
    try:
        assert (
            copy.execute("SELECT count(*) FROM reading_sessions").fetchone()[0]
            == (counts["reading_sessions"])
        )
    finally:
        copy.close()
    assert await run_cli(monkeypatch, source, "backup", "--out", str(out)) == 1
    assert "exists already" in capsys.readouterr().err


async def test_backup_of_postgresql_points_to_pg_dump(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any
) -> None:
    url = "postgresql+asyncpg://nobody@127.0.0.1:1/none"
    assert await run_cli(monkeypatch, url, "backup", "--out", str(tmp_path / "x")) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pg_dump" in err[0]


async def test_healthcheck_without_health_port_succeeds(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any
) -> None:
    monkeypatch.delenv("HEALTH_PORT", raising=False)
    assert (
        await run_cli(monkeypatch, f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", "healthcheck") == 0
    )
