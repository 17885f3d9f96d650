"""Alembic environment (async).

The bot runs migrations in-process through ``Database.migrate()``, which hands a connection
in ``config.attributes["connection"]``. Run from the command line (``alembic -c
storage/alembic.ini ...``) it opens its own async engine from DATABASE_URL, read like the
bot reads it: the environment first, then ``.env``, then the default SQLite file.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers every table on the metadata)

config = context.config
target_metadata = SQLModel.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def _run(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    from dotenv import load_dotenv

    from storage.db import DEFAULT_DATABASE_URL, normalize_url

    load_dotenv(".env", override=False)
    raw = (
        config.get_main_option("sqlalchemy.url")
        or os.environ.get("DATABASE_URL", "").strip()
        or DEFAULT_DATABASE_URL
    )
    engine = create_async_engine(normalize_url(raw), hide_parameters=True)
    async with engine.begin() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        asyncio.run(_run_async())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
