"""The async database: engine, SQLite pragmas, migrations and units of work.

``Database.open(url)`` checks that the database can be reached (and, for SQLite, that its
directory can be written) and raises :class:`StorageError` with a one-line cause otherwise.
``await db.migrate()`` applies the Alembic migrations; a database written by a newer schema
is refused before anything is touched.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from alembic.config import Config

    from storage.repositories import UnitOfWork

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/reading_group.db"


class StorageError(Exception):
    """A database problem, described in one line (never with the password)."""


def normalize_url(raw: str) -> URL:
    """Parse DATABASE_URL and pick the async driver: aiosqlite or asyncpg."""
    try:
        url = make_url(raw.strip())
    except ArgumentError:
        raise StorageError(
            "DATABASE_URL is malformed: expected e.g. sqlite+aiosqlite:///data/reading_group.db "
            "or postgresql+asyncpg://user@host:5432/dbname"
        ) from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        return url.set(drivername="sqlite+aiosqlite")
    if backend in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+asyncpg")
    raise StorageError(
        f"DATABASE_URL uses {backend!r}, which is not supported: use sqlite or postgresql"
    )


def describe_url(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _sqlite_path(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _prepare_sqlite_directory(path: Path) -> None:
    """Create the database's directory and prove a file can be written there."""
    directory = path.parent if str(path.parent) else Path(".")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("r+b"):
                pass
        else:
            probe = directory / f".write-test-{os.getpid()}"
            probe.touch()
            probe.unlink()
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise StorageError(
            f"the database location {path} cannot be written ({reason}): check DATABASE_URL "
            "and the permissions of its directory"
        ) from None


READ_BUSY_MS = 1000
WRITE_BUSY_MS = 10000


def _install_sqlite_pragmas(engine: Engine, *, read_only: bool = False) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        else:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        # A reader runs on the event loop's thread (it must not stall it for long); WAL
        # readers wait only in rare cases such as recovering the log after a crash.
        cursor.execute(f"PRAGMA busy_timeout={READ_BUSY_MS if read_only else WRITE_BUSY_MS}")
        cursor.close()


def _sqlite_reader(url: URL) -> Engine:
    """A read-only engine on the SQLite file, used on the event loop's own thread.

    aiosqlite runs every call (cursor, execute, fetch, close, commit) in its worker thread;
    a page read on an index costs microseconds in SQLite but about 0.25 ms per thread hop
    and a dozen hops per read unit. In WAL mode a reader never waits for a writer, so the
    short indexed reads of the read commands run directly (see :meth:`Database.read`).
    """
    engine = create_engine(url.set(drivername="sqlite+pysqlite"), hide_parameters=True)
    _install_sqlite_pragmas(engine, read_only=True)
    return engine


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


_REVISION = re.compile(r"""^revision(?:\s*:\s*str)?\s*=\s*["']([^"']+)["']""", re.M)
_DOWN = re.compile(r"^down_revision(?:\s*:[^=]+)?\s*=\s*(.+)$", re.M)


def known_head() -> str | None:
    """The head revision read from the migration files' ``revision``/``down_revision``
    lines, without importing Alembic; None when the files do not say it plainly (a merge,
    an unusual file), in which case Alembic decides."""
    revisions: set[str] = set()
    parents: set[str] = set()
    files = [p for p in (MIGRATIONS_DIR / "versions").glob("*.py") if p.name != "__init__.py"]
    for path in files:
        text = path.read_text(encoding="utf-8")
        found, down = _REVISION.search(text), _DOWN.search(text)
        if found is None or down is None:
            return None
        revisions.add(found.group(1))
        value = down.group(1).split("#")[0].strip()
        if value != "None":
            names = re.fullmatch(r"""["']([^"']+)["']""", value)
            if names is None:
                return None  # a merge point (a tuple): leave it to Alembic
            parents.add(names.group(1))
    heads = revisions - parents
    if len(revisions) != len(files) or len(heads) != 1:
        return None
    return heads.pop()


# SQLite's primary result codes for a damaged file: SQLITE_CORRUPT, SQLITE_NOTADB.
_SQLITE_DAMAGED = (11, 26)


def damaged_file(url: URL, exc: BaseException) -> Path | None:
    """The SQLite file of ``url`` when ``exc`` (or what it wraps) says the file is damaged
    ("database disk image is malformed", "file is not a database"), else None."""
    if url.get_backend_name() != "sqlite" or not is_damage(exc):
        return None
    return _sqlite_path(url)


def is_damage(exc: BaseException) -> bool:
    """``exc`` (or the driver error it wraps) is SQLite saying its file is damaged."""
    orig = getattr(exc, "orig", None) or exc
    code = getattr(orig, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in _SQLITE_DAMAGED


def check_line(found: str) -> str:
    """SQLite's integrity-check answer ("*** in database main ***\\nPage 26: …") as one
    line."""
    lines = [line.strip() for line in found.splitlines() if not line.startswith("***")]
    return "; ".join(line for line in lines if line) or found.strip()


def describe_failure(url: URL, exc: BaseException) -> str:
    """One line for a database error that reached the top: a damaged SQLite file is named
    with what to do; anything else gives the driver's first line (never the statement's
    values)."""
    path = damaged_file(url, exc)
    if path is not None:
        return (
            f"the database file {path} is damaged ({_one_line(exc)}): stop the bot and "
            "restore your latest backup (made with `python -m bot backup --out FILE`) to "
            "that path"
        )
    return f"the database {describe_url(url)} failed: {_one_line(exc)}"


def _one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__


class Database:
    """Owns the engine and hands out units of work."""

    def __init__(self, url: URL, engine: AsyncEngine) -> None:
        self.url = url
        self.engine = engine
        self._transactions = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
        self._reads_inline = False  # an SQLite file: see read()
        self._reads_autocommit = False  # PostgreSQL: see read()
        self._reader: Engine | None = None  # made by the first read()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @classmethod
    async def open(cls, raw_url: str, **engine_options: Any) -> Database:
        url = normalize_url(raw_url)
        if url.get_backend_name() == "sqlite":
            path = _sqlite_path(url)
            if path is not None:
                _prepare_sqlite_directory(path)
            # SQLite writes one at a time whatever the pool; an in-memory database has none.
            for sizing in ("pool_size", "max_overflow", "pool_timeout"):
                engine_options.pop(sizing, None)
        else:
            engine_options.setdefault("pool_pre_ping", True)
        # Statement values are what members typed: never in an error message or a log.
        engine_options["hide_parameters"] = True
        engine_options["echo"] = False
        try:
            engine = create_async_engine(url, **engine_options)
        except (ArgumentError, NoSuchModuleError, TypeError, ValueError) as exc:
            raise StorageError(f"DATABASE_URL is malformed: {_one_line(exc)}") from None
        db = cls(url, engine)
        if url.get_backend_name() == "sqlite":
            _install_sqlite_pragmas(engine.sync_engine)
            db._reads_inline = _sqlite_path(url) is not None
        else:
            db._reads_autocommit = True
        try:
            async with engine.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")
        except (OSError, DBAPIError, OperationalError) as exc:
            await engine.dispose()
            if damaged_file(url, exc) is not None:
                raise StorageError(describe_failure(url, exc)) from None
            raise StorageError(
                f"cannot connect to the database {describe_url(url)}: {_one_line(exc)}"
            ) from None
        return db

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.dispose()
        await self.engine.dispose()

    async def damage(self) -> str | None:
        """SQLite's quick check of every page: None when the file is sound (and always for
        PostgreSQL), else one line naming the file and what to do."""
        if self.dialect != "sqlite":
            return None
        try:
            async with self.engine.connect() as conn:
                rows = await conn.exec_driver_sql("PRAGMA quick_check(1)")
                first = str(rows.scalar() or "ok")
        except DBAPIError as exc:
            return describe_failure(self.url, exc)
        if first == "ok":
            return None
        return (
            f"the database file {_sqlite_path(self.url)} is damaged ({check_line(first)}): "
            "stop the bot "
            "and restore your latest backup (made with `python -m bot backup --out FILE`) to "
            "that path"
        )

    # ----------------------------------------------------------------------------------
    # Migrations

    async def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        async with self.engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )

    async def _stored_revisions(self) -> list[str] | None:
        """The revisions in ``alembic_version`` read with plain SQL (None: no such table)."""
        try:
            async with self.engine.connect() as conn:
                rows = await conn.exec_driver_sql("SELECT version_num FROM alembic_version")
                return [str(row[0]) for row in rows]
        except DBAPIError:
            return None

    async def migrate(self, revision: str = "head") -> None:
        """Upgrade to ``revision``; refuse a database from a newer schema.

        A database already at the head is recognised without loading Alembic (about 12 MB
        and a good part of a CLI command's start-up); anything else goes through Alembic.
        """
        if revision == "head":
            head = known_head()
            if head is not None and await self._stored_revisions() == [head]:
                return
        from alembic import command
        from alembic.script import ScriptDirectory

        cfg = alembic_config()
        script = ScriptDirectory.from_config(cfg)
        current = await self.current_revision()
        if current is not None:
            try:
                script.get_revision(current)
            except Exception:
                raise StorageError(
                    f"the database was written by a newer version of the bot (schema revision "
                    f"{current}); upgrade the bot instead of downgrading the data"
                ) from None

        def _upgrade(sync_conn: Connection) -> None:
            cfg.attributes["connection"] = sync_conn
            command.upgrade(cfg, revision)

        async with self.engine.begin() as conn:
            await conn.run_sync(_upgrade)
        after = await self.current_revision()
        if after != current:
            log.info("database schema migrated from %s to %s", current or "empty", after)

    async def downgrade(self, revision: str) -> None:
        from alembic import command

        cfg = alembic_config()

        def _downgrade(sync_conn: Connection) -> None:
            cfg.attributes["connection"] = sync_conn
            command.downgrade(cfg, revision)

        async with self.engine.begin() as conn:
            await conn.run_sync(_downgrade)

    def head_revision(self) -> str | None:
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(alembic_config()).get_current_head()

    # ----------------------------------------------------------------------------------
    # Units of work

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A transaction: committed when the block ends, rolled back on any exception."""
        async with self._transactions() as tx, tx.begin():
            yield tx

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[UnitOfWork]:
        """Repositories sharing one transaction (nothing is saved half-way)."""
        from storage.repositories import UnitOfWork

        async with self.transaction() as tx:
            yield UnitOfWork(tx)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[UnitOfWork]:
        """Repositories for a short read on an index (a page, one session, a search).

        On an SQLite file the queries run at once on the calling thread through a read-only
        connection (no thread hops; see :func:`_sqlite_reader`). On PostgreSQL each query
        runs on its own (autocommit: no BEGIN and COMMIT round trips, and the connection goes
        back to the pool as soon as the last query is read). Nothing read here may be written
        back, and a read that scans a whole server (an export) belongs in :meth:`unit`, which
        does not hold up the event loop.
        """
        from storage.repositories import UnitOfWork

        if self._reads_autocommit:
            async with self._transactions() as tx:
                await tx.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
                yield UnitOfWork(tx)
            return
        if not self._reads_inline:
            async with self.unit() as uow:
                yield uow
            return
        if self._reader is None:
            self._reader = _sqlite_reader(self.url)
        with Session(self._reader, autoflush=False) as session:
            # The repositories await the session's methods; InlineSession answers them
            # from the synchronous session without leaving the thread.
            yield UnitOfWork(cast(AsyncSession, InlineSession(session)))


class InlineSession:
    """The awaitable reading methods of an ``AsyncSession`` over a synchronous session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    async def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        return self.session.execute(statement, *args, **kwargs)

    async def scalars(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        return self.session.scalars(statement, *args, **kwargs)

    async def scalar(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        return self.session.scalar(statement, *args, **kwargs)

    async def get(self, entity: Any, ident: Any, **kwargs: Any) -> Any:
        return self.session.get(entity, ident, **kwargs)

    def get_bind(self) -> Any:
        return self.session.get_bind()


@asynccontextmanager
async def bound_to(database: Database, conn: AsyncConnection) -> AsyncIterator[Database]:
    """``database`` with its units of work inside ``conn``'s open transaction (each one a
    savepoint): code that reads through ``db.unit()`` sees what the transaction wrote
    before it is committed, and nothing it does outlives a rollback."""
    bound = Database(database.url, database.engine)
    bound._transactions = async_sessionmaker(
        bind=conn,
        expire_on_commit=False,
        autoflush=False,
        join_transaction_mode="create_savepoint",
    )
    yield bound
