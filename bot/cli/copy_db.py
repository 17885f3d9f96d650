"""``copy-db --to URL``: move every server's data to another database (SQLite → PostgreSQL)."""

from __future__ import annotations

import argparse
import sys

from bot.cli.common import EXIT_CONFIG, EXIT_FAILURE, EXIT_OK, CliError, open_database
from bot.settings import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    copy = sub.add_parser(
        "copy-db",
        help="copy every server's data to a new, empty database (e.g. PostgreSQL) and verify it",
        description="Copy the whole database (DATABASE_URL) to an empty one in one "
        "transaction, compare row counts and every server's export, and commit only when "
        "they match. Stop the bot first.",
    )
    copy.add_argument(
        "--to",
        required=True,
        metavar="URL",
        help="the target database, e.g. postgresql+asyncpg://user:password@host:5432/dbname",
    )
    copy.set_defaults(
        handler=_cmd_copy,
        interrupted="the copy was rolled back: the target database is as it was",
    )


async def _cmd_copy(settings: Settings, args: argparse.Namespace) -> int:
    from bot.ops.copydb import CopyRefused, copy_database
    from storage.db import Database, StorageError

    source = await open_database(settings)
    try:
        try:
            target = await Database.open(args.to)
        except StorageError as exc:
            raise CliError(f"--to: {exc}", EXIT_CONFIG) from None
        try:
            report = await copy_database(
                source,
                target,
                default_timezone=settings.default_timezone,
                progress=lambda line: print(line, file=sys.stderr),
            )
        except CopyRefused as exc:
            raise CliError(str(exc), EXIT_FAILURE) from None
        except StorageError as exc:
            raise CliError(f"--to: {exc}", EXIT_FAILURE) from None
        finally:
            await target.close()
    finally:
        await source.close()
    print(
        f"copied {report.total} rows in {len(report.rows)} tables from {report.source} to "
        f"{report.target}; row counts and the markdown export of {len(report.exports)} "
        "servers are identical. Set DATABASE_URL to the new database and restart the bot."
    )
    return EXIT_OK
