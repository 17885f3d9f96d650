"""Instance slots: a restart in the dead instance's slot takes its claims over at once.

On a real database of each backend (SQLite: a file lock beside the database file;
PostgreSQL: a session advisory lock). Releasing a slot stands for the process dying: the
kernel drops the file lock, and PostgreSQL the advisory lock, when it does.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.container import Services
from bot.reminders.delivery import LEASE
from bot.reminders.owner import REMINDER_SLOTS, ClaimOwner
from bot.reminders.plan import lead_key
from bot.schedule.drafts import SessionDraft
from bot.settings import Settings
from storage.db import Database
from storage.models import DeliveryStatus
from tests.harness.clock import FakeClock
from tests.harness.reminders import Crash, MemoryChannels

GUILD = 700_000_000_000_000_001
CHANNEL = 710_000_000_000_000_001
NOW = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
SESSION_START = datetime(2025, 1, 9, 17, 0, tzinfo=UTC)  # Thursday 18:00 in Berlin
DUE = SESSION_START - timedelta(hours=1)


def _services(db: Database, clock: FakeClock, channels: MemoryChannels) -> Services:
    settings = Settings(_env_file=None, default_timezone="Europe/Berlin")
    services = Services(settings=settings, db=db, clock=clock)
    services.reminders.attach(channels)
    return services


async def _crashed_claim(db: Database, clock: FakeClock, channels: MemoryChannels) -> Services:
    """An instance in its slot claims the reminder and dies before posting it."""
    services = _services(db, clock, channels)
    assert await services.reminders.hold_slot() == "slot-0"
    await services.guilds.update(
        GUILD, announcement_channel_id=CHANNEL, timezone="Europe/Berlin", lead_times_minutes=[60]
    )
    await services.schedule.add(
        GUILD,
        SessionDraft(date_text="2025-01-09", time_text="18:00", kind="special", title="Talk"),
        actor_id=None,
    )
    clock.set(DUE)
    channels.crash_before_post = True
    with pytest.raises(Crash):
        await services.reminders.run_due()
    return services


async def test_a_restart_in_the_same_slot_takes_its_claim_over_at_once(db: Database) -> None:
    clock = FakeClock(NOW)
    channels = MemoryChannels(clock)
    dead = await _crashed_claim(db, clock, channels)
    await dead.reminders.release_slot()  # the process died

    restarted = _services(db, clock, channels)
    try:
        assert await restarted.reminders.hold_slot() == "slot-0"
        await restarted.reminders.rebuild()
        assert restarted.reminders.next_wake() == DUE  # not after the lease
        outcomes = await restarted.reminders.run_due()
        assert [o.result for o in outcomes] == ["sent"]
        assert channels.lookups == 1  # it looked for an earlier post first
        assert len(channels.posts) == 1
        assert await restarted.reminders.run_due() == []
        async with db.unit() as uow:
            row = await uow.reminders.get(GUILD, lead_key(60, 1, DUE))
        assert row is not None and row.status == DeliveryStatus.SENT and row.attempts == 2
    finally:
        await restarted.reminders.release_slot()


async def test_a_live_instance_keeps_its_slot_and_its_claim(db: Database) -> None:
    clock = FakeClock(NOW)
    channels = MemoryChannels(clock)
    alive = await _crashed_claim(db, clock, channels)  # stuck, but its process still runs
    other = _services(db, clock, channels)
    try:
        assert await other.reminders.hold_slot() == "slot-1"
        await other.reminders.rebuild()
        assert await other.reminders.run_due() == []
        assert channels.posts == []
        clock.advance(LEASE + timedelta(seconds=2))
        assert [o.result for o in await other.reminders.run_due()] == ["sent"]
        assert len(channels.posts) == 1
    finally:
        await other.reminders.release_slot()
        await alive.reminders.release_slot()


def test_a_claim_is_our_own_only_in_our_slot_and_another_run() -> None:
    owner = ClaimOwner("host:2:b", "slot-3")
    assert owner.name == "slot-3/host:2:b"
    assert owner.is_earlier_self("slot-3/host:1:a")
    assert not owner.is_earlier_self("slot-3/host:2:b")  # this run's own live claim
    assert not owner.is_earlier_self("slot-31/host:1:a")
    assert not owner.is_earlier_self("host:1:a")
    assert not owner.is_earlier_self(None)
    assert not ClaimOwner("host:2:b").is_earlier_self("host:1:a")  # no slot: leases only


@pytest.mark.postgres
async def test_a_slot_lost_with_its_connection_is_taken_again(
    shared_postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    db = await Database.open(shared_postgres_url)
    clock = FakeClock(NOW)
    services = _services(db, clock, MemoryChannels(clock))
    try:
        await db.migrate()
        assert await services.reminders.hold_slot() == "slot-0"
        async with db.engine.connect() as conn:  # the server cuts the slot's connection
            await conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                f"AND classid = {REMINDER_SLOTS} AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        slot = services.reminders._slot
        assert slot is not None and not await slot.held()
        await services.reminders.run_due()
        assert "instance slot slot-0 was lost" in caplog.text
        renewed = services.reminders._slot
        assert renewed is not None and renewed.name == "slot-0" and await renewed.held()
    finally:
        await services.reminders.release_slot()
        await db.close()
