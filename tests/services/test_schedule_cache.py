"""The in-memory schedule snapshot answers exactly like the database and never goes stale
for changes made in the same process."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.events import EventBus
from bot.schedule.cache import Snapshot, SnapshotCache
from bot.schedule.service import ScheduleService, SessionDraft
from storage.db import Database
from storage.models import ReadingSession, SessionStatus
from tests.harness.clock import FakeClock

GUILD = 77
NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)


async def _fill(db: Database, count: int, seed: int) -> None:
    rng = random.Random(seed)
    async with db.unit() as uow:
        for i in range(count):
            starts = NOW + timedelta(hours=rng.randint(-24 * 60, 24 * 60))
            await uow.sessions.add(
                ReadingSession(
                    guild_id=GUILD,
                    starts_at=starts,
                    duration_minutes=rng.choice([30, 60, 90, 180]),
                    kind="special",
                    title=f"s{i}",
                    status=SessionStatus.CANCELLED
                    if rng.random() < 0.1
                    else SessionStatus.SCHEDULED,
                )
            )


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_snapshot_pages_match_the_database(sqlite_db: Database, seed: int) -> None:
    await _fill(sqlite_db, 300, seed)
    service = ScheduleService(sqlite_db, EventBus(), FakeClock(NOW))
    snapshot = await service.cache.get(GUILD)
    rng = random.Random(seed)
    for _ in range(40):
        now = NOW + timedelta(minutes=rng.randint(-24 * 60 * 70, 24 * 60 * 70))
        offset, limit = rng.randint(0, 320), rng.randint(1, 25)
        async with sqlite_db.unit() as uow:
            db_up = await uow.sessions.upcoming(GUILD, now, limit=limit, offset=offset)
            db_up_total = await uow.sessions.count_upcoming(GUILD, now)
            db_past = await uow.sessions.past(GUILD, now, limit=limit, offset=offset)
            db_past_total = await uow.sessions.count_past(GUILD, now)
            db_all = await uow.sessions.all(GUILD, limit=limit, offset=offset)
            db_running = await uow.sessions.running(GUILD, now)
        up, up_total = snapshot.upcoming(now, offset, limit)
        past, past_total = snapshot.past(now, offset, limit)
        everything, _ = snapshot.everything(offset, limit)
        assert [v.id for v in up] == [r.id for r in db_up]
        assert up_total == db_up_total
        assert [v.id for v in past] == [r.id for r in db_past]
        assert past_total == db_past_total
        assert [v.id for v in everything] == [r.id for r in db_all]
        assert [v.id for v in snapshot.running(now)] == [r.id for r in db_running]


async def test_writes_in_this_process_are_seen_at_once(sqlite_db: Database) -> None:
    async with sqlite_db.unit() as uow:
        await uow.guilds.update(GUILD, timezone="UTC")
    service = ScheduleService(sqlite_db, EventBus(), FakeClock(NOW), cache_seconds=3600)
    assert (await service.page(GUILD)).total == 0
    view = await service.add(
        GUILD, SessionDraft(date_text="2025-03-06", time_text="18:00", kind="tba"), actor_id=1
    )
    assert [v.id for v in (await service.page(GUILD)).items] == [view.id]
    await service.cancel(GUILD, view.id, actor_id=1)
    assert (await service.page(GUILD)).total == 0
    assert (await service.get(GUILD, view.id)).session.status == SessionStatus.CANCELLED


async def test_changes_by_another_process_show_after_max_age(sqlite_db: Database) -> None:
    async with sqlite_db.unit() as uow:
        await uow.guilds.update(GUILD, timezone="UTC")
    reader = ScheduleService(sqlite_db, EventBus(), FakeClock(NOW), cache_seconds=3600)
    writer = ScheduleService(sqlite_db, EventBus(), FakeClock(NOW))
    assert (await reader.page(GUILD)).total == 0
    await writer.add(GUILD, SessionDraft(date_text="2025-03-06 18:00", kind="tba"), actor_id=1)
    assert (await reader.page(GUILD)).total == 0  # still the snapshot: documented staleness
    reader.invalidate(GUILD)
    assert (await reader.page(GUILD)).total == 1
    eager = ScheduleService(sqlite_db, EventBus(), FakeClock(NOW), cache_seconds=0)
    await eager.page(GUILD)
    await writer.add(GUILD, SessionDraft(date_text="2025-03-13 18:00", kind="tba"), actor_id=1)
    assert (await eager.page(GUILD)).total == 2


async def test_a_load_overtaken_by_an_invalidation_is_not_kept() -> None:
    release = asyncio.Event()
    loads = 0

    async def loader(guild_id: int) -> Snapshot:
        nonlocal loads
        loads += 1
        if loads == 1:
            await release.wait()
        return Snapshot.of([])

    cache = SnapshotCache(loader, max_age=3600)
    first = asyncio.create_task(cache.get(GUILD))
    await asyncio.sleep(0)  # let the first load start and block
    cache.invalidate(GUILD)
    release.set()
    await first
    assert cache.fresh(GUILD) is None  # the stale load was dropped
    await cache.get(GUILD)
    assert loads == 2
    assert cache.fresh(GUILD) is not None
