"""Read units: short indexed reads that see every committed change and write nothing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text

from storage.db import Database
from storage.models import ReadingSession

NOW = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


async def _add(db: Database, title: str, days: int) -> int:
    async with db.unit() as uow:
        row = await uow.sessions.add(
            ReadingSession(guild_id=1, starts_at=NOW + timedelta(days=days), title=title)
        )
        assert row.id is not None
        return row.id


async def test_a_read_sees_what_was_just_committed(db: Database) -> None:
    first = await _add(db, "First", 1)
    async with db.read() as uow:
        rows, total = await uow.sessions.page(1, NOW, "upcoming", limit=10, offset=0)
    assert [r.id for r in rows] == [first] and total == 1

    async with db.unit() as uow:
        row = await uow.sessions.get(1, first)
        assert row is not None
        row.title = "Renamed"
    second = await _add(db, "Second", 2)
    async with db.read() as uow:
        rows, total = await uow.sessions.page(1, NOW, "upcoming", limit=10, offset=0)
        one = await uow.sessions.get(1, first)
    assert [(r.id, r.title) for r in rows] == [(first, "Renamed"), (second, "Second")]
    assert total == 2 and one is not None and one.title == "Renamed"


async def test_an_sqlite_read_runs_on_the_calling_thread_and_cannot_write(
    sqlite_db: Database,
) -> None:
    await _add(sqlite_db, "First", 1)
    threads: list[int] = []
    async with sqlite_db.read():
        pass
    reader = sqlite_db._reader
    assert reader is not None

    def seen(*_args: Any) -> None:
        threads.append(threading.get_ident())

    event.listen(reader, "before_cursor_execute", seen)
    async with sqlite_db.read() as uow:
        rows, _ = await uow.sessions.page(1, NOW, "all", limit=10, offset=0)
        assert len(rows) == 1
        with pytest.raises(Exception, match="readonly"):
            await uow.tx.execute(text("DELETE FROM reading_sessions"))
    assert threads and set(threads) == {threading.get_ident()}
    async with sqlite_db.unit() as uow:
        assert (await uow.sessions.page(1, NOW, "all", limit=10, offset=0))[1] == 1


async def test_upcoming_keeps_the_session_in_progress_until_it_ends(db: Database) -> None:
    async with db.unit() as uow:
        for title, hours, minutes in (("Ended", -3, 120), ("Running", -1, 90), ("Next", 24, 60)):
            await uow.sessions.add(
                ReadingSession(
                    guild_id=1,
                    starts_at=NOW + timedelta(hours=hours),
                    duration_minutes=minutes,
                    title=title,
                )
            )
    for now, expected in (
        (NOW, ["Running", "Next"]),
        (NOW + timedelta(minutes=29), ["Running", "Next"]),
        (NOW + timedelta(minutes=30), ["Next"]),  # ends exactly now: no longer upcoming
    ):
        async with db.read() as uow:
            rows, total = await uow.sessions.page(1, now, "upcoming", limit=10, offset=0)
            first, _ = await uow.sessions.page(1, now, "upcoming", limit=1, offset=0)
        assert [r.title for r in rows] == expected and total == len(expected)
        assert [r.title for r in first] == expected[:1]


async def test_a_failing_read_does_not_carry_what_a_member_typed(db: Database) -> None:
    """Errors of reads end up in logs: their statement values stay hidden, as for writes."""
    secret = "a search only its member should see"
    with pytest.raises(Exception) as raised:  # the backend decides the type
        async with db.read() as uow:
            await uow.tx.execute(
                text("SELECT no_such_column FROM reading_sessions WHERE title = :t"), {"t": secret}
            )
    assert secret not in str(raised.value)
