"""Pages of the schedule are read from the database on every call: they match the schedule
computed by hand from every row, and a change made by another process shows at once."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.events import EventBus
from bot.schedule.drafts import SessionDraft
from bot.schedule.service import ScheduleService
from storage.db import Database
from storage.models import ReadingSession, SessionStatus
from tests.harness.clock import FakeClock

GUILD = 77
NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)


async def _fill(db: Database, count: int, seed: int) -> list[ReadingSession]:
    rng = random.Random(seed)
    rows = []
    async with db.unit() as uow:
        for i in range(count):
            rows.append(
                await uow.sessions.add(
                    ReadingSession(
                        guild_id=GUILD,
                        starts_at=NOW + timedelta(hours=rng.randint(-24 * 60, 24 * 60)),
                        duration_minutes=rng.choice([30, 60, 90, 180]),
                        kind="block_part" if i % 7 == 0 else "special",
                        block_name="RLHF Block" if i % 7 == 0 else None,
                        block_part=i // 7 + 1 if i % 7 == 0 else None,
                        title=f"s{i}",
                        status=SessionStatus.CANCELLED
                        if rng.random() < 0.1
                        else SessionStatus.SCHEDULED,
                    )
                )
            )
    return rows


def _expected(rows: list[ReadingSession], scope: str, now: datetime) -> list[int]:
    """The ids a scope lists, in order, computed from every row."""
    live = [r for r in rows if r.status == SessionStatus.SCHEDULED]
    live.sort(key=lambda r: (r.starts_at, r.id))
    if scope == "past":
        return [r.id for r in reversed(live) if r.starts_at <= now]  # type: ignore[misc]
    if scope == "all":
        return [r.id for r in live]  # type: ignore[misc]
    running = [
        r for r in live if r.starts_at <= now < r.starts_at + timedelta(minutes=r.duration_minutes)
    ]
    return [r.id for r in running + [r for r in live if r.starts_at > now]]  # type: ignore[misc]


@pytest.mark.parametrize("seed", [1, 2])
async def test_pages_match_the_schedule_computed_from_every_row(
    sqlite_db: Database, seed: int
) -> None:
    rows = await _fill(sqlite_db, 200, seed)
    clock = FakeClock(NOW)
    service = ScheduleService(sqlite_db, EventBus(), clock)
    rng = random.Random(seed)
    for _ in range(12):
        clock.set(NOW + timedelta(minutes=rng.randint(-24 * 60 * 70, 24 * 60 * 70)))
        per_page = rng.randint(1, 25)
        for scope in ("upcoming", "past", "all"):
            expected = _expected(rows, scope, clock.now())
            pages = max(1, -(-len(expected) // per_page))
            number = rng.randint(0, pages + 2)  # past the end shows the last page
            page = await service.page(GUILD, scope=scope, number=number, per_page=per_page)
            shown = min(number, pages - 1)
            assert page.total == len(expected)
            assert (page.number, page.pages) == (shown, pages)
            assert [v.id for v in page.items] == expected[shown * per_page : (shown + 1) * per_page]
        upcoming = _expected(rows, "upcoming", clock.now())
        nxt = await service.next(GUILD)
        assert (nxt.id if nxt else None) == (upcoming[0] if upcoming else None)
    block = await service.page(GUILD, block="rlhf block.", per_page=50)
    parts = [r for r in rows if r.block_name and r.status == SessionStatus.SCHEDULED]
    assert [v.id for v in block.items] == [
        r.id for r in sorted(parts, key=lambda r: (r.block_part, r.starts_at))
    ]


async def test_changes_by_another_process_show_at_once(sqlite_db: Database) -> None:
    async with sqlite_db.unit() as uow:
        await uow.guilds.update(GUILD, timezone="UTC")
    reader = ScheduleService(sqlite_db, EventBus(), FakeClock(NOW))
    writer = ScheduleService(sqlite_db, EventBus(), FakeClock(NOW))
    assert (await reader.page(GUILD)).total == 0
    added = await writer.add(
        GUILD, SessionDraft(date_text="2025-03-06 18:00", kind="tba"), actor_id=1
    )
    assert [v.id for v in (await reader.page(GUILD)).items] == [added.id]
    assert (await reader.next(GUILD)).id == added.id  # type: ignore[union-attr]
    await writer.cancel(GUILD, added.id, actor_id=1)
    assert (await reader.page(GUILD)).total == 0
    assert (await reader.get(GUILD, added.id)).session.status == SessionStatus.CANCELLED
