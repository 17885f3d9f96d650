"""Migrations: up, down, up again on each backend; models and head agree; newer schemas refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from storage.db import Database, StorageError, alembic_config
from storage.models import SQLModel

EXPECTED_TABLES = {t.name for t in SQLModel.metadata.sorted_tables}


async def _tables(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        names = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    return names - {"alembic_version"}


async def _roundtrip(url: str) -> None:
    db = await Database.open(url)
    try:
        await db.migrate()
        assert await _tables(db) == EXPECTED_TABLES
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert await db.current_revision() == head
        await db.downgrade("base")
        assert await _tables(db) == set()
        assert await db.current_revision() is None
        await db.migrate()
        assert await _tables(db) == EXPECTED_TABLES
    finally:
        await db.close()


async def _autogenerate_diff(url: str) -> list[object]:
    db = await Database.open(url)
    try:
        await db.migrate()
        async with db.engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}),
                    SQLModel.metadata,
                )
            )
    finally:
        await db.close()


async def test_upgrade_downgrade_upgrade_sqlite(sqlite_url: str) -> None:
    await _roundtrip(sqlite_url)


@pytest.mark.postgres
async def test_upgrade_downgrade_upgrade_postgres(postgres_database_factory) -> None:  # type: ignore[no-untyped-def]
    await _roundtrip(postgres_database_factory())


async def test_models_match_migration_head_sqlite(sqlite_url: str) -> None:
    assert await _autogenerate_diff(sqlite_url) == []


@pytest.mark.postgres
async def test_models_match_migration_head_postgres(postgres_database_factory) -> None:  # type: ignore[no-untyped-def]
    assert await _autogenerate_diff(postgres_database_factory()) == []


async def test_sqlite_pragmas_are_on(sqlite_db: Database) -> None:
    async with sqlite_db.engine.connect() as conn:
        assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
        assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"


async def test_newer_schema_is_refused_and_data_untouched(sqlite_url: str) -> None:
    db = await Database.open(sqlite_url)
    await db.migrate()
    async with db.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO bot_state (key, value, updated_at) "
                "VALUES ('canary', 'keep me', '2025-01-01 00:00:00')"
            )
        )
        await conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    await db.close()

    db = await Database.open(sqlite_url)
    try:
        with pytest.raises(StorageError, match="newer version of the bot"):
            await db.migrate()
        async with db.engine.connect() as conn:
            assert (await conn.execute(text("SELECT value FROM bot_state"))).scalar() == "keep me"
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
            assert version == "9999_future"
    finally:
        await db.close()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "malformed"),
        ("mysql://user@localhost/db", "not supported"),
        ("postgresql+asyncpg://nobody@127.0.0.1:1/none", "cannot connect"),
    ],
)
async def test_bad_database_urls_give_one_line(url: str, expected: str) -> None:
    with pytest.raises(StorageError) as info:
        await Database.open(url)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


async def test_password_never_in_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError) as info:
        await Database.open("postgresql://user:s3cretpw@127.0.0.1:1/db")
    assert "s3cretpw" not in str(info.value)


async def test_unwritable_data_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(StorageError, match="cannot be written") as info:
        await Database.open(f"sqlite+aiosqlite:///{blocker / 'data' / 'x.db'}")
    assert "\n" not in str(info.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only directories")
async def test_read_only_data_directory(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(StorageError, match="cannot be written"):
            await Database.open(f"sqlite+aiosqlite:///{locked / 'x.db'}")
    finally:
        locked.chmod(0o700)


async def test_read_only_filesystem_as_any_user() -> None:
    # /proc refuses new files even to root: the same one-line error, nothing created.
    with pytest.raises(StorageError, match="cannot be written"):
        await Database.open("sqlite+aiosqlite:////proc/reading_group.db")


def test_the_head_read_from_the_files_is_alembics() -> None:
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config, known_head

    assert known_head() == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_a_database_at_the_head_starts_without_alembic(tmp_path: Path) -> None:
    """Alembic (with mako and pygments, ~12 MB) loads only when there is something to do."""
    import subprocess
    import sys

    url = f"sqlite+aiosqlite:///{tmp_path / 'head.db'}"
    script = (
        "import asyncio, sys\n"
        "from storage.db import Database\n"
        "async def main():\n"
        f"    db = await Database.open({url!r})\n"
        "    await db.migrate()\n"
        "    await db.close()\n"
        "    print('alembic' in sys.modules)\n"
        "asyncio.run(main())\n"
    )
    root = Path(__file__).resolve().parents[2]
    runs = [
        subprocess.run(
            [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=60
        )
        for _ in range(2)
    ]
    assert [r.stdout.strip() for r in runs] == ["True", "False"], [r.stderr for r in runs]


def test_alembic_by_hand_reads_database_url_from_dotenv(tmp_path: Path) -> None:
    """``alembic -c storage/alembic.ini upgrade head`` run where the bot runs finds the
    database the bot would use: DATABASE_URL from ``.env`` when the environment has none."""
    import subprocess
    import sys

    target = tmp_path / "from-dotenv.db"
    (tmp_path / ".env").write_text(f"DATABASE_URL=sqlite+aiosqlite:///{target}\n")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    ini = Path(__file__).resolve().parents[2] / "storage" / "alembic.ini"
    done = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(ini), "upgrade", "head"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert target.exists() and target.stat().st_size > 0
    assert not (tmp_path / "data").exists()  # not the default file
