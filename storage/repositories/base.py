"""Shared base of the repositories."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession


class Repository:
    """A repository works inside the transaction of the unit of work that made it.

    Every method that reads or writes server data takes the ``guild_id`` and filters by it:
    one server never sees another's rows.
    """

    def __init__(self, session: AsyncSession) -> None:
        self.session = session


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """``INSERT`` with ``ON CONFLICT`` support for the session's backend."""
    if session.bind.dialect.name == "postgresql":
        return pg_insert(table)
    return sqlite_insert(table)
