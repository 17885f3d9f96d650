"""``backup --out FILE``: a consistent copy of the SQLite database while the bot runs."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import threading
from pathlib import Path

from bot.cli.common import EXIT_CONFIG, EXIT_OK, CliError
from bot.settings import Settings
from storage.db import check_line, is_damage


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup = sub.add_parser(
        "backup",
        help="copy the SQLite database to a file (safe while the bot runs)",
        description="Write a consistent copy of the SQLite database with SQLite's online "
        "backup, also while the bot runs. To restore, stop the bot and put the copy at the "
        "path of DATABASE_URL. (PostgreSQL: use pg_dump.)",
    )
    backup.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="FILE",
        help="the backup file to write (must not exist yet)",
    )
    backup.set_defaults(handler=_cmd_backup)


class Damaged(Exception):
    """The copy (and so the database) has damaged pages."""


class _Stopped(Exception):
    """Ctrl-C asked the copy to stop between two steps."""


def sqlite_backup(source: Path, out: Path, stop: threading.Event | None = None) -> int:
    """SQLite's online backup API: a consistent snapshot even while another process writes.
    Returns the number of pages copied; ``stop`` set ends it between two steps."""

    def progress(_status: int, _remaining: int, _total: int) -> None:
        if stop is not None and stop.is_set():
            raise _Stopped

    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(out)
        try:
            src.backup(dst, pages=1024, progress=progress)
            pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
            found = str(dst.execute("PRAGMA quick_check(1)").fetchone()[0])
            if found != "ok":
                raise Damaged(check_line(found))
        finally:
            dst.close()
    finally:
        src.close()
    return pages


def _checked_backup(source: Path, out: Path, stop: threading.Event) -> int:
    if not source.exists():
        raise CliError(f"there is no database at {source} yet: nothing to back up")
    if out.exists():
        raise CliError(f"{out} exists already: choose a new file name")
    if out.resolve() == source.resolve():
        raise CliError("--out is the database itself: choose another file")
    try:
        return sqlite_backup(source, out, stop)
    except _Stopped:
        out.unlink(missing_ok=True)
        raise
    except Damaged as exc:
        raise CliError(
            f"the database file {source} is damaged ({exc}): {out} is a copy with the same "
            "damage; stop the bot and restore an earlier backup to that path"
        ) from None
    except (sqlite3.Error, OSError) as exc:
        out.unlink(missing_ok=True)
        if is_damage(exc):
            raise CliError(
                f"the database file {source} is damaged ({exc}): no backup was written; stop "
                "the bot and restore an earlier backup to that path"
            ) from None
        raise CliError(f"the backup failed: {exc}") from None


async def _cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    from storage.db import StorageError, normalize_url

    try:
        url = normalize_url(settings.database_url)
    except StorageError as exc:
        raise CliError(str(exc), EXIT_CONFIG) from None
    if url.get_backend_name() != "sqlite":
        raise CliError(
            "DATABASE_URL is PostgreSQL: back it up with pg_dump, e.g. "
            "`pg_dump --format=custom --file=reading_group.dump DBNAME` "
            "(restore with pg_restore)"
        )
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise CliError("DATABASE_URL names no database file to back up")
    source = Path(database)
    stop = threading.Event()
    copying = asyncio.ensure_future(asyncio.to_thread(_checked_backup, source, args.out, stop))
    try:
        pages = await asyncio.shield(copying)
    except asyncio.CancelledError:  # Ctrl-C: stop the copy and remove the partial file
        stop.set()
        args.interrupted = f"the backup {args.out} was complete"
        try:
            await copying
        except (_Stopped, CliError):
            args.interrupted = f"the partial backup was removed: {args.out} was not written"
        raise
    print(f"backed up {source} to {args.out} ({pages} pages)")
    return EXIT_OK
