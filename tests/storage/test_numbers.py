"""Per-server numbers: each server counts its sessions, proposals and comments from 1, also
when rows are inserted at the same time, and the migration numbers existing rows."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from storage.db import Database
from storage.models import Comment, Paper, Proposal, ReadingSession

GUILD_A = 111_111_111_111_111_111
GUILD_B = 222_222_222_222_222_222
T0 = datetime(2025, 2, 7, 17, 0, tzinfo=UTC)


async def _add_session(db: Database, guild: int, hours: int) -> ReadingSession:
    async with db.unit() as uow:
        return await uow.sessions.add(
            ReadingSession(guild_id=guild, starts_at=T0 + timedelta(hours=hours))
        )


async def test_each_server_counts_from_one(db: Database) -> None:
    a1 = await _add_session(db, GUILD_A, 0)
    a2 = await _add_session(db, GUILD_A, 1)
    b1 = await _add_session(db, GUILD_B, 2)
    assert (a1.number, a2.number, b1.number) == (1, 2, 1)
    assert b1.id is not None and a2.id is not None and b1.id > a2.id  # ids stay global
    async with db.unit() as uow:
        paper_a = await uow.papers.add(Paper(guild_id=GUILD_A, ref_key="url:a", title="A"))
        paper_b = await uow.papers.add(Paper(guild_id=GUILD_B, ref_key="url:b", title="B"))
        pa = await uow.proposals.add(
            Proposal(guild_id=GUILD_A, paper_id=paper_a.id, proposer_id=1)  # type: ignore[arg-type]
        )
        pb = await uow.proposals.add(
            Proposal(guild_id=GUILD_B, paper_id=paper_b.id, proposer_id=1)  # type: ignore[arg-type]
        )
        ca, _ = await uow.comments.add(
            Comment(guild_id=GUILD_A, session_id=a1.id, text="a")  # type: ignore[arg-type]
        )
        cb, _ = await uow.comments.add(Comment(guild_id=GUILD_B, session_id=b1.id, text="b"))
        assert (pa.number, pb.number, ca.number, cb.number) == (1, 1, 1, 1)
    async with db.unit() as uow:
        found = await uow.sessions.by_number(GUILD_B, 1)
        assert found is not None and found.id == b1.id
        assert await uow.sessions.by_number(GUILD_B, 2) is None  # A's #2 is not B's
        assert (await uow.proposals.by_number(GUILD_B, 1)).id == pb.id  # type: ignore[union-attr]
        assert (await uow.comments.by_number(GUILD_A, 1)).id == ca.id  # type: ignore[union-attr]


async def test_concurrent_inserts_take_distinct_numbers(db: Database) -> None:
    """Many transactions adding to one server at once: 1..n, none twice, none failed."""
    await _add_session(db, GUILD_B, 0)  # another server's rows do not count

    async def add(hours: int) -> int:
        async with db.unit() as uow:
            await uow.guilds.get(GUILD_A)  # a read before the insert
            row = await uow.sessions.add(
                ReadingSession(guild_id=GUILD_A, starts_at=T0 + timedelta(hours=hours))
            )
            await asyncio.sleep(0)  # let the others run while this one holds its number
            return row.number

    numbers = await asyncio.gather(*(add(h) for h in range(1, 13)))
    assert sorted(numbers) == list(range(1, 13))


async def test_bulk_insert_continues_the_numbers(db: Database) -> None:
    await _add_session(db, GUILD_A, 0)
    async with db.unit() as uow:
        rows = [{"guild_id": GUILD_A, **_bulk_row(T0 + timedelta(days=d))} for d in (1, 2)]
        ids = await uow.markdown.insert_sessions(GUILD_A, rows)
    async with db.unit() as uow:
        got = [(await uow.sessions.get(GUILD_A, i)).number for i in ids.values()]  # type: ignore[union-attr]
    assert got == [2, 3]


def _bulk_row(starts: datetime) -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        "starts_at": starts,
        "duration_minutes": 60,
        "kind": "paper",
        "title": None,
        "notes": None,
        "block_name": None,
        "block_part": None,
        "continues_id": None,
        "presenter_id": None,
        "presenter_name": None,
        "status": "scheduled",
        "discord_event_id": None,
        "thread_id": None,
        "source": "import",
        "details": {},
        "created_by": None,
        "created_at": now,
        "updated_at": now,
    }


# ------------------------------------------------------------------------------ migration

PREVIOUS_HEAD = "0006_candidates"


async def _upgrade_with_data(url: str) -> None:
    """A database at the previous head with two servers' interleaved rows, upgraded."""
    db = await Database.open(url)
    try:
        await db.migrate(PREVIOUS_HEAD)
        async with db.engine.begin() as conn:
            for i, guild in enumerate([GUILD_A, GUILD_B, GUILD_A, GUILD_A, GUILD_B], start=1):
                await conn.execute(
                    text(
                        "INSERT INTO reading_sessions (id, guild_id, starts_at, duration_minutes,"
                        " kind, status, source, details, created_at, updated_at) VALUES (:id,"
                        " :g, :t, 60, 'paper', 'scheduled', 'command', '{}', :t, :t)"
                    ),
                    {"id": 10 * i, "g": guild, "t": T0 + timedelta(days=10 - i)},
                )
                await conn.execute(
                    text(
                        "INSERT INTO comments (id, guild_id, session_id, author_name, text,"
                        " pinned, source, created_at) VALUES (:id, :g, :s, '', 'c', false,"
                        " 'command', :t)"
                    ),
                    {"id": 7 * i, "g": guild, "s": 10 * i, "t": T0},
                )
            await conn.execute(
                text(
                    "INSERT INTO papers (id, guild_id, ref_key, title, authors, categories,"
                    " code_links, demo_links, links_edited, source, created_at, updated_at)"
                    " VALUES (1, :g, 'url:x', 'X', '[]', '[]', '[]', '[]', false, 'manual',"
                    " :t, :t)"
                ),
                {"g": GUILD_B, "t": T0},
            )
            for pid in (5, 3):
                await conn.execute(
                    text(
                        "INSERT INTO proposals (id, guild_id, paper_id, proposer_id, status,"
                        " created_at, updated_at) VALUES (:id, :g, 1, 1, 'open', :t, :t)"
                    ),
                    {"id": pid, "g": GUILD_B, "t": T0},
                )
        await db.migrate()
        async with db.unit() as uow:
            sessions = {
                (r.guild_id, r.id): r.number
                for r in [
                    await uow.sessions.get(g, 10 * i)
                    for i, g in enumerate([GUILD_A, GUILD_B, GUILD_A, GUILD_A, GUILD_B], 1)
                ]
                if r is not None
            }
            assert sessions == {
                (GUILD_A, 10): 1,
                (GUILD_B, 20): 1,
                (GUILD_A, 30): 2,
                (GUILD_A, 40): 3,
                (GUILD_B, 50): 2,
            }
            comments = [(await uow.comments.get(GUILD_B, i)) for i in (14, 35)]
            assert [c.number for c in comments if c is not None] == [1, 2]
            assert (await uow.proposals.get(GUILD_B, 3)).number == 1  # type: ignore[union-attr]
            assert (await uow.proposals.get(GUILD_B, 5)).number == 2  # type: ignore[union-attr]
            # Nothing was lost, and the next row continues each server's count.
            assert len(await uow.comments.for_session(GUILD_A, 40)) == 1
            new = await uow.sessions.add(
                ReadingSession(guild_id=GUILD_A, starts_at=T0 + timedelta(days=30))
            )
            assert new.number == 4
    finally:
        await db.close()


async def test_migration_numbers_existing_rows_sqlite(sqlite_url: str) -> None:
    await _upgrade_with_data(sqlite_url)


@pytest.mark.postgres
async def test_migration_numbers_existing_rows_postgres(postgres_database_factory) -> None:  # type: ignore[no-untyped-def]
    await _upgrade_with_data(postgres_database_factory())
