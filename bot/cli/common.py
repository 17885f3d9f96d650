"""What every command of the command line shares: one-line failures, exit statuses, the
database and services, server ids, dates and output files."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import NoReturn

from bot.settings import SNOWFLAKE_MAX, Settings
from storage.db import Database, StorageError

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG = 2
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report it

NOTHING_WRITTEN = "nothing was written"

GUILD_HELP = (
    "the server id (Discord: User Settings → Advanced → Developer Mode on, then right-click "
    "the server → Copy Server ID)"
)


class OneLineParser(argparse.ArgumentParser):
    """Usage mistakes (a bad ``--guild``, a missing argument) as one line, exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_CONFIG, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


class CliError(Exception):
    """A one-line failure for the command line, with its exit status."""

    def __init__(self, message: str, status: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.status = status


def guild_id(text: str) -> int:
    """argparse type of ``--guild``: a Discord server id (a positive 64-bit snowflake)."""
    try:
        value = int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a server id: copy it with Discord's Developer Mode "
            "(right-click the server → Copy Server ID)"
        ) from None
    if not 1 <= value <= SNOWFLAKE_MAX:
        raise argparse.ArgumentTypeError(
            f"{text} is not a server id: ids are whole numbers from 1 to {SNOWFLAKE_MAX}"
        )
    return value


def database_failure(exc: BaseException, database_url: str) -> CliError | None:
    """A database error that reached the top of a command (a damaged SQLite file, a lost
    server) as one line; None for anything else."""
    from sqlalchemy.exc import DBAPIError

    if not isinstance(exc, DBAPIError):
        return None
    from storage.db import describe_failure, normalize_url

    return CliError(describe_failure(normalize_url(database_url), exc))


async def open_database(settings: Settings) -> Database:
    try:
        db = await Database.open(settings.database_url, **settings.pool_options())
        await db.migrate()
    except StorageError as exc:
        raise CliError(str(exc), EXIT_CONFIG) from None
    return db


async def with_services(
    settings: Settings, action: Callable[..., Awaitable[int]], *args: object
) -> int:
    """Run ``action(services, *args)`` on the migrated database, closed afterwards."""
    from bot.container import Services

    db = await open_database(settings)
    try:
        return await action(Services(settings=settings, db=db), *args)
    finally:
        await db.close()


def cli_date(text: str | None, option: str, date_format: str = "DD.MM.YYYY") -> date | None:
    """A date option read as ``/export`` reads it, in the server's date format."""
    if text is None:
        return None
    from bot.dates import parse_date
    from bot.errors import InvalidInput

    try:
        return parse_date(text, date.today(), date_format)
    except InvalidInput as exc:
        raise CliError(f"{option}: {exc}") from None


def no_data(guild: int, missing: str, written: str) -> str:
    """The one line on stderr when a server has nothing to export (the exit status stays 0
    and the output is still a valid, empty file)."""
    return (
        f"server {guild} has no {missing} in this database ({written}): check the server id "
        "and DATABASE_URL"
    )


def write_output(data: bytes, path: Path | None) -> None:
    """Write to ``path``, or to standard output without one."""
    if path is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None
