"""Who holds a reminder claim, and how a restarted bot recognises the claims it left behind.

Every claim in the reminder ledger records its owner: ``<slot>/<run>``. The *run* is new at
each start (host, process id, a random part). The *slot* is this instance's durable name,
and holding it proves that nobody else runs under it:

- SQLite: an exclusive ``flock`` on ``<database file>.instances/slot-<n>.lock`` (every
  process of one SQLite file runs on that host);
- PostgreSQL: the session advisory lock ``(REMINDER_SLOTS, n)`` on a connection kept open
  for the life of the instance.

The kernel drops the file lock and PostgreSQL the advisory lock the moment the process
dies, even by ``kill -9``, so the next process to start takes the lowest free slot. A claim
whose owner carries *our* slot but another run was therefore made by a process that is
dead: it is taken over at once (after looking in the channel whether the post arrived). A
claim of another slot belongs to a live instance, or to a dead one whose slot nobody has
taken yet: it is respected until its lease runs out, as before. Two processes never hold
one slot, whatever their shards, so two live instances never take over each other's claims.

An in-memory database (tests) or a failed look-up gives no slot: claims then carry the run
alone and are only ever taken over after their lease.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from storage.db import Database

log = logging.getLogger(__name__)

MAX_SLOTS = 64
REMINDER_SLOTS = 0x52454D49  # the advisory lock class of reminder slots ("REMI")


def new_run() -> str:
    """A name for this run of the process (unique; 50 characters at most)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True, slots=True)
class ClaimOwner:
    """The name a claim records, and the test for claims of this instance's earlier runs."""

    run: str
    slot: str | None = None

    @property
    def name(self) -> str:
        return f"{self.slot}/{self.run}" if self.slot is not None else self.run

    @property
    def prefix(self) -> str | None:
        """The start of every claim made under this slot (any run), or None without a slot."""
        return f"{self.slot}/" if self.slot is not None else None

    def is_earlier_self(self, claimed_by: str | None) -> bool:
        prefix = self.prefix
        return (
            prefix is not None
            and claimed_by is not None
            and claimed_by.startswith(prefix)
            and claimed_by != self.name
        )


class SlotLock:
    """A held slot; :meth:`release` gives it back (process death does the same)."""

    def __init__(
        self,
        name: str,
        file: IO[bytes] | None = None,
        conn: AsyncConnection | None = None,
        engine: AsyncEngine | None = None,
    ) -> None:
        self.name = name
        self._file = file
        self._conn = conn
        self._engine = engine  # PostgreSQL: its own engine, so the pool keeps its size

    async def held(self) -> bool:
        """Whether the slot is still ours: a PostgreSQL connection may be cut (a server
        restart, a network fault), which drops its advisory lock."""
        if self._conn is None:
            return self._file is not None
        try:
            result = await self._conn.exec_driver_sql(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                f"AND classid = {REMINDER_SLOTS} AND objid = {self.number} "
                "AND pid = pg_backend_pid()"
            )
            count = result.scalar()
            await self._conn.commit()
        except (SQLAlchemyError, OSError):  # a cut connection, or one left needing a rollback
            return False
        return bool(count)

    @property
    def number(self) -> int:
        return int(self.name.removeprefix("slot-"))

    async def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the descriptor drops the flock
            self._file = None
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(SQLAlchemyError, OSError):
                await conn.exec_driver_sql("SELECT pg_advisory_unlock_all()")
            with contextlib.suppress(SQLAlchemyError, OSError):
                await conn.close()
        if self._engine is not None:
            engine, self._engine = self._engine, None
            await engine.dispose()


def _slot_directory(db: Database) -> Path | None:
    database = db.url.database
    if db.dialect != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None
    return Path(f"{Path(database).resolve()}.instances")


def _lock_file(directory: Path) -> SlotLock | None:
    import fcntl

    directory.mkdir(parents=True, exist_ok=True)
    for n in range(MAX_SLOTS):
        file = (directory / f"slot-{n}.lock").open("ab")
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.close()
            continue
        return SlotLock(f"slot-{n}", file, None)
    return None


async def _advisory_lock(db: Database) -> SlotLock | None:
    engine = create_async_engine(db.url, poolclass=NullPool, hide_parameters=True)
    conn: AsyncConnection | None = None
    try:
        conn = await engine.connect()
        for n in range(MAX_SLOTS):
            result = await conn.exec_driver_sql(
                f"SELECT pg_try_advisory_lock({REMINDER_SLOTS}, {n})"
            )
            if result.scalar():
                await conn.commit()  # held by the session, not by the transaction
                return SlotLock(f"slot-{n}", conn=conn, engine=engine)
    except BaseException:
        if conn is not None:
            await conn.close()
        await engine.dispose()
        raise
    await conn.close()
    await engine.dispose()
    return None


async def acquire_slot(db: Database) -> SlotLock | None:
    """The lowest free slot of this database, held until released or the process dies;
    None where slots do not apply (in-memory SQLite) or none is free."""
    lock: SlotLock | None = None
    try:
        if db.dialect == "postgresql":
            lock = await _advisory_lock(db)
        else:
            directory = _slot_directory(db)
            if directory is not None:
                lock = _lock_file(directory)
            else:
                return None
    except (OSError, DBAPIError, OperationalError, ImportError) as exc:
        log.warning(
            "no instance slot for reminder claims (%s): a crash's claims wait out their lease", exc
        )
        return None
    if lock is None:
        log.warning(
            "all %d instance slots are taken: a crash's claims wait out their lease", MAX_SLOTS
        )
    return lock
