"""Start-up rebuild of reminders: 1,000 servers × 50 sessions, in one pass.

At start the bot plans every server's reminders from the database
(``ReminderService.rebuild``) and arms one scheduler job at the earliest due time. This
measures that rebuild on SQLite (and PostgreSQL at 127.0.0.1:5432 when it answers), counts
its SQL statements with a ``before_cursor_execute`` listener, and compares it with a
baseline measured in the same run: the same plan built with a naive loop of queries per
server. Goal: ≤ 2 s and a number of queries that does not grow with the servers.

    python bench/reminder_rebuild.py [--guilds 1000] [--sessions 50] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from apscheduler.schedulers.asyncio import AsyncIOScheduler  # noqa: E402
from sqlalchemy import event, insert  # noqa: E402

from bot.container import Services  # noqa: E402
from bot.reminders.plan import plan_guild  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import (  # noqa: E402
    DeliveryStatus,
    GuildConfig,
    ReadingSession,
    ReminderDelivery,
)
from tests.harness.clock import FakeClock  # noqa: E402

NOW = datetime(2025, 1, 7, 9, 0, tzinfo=UTC)  # a Tuesday
FIRST_GUILD = 800_000_000_000_000_000
LEADS = [1440, 60]
GOAL_SECONDS = 2.0
POSTGRES_ADMIN = os.environ.get("TEST_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")


async def fill(db: Database, guilds: int, sessions: int) -> None:
    """Servers with the weekly announcement and two lead times, ``sessions`` each (two in
    the past, the rest ahead), and a ledger as a running bot leaves it: everything that was
    due is sent."""
    configs, rows, ledger = [], [], []
    session_id = 0
    for g in range(guilds):
        guild_id = FIRST_GUILD + g
        config = {
            "guild_id": guild_id,
            "timezone": ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC")[g % 4],
            "announcement_channel_id": guild_id + 1,
            "weekly_enabled": True,
            "weekly_weekday": g % 7,
            "weekly_time": clock_time(10, 0),
            "lead_times_minutes": LEADS,
            "lead_reminders_enabled": True,
            "session_minutes": 60,
            "date_format": "DD.MM.YYYY",
            "events_enabled": True,
            "threads_enabled": False,
            "export_pin_message_ids": [],
            "created_at": NOW,
            "updated_at": NOW,
        }
        configs.append(config)
        starts = []
        for s in range(sessions):
            session_id += 1
            starts.append((session_id, NOW + timedelta(days=7 * (s - 2) + 2, hours=g % 12)))
            rows.append(
                {
                    "id": session_id,
                    "guild_id": guild_id,
                    "number": s + 1,
                    "starts_at": starts[-1][1],
                    "duration_minutes": 60,
                    "kind": "special",
                    "title": f"Session {s}",
                    "status": "scheduled",
                    "source": "command",
                    "details": {},
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
        for due in plan_guild(GuildConfig(**config), starts, NOW):
            if due.due_at <= NOW:
                ledger.append(
                    {
                        "guild_id": guild_id,
                        "session_id": due.session_id,
                        "kind": due.kind,
                        "due_at": due.due_at,
                        "dedupe_key": due.key,
                        "status": DeliveryStatus.SENT,
                        "attempts": 1,
                        "late": False,
                        "message_id": 1,
                        "sent_at": due.due_at,
                    }
                )
    async with db.engine.begin() as conn:
        for table, values in (
            (GuildConfig, configs),
            (ReadingSession, rows),
            (ReminderDelivery, ledger),
        ):
            for start in range(0, len(values), 2000):
                await conn.execute(insert(table), values[start : start + 2000])


class QueryCounter:
    def __init__(self, db: Database) -> None:
        self.engine = db.engine.sync_engine
        self.count = 0

    def _record(self, *args: Any) -> None:
        self.count += 1

    def __enter__(self) -> QueryCounter:
        self.count = 0
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


async def naive_rebuild(services: Services) -> int:
    """The baseline: the same plan, with a few queries per server."""
    now = services.clock.now()
    since = now - timedelta(days=7)
    planned = 0
    async with services.db.unit() as uow:
        configs = await uow.guilds.all()
    for config in configs:
        async with services.db.unit() as uow:
            sessions = await uow.sessions.all(config.guild_id, start=since)
            ledger = await uow.reminders.ledger_since(since, [config.guild_id])
        done = {r.dedupe_key for r in ledger if r.status in ("sent", "skipped")}
        due = plan_guild(config, [(s.id, s.starts_at) for s in sessions], now)
        planned += sum(1 for d in due if d.key not in done)
    return planned


async def timed(
    label: str, db: Database, action: Callable[[], Awaitable[int]], rounds: int
) -> tuple[float, int, int]:
    samples, queries, result = [], 0, 0
    for _ in range(rounds):
        with QueryCounter(db) as counter:
            started = time.perf_counter()
            result = await action()
            samples.append(time.perf_counter() - started)
        queries = counter.count
    median = statistics.median(samples)
    print(
        f"  {label:<34} median {median:6.3f} s  best {min(samples):6.3f} s  "
        f"queries {queries:>5}  reminders planned {result:,}"
    )
    return median, queries, result


async def bench(url: str, name: str, guilds: int, sessions: int, rounds: int) -> bool:
    db = await Database.open(url)
    try:
        await db.migrate()
        started = time.perf_counter()
        await fill(db, guilds, sessions)
        print(
            f"{name}: {guilds:,} servers × {sessions} sessions inserted in "
            f"{time.perf_counter() - started:.1f} s"
        )
        settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
        services = Services(settings=settings, db=db, clock=FakeClock(NOW))
        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.start(paused=True)

        def wake(when: datetime | None) -> None:
            # What the cog does: one job at the next due time (by the real clock).
            delay = 60.0 if when is None else max(0.0, (when - NOW).total_seconds())
            scheduler.add_job(
                _noop,
                "date",
                run_date=datetime.now(UTC) + timedelta(seconds=delay),
                id="reminders-wake",
                replace_existing=True,
            )

        services.reminders.attach(_NoSender(), wake)
        baseline, base_queries, base_planned = await timed(
            "baseline (queries per server)", db, lambda: naive_rebuild(services), rounds
        )
        ours, queries, planned = await timed(
            "rebuild (one pass)", db, services.reminders.rebuild, rounds
        )
        # The constant: the same rebuild over a tenth of the servers issues as many queries.
        jobs = len(scheduler.get_jobs())
        scheduler.shutdown(wait=False)
        ok = ours <= GOAL_SECONDS and queries <= 4
        print(
            f"  scheduler jobs created: {jobs} (next wake-up {services.reminders.next_wake()}); "
            f"reminders pending: {planned:,} (baseline found {base_planned:,})"
        )
        print(
            f"  ratio baseline / rebuild: {baseline / ours:.1f}× faster, queries "
            f"{base_queries:,} → {queries}"
        )
        print(
            f"  goal ≤ {GOAL_SECONDS:.0f} s and a constant number of queries: "
            f"{'met' if ok else 'NOT met'}"
        )
        return ok
    finally:
        await db.close()


async def constant_queries(url_factory: Callable[[], Awaitable[str]], sessions: int) -> None:
    """Query count of the rebuild for 10 and for 100 servers: must be equal."""
    counts = []
    for guilds in (10, 100):
        db = await Database.open(await url_factory())
        try:
            await db.migrate()
            await fill(db, guilds, sessions)
            settings = Settings(_env_file=None, database_url=str(db.url))  # type: ignore[call-arg]
            services = Services(settings=settings, db=db, clock=FakeClock(NOW))
            with QueryCounter(db) as counter:
                await services.reminders.rebuild()
            counts.append(counter.count)
        finally:
            await db.close()
    print(f"queries of the rebuild for 10 and 100 servers: {counts[0]} and {counts[1]}")


async def _noop() -> None:
    return None


class _NoSender:
    async def send(self, post: Any, channel_id: int) -> int:
        raise AssertionError("the rebuild posts nothing")

    async def find_posted(self, *args: Any) -> int | None:
        return None


async def _postgres_admin(statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(POSTGRES_ADMIN.replace("+asyncpg", ""), timeout=3)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def main(guilds: int, sessions: int, rounds: int) -> int:
    logging.basicConfig(level=logging.WARNING)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(100))

        async def sqlite_url() -> str:
            return f"sqlite+aiosqlite:///{Path(tmp) / f'small-{next(counter)}.db'}"

        await constant_queries(sqlite_url, sessions)
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        results.append(await bench(url, "SQLite", guilds, sessions, rounds))
    try:
        await _postgres_admin("SELECT 1")
    except Exception as exc:
        print(f"PostgreSQL: skipped ({exc.__class__.__name__}: {exc})")
    else:
        name = f"rg_bench_{uuid.uuid4().hex[:10]}"
        await _postgres_admin(f'CREATE DATABASE "{name}"')
        try:
            base = POSTGRES_ADMIN.rpartition("/")[0].replace(
                "postgresql://", "postgresql+asyncpg://"
            )
            results.append(await bench(f"{base}/{name}", "PostgreSQL", guilds, sessions, rounds))
        finally:
            await _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0 if all(results) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guilds", type=int, default=1000)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.guilds, args.sessions, args.rounds)))
