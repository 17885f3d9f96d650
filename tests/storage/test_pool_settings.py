"""The database pool is sized from the settings (PostgreSQL)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.cli.common import open_database
from bot.settings import Settings


@pytest.mark.postgres
async def test_the_pool_holds_what_the_settings_say_and_waits_no_longer(
    shared_postgres_url: str,
) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]  # pydantic-settings' own keyword
        database_url=shared_postgres_url,
        database_pool_size=2,
        database_pool_overflow=1,
        database_pool_timeout_seconds=0.3,
    )
    db = await open_database(settings)
    held = []
    try:
        for _ in range(3):  # the pool and its overflow
            held.append(await db.engine.connect())
        began = time.monotonic()
        with pytest.raises(PoolTimeout):
            await db.engine.connect()
        assert 0.25 <= time.monotonic() - began < 3
        await held.pop().close()
        async with db.read() as uow:  # a freed connection serves the next command at once
            assert await uow.guilds.get(1) is None
    finally:
        await asyncio.gather(*(conn.close() for conn in held))
        await db.close()


@pytest.mark.parametrize("where", ["file", "memory"])
async def test_sqlite_ignores_the_pool_settings(tmp_path: Path, where: str) -> None:
    path = f"/{tmp_path / 'x.db'}" if where == "file" else ""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]  # pydantic-settings' own keyword
        database_url=f"sqlite+aiosqlite://{path}",
        database_pool_size=1,
    )
    db = await open_database(settings)  # an in-memory database has no sized pool at all
    try:
        async with db.read() as uow:
            assert await uow.guilds.get(1) is None
    finally:
        await db.close()
