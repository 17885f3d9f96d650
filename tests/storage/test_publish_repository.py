"""Pending publishes on each backend: noted once, claimed by one, due again after a change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.db import Database

GUILD = 7
T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


async def test_pending_publish_life_cycle(db: Database) -> None:
    async with db.unit() as uow:
        await uow.publish.save(GUILD, repository="lab/rg")
        assert await uow.publish.request(GUILD, T0, T0 + 10 * MINUTE) is None  # auto is off
        await uow.publish.save(GUILD, auto=True)
        assert await uow.publish.request(GUILD, T0, T0 + 10 * MINUTE) == T0 + 10 * MINUTE
        # a later change rides along with the pending publish
        assert await uow.publish.request(GUILD, T0 + MINUTE, T0 + 11 * MINUTE) == T0 + 10 * MINUTE
        assert await uow.publish.next_due() == T0 + 10 * MINUTE
        assert await uow.publish.due(T0 + 9 * MINUTE) == []

    now = T0 + 10 * MINUTE
    async with db.unit() as uow:
        assert await uow.publish.due(now) == [GUILD]
        assert await uow.publish.claim(GUILD, now, now + 5 * MINUTE)
    async with db.unit() as uow:
        assert not await uow.publish.claim(GUILD, now, now + 5 * MINUTE)  # taken
        assert await uow.publish.due(now) == []
        await uow.publish.request(GUILD, now + MINUTE, now + 11 * MINUTE)  # during the publish
        await uow.publish.finish(GUILD, started_at=now, again_at=now + 12 * MINUTE, failures=0)
        target = await uow.publish.get(GUILD)
        assert target is not None and target.due_at == now + 12 * MINUTE
        assert target.lease_until is None

    later = now + 12 * MINUTE
    async with db.unit() as uow:
        assert await uow.publish.claim(GUILD, later, later + 5 * MINUTE)
        await uow.publish.postpone(GUILD, later + 30 * MINUTE, "rate limited")
        target = await uow.publish.get(GUILD)
        assert target is not None and target.failures == 1 and target.last_error == "rate limited"
        assert target.due_at == later + 30 * MINUTE and target.lease_until is None
        assert await uow.publish.claim(GUILD, later + 30 * MINUTE, later + 35 * MINUTE)
        await uow.publish.finish(GUILD, started_at=later + 30 * MINUTE, again_at=later)
        target = await uow.publish.get(GUILD)
        assert target is not None and target.due_at is None  # nothing changed meanwhile
        assert await uow.publish.delete(GUILD)
        assert await uow.publish.next_due() is None
