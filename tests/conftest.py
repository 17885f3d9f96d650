"""Shared fixtures: databases (SQLite always, PostgreSQL when it answers)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import Database
from storage.models import SQLModel

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = Path(os.environ.get("SHARED_DIR", REPO_ROOT.parent / "shared"))

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://127.0.0.1:5432/test")


async def _postgres_admin(statement: str) -> None:
    import asyncpg

    dsn = POSTGRES_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn, timeout=3)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def _admin_sync(statement: str) -> None:
    """Run an admin statement from sync code, also when an event loop is running."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _postgres_admin(statement)).result()


def _postgres_reason() -> str | None:
    """None when PostgreSQL answers, else why the PostgreSQL tests are skipped."""
    try:
        _admin_sync("SELECT 1")
    except Exception as exc:  # any failure means: no server for us
        return (
            f"PostgreSQL at {POSTGRES_ADMIN_URL} does not answer ({exc.__class__.__name__}: {exc})"
        )
    return None


@pytest.fixture(scope="session")
def postgres_server() -> str:
    reason = _postgres_reason()
    if reason is not None:
        pytest.skip(reason)
    return POSTGRES_ADMIN_URL


@pytest.fixture(scope="session")
def postgres_database_factory(postgres_server: str) -> Iterator[object]:
    """Creates throw-away databases next to ``test`` and drops them at the end."""
    created: list[str] = []

    def make() -> str:
        name = f"rg_test_{uuid.uuid4().hex[:12]}"
        _admin_sync(f'CREATE DATABASE "{name}"')
        created.append(name)
        base, _, _ = postgres_server.rpartition("/")
        return f"{base}/{name}"

    yield make
    for name in created:
        with contextlib.suppress(Exception):  # best effort clean-up
            _admin_sync(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def shared_postgres_url(postgres_database_factory) -> str:  # type: ignore[no-untyped-def]
    """One migrated PostgreSQL database for the whole run; tests truncate it."""
    return postgres_database_factory()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


async def _truncate_all(db: Database) -> None:
    tables = ", ".join(t.name for t in SQLModel.metadata.sorted_tables)
    async with db.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        database = await Database.open(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
        await database.migrate()
    else:
        url = request.getfixturevalue("shared_postgres_url")
        database = await Database.open(url)
        await database.migrate()
        await _truncate_all(database)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def sqlite_db(sqlite_url: str) -> AsyncIterator[Database]:
    database = await Database.open(sqlite_url)
    await database.migrate()
    try:
        yield database
    finally:
        await database.close()
