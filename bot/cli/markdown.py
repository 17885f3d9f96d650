"""``export`` and ``import``: the schedule as the group's README-style markdown."""

from __future__ import annotations

import argparse
import os
import select
import stat
import sys
from pathlib import Path
from typing import BinaryIO

from bot.cli.common import (
    EXIT_OK,
    GUILD_HELP,
    CliError,
    cli_date,
    guild_id,
    no_data,
    with_services,
    write_output,
)
from bot.container import Services
from bot.settings import Settings

READ_CHUNK = 1 << 20


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = sub.add_parser(
        "export",
        help="write the schedule as README-style markdown",
        description="Write a server's schedule (and reading list) as the group's README "
        "table, offline from the database. A server without sessions gives an empty table "
        "and a note on stderr (exit status 0).",
    )
    export.add_argument("--guild", type=guild_id, required=True, metavar="ID", help=GUILD_HELP)
    export.add_argument(
        "--out", type=Path, metavar="FILE", help="file to write (default: standard output)"
    )
    export.add_argument("--upcoming", action="store_true", help="only sessions still to come")
    export.add_argument(
        "--since", metavar="DATE", help="first date to include (2025-02-07 or the server's format)"
    )
    export.add_argument(
        "--until", metavar="DATE", help="last date to include (2025-02-07 or the server's format)"
    )
    export.add_argument("--no-reading-list", action="store_true", help="leave out the reading list")
    export.set_defaults(handler=_cmd_export)
    imp = sub.add_parser(
        "import",
        help="read a README-style markdown schedule into a server",
        description="Read a README schedule and reading list into a server's data, merging "
        "(nothing is deleted) in one transaction, and print a report line by line. A file "
        "that is not a schedule exits with status 1, nothing written.",
    )
    imp.add_argument("--guild", type=guild_id, required=True, metavar="ID", help=GUILD_HELP)
    imp.add_argument("file", type=Path, help="markdown file to import (UTF-8, at most 64 MiB)")
    imp.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")
    imp.add_argument(
        "--overwrite",
        action="store_true",
        help="replace stored values the file has differently (default: keep them, report "
        "each conflict)",
    )
    imp.set_defaults(handler=_cmd_import, prepare=_read_import_file)


async def _cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    from bot.errors import UserError
    from bot.markdown.service import ExportOptions

    async def write(services: Services) -> int:
        date_format = (await services.markdown.config(args.guild)).date_format
        options = ExportOptions(
            since=cli_date(args.since, "--since", date_format),
            until=cli_date(args.until, "--until", date_format),
            upcoming=args.upcoming,
            reading_list=not args.no_reading_list,
        )
        try:
            result = await services.markdown.export(args.guild, options)
        except UserError as exc:
            raise CliError(str(exc)) from None
        write_output(result.data, args.out)
        if result.sessions == 0 and result.topics == 0:
            print(
                no_data(args.guild, "sessions or reading list", "wrote an empty table"),
                file=sys.stderr,
            )
        elif args.out:
            print(
                f"wrote {result.sessions} sessions and {result.topics} reading-list topics "
                f"to {args.out}",
                file=sys.stderr,
            )
        return EXIT_OK

    return await with_services(settings, write)


def read_limited(path: Path, limit: int) -> bytes:
    """At most ``limit`` bytes of ``path`` (a file, a pipe, a device), or a CliError when it
    holds more: reading stops at the limit instead of taking in an endless stream such as
    /dev/zero first."""
    try:
        with path.open("rb", buffering=0) as stream:
            return _read_chunks(stream, limit, path)
    except IsADirectoryError:
        raise CliError(f"{path} is a directory: name a markdown file") from None
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from None


def _read_chunks(stream: BinaryIO, limit: int, path: Path) -> bytes:
    fd = stream.fileno()
    waits = not stat.S_ISREG(os.fstat(fd).st_mode)
    chunks: list[bytes] = []
    total = 0
    while True:
        # A pipe or a terminal may wait for its writer: wait in short steps, so that a
        # Ctrl-C arriving just before a read still ends it at once.
        while waits and not select.select([fd], [], [], 0.25)[0]:
            pass
        chunk = stream.read(min(READ_CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise CliError(
                f"{path} holds more than {limit / 1_048_576:.0f} MiB, the most an import "
                "reads (reading stopped there); nothing was imported"
            )


def _read_import_file(args: argparse.Namespace) -> None:
    """Read (and decode) the file before the event loop starts, so that Ctrl-C stops a read
    that waits on a pipe or a terminal at once."""
    from bot.errors import UserError
    from bot.markdown.service import MAX_IMPORT_BYTES, decode_markdown

    data = read_limited(args.file, MAX_IMPORT_BYTES)
    try:
        args.text = decode_markdown(data)
    except UserError as exc:
        raise CliError(f"{args.file}: {exc}") from None


async def _cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from bot.errors import UserError

    text: str = args.text

    async def run(services: Services) -> int:
        if not args.dry_run:
            args.interrupted = "the import was rolled back: nothing was written"
        try:
            report = await services.markdown.import_text(
                args.guild, text, dry_run=args.dry_run, overwrite=args.overwrite
            )
        except UserError as exc:
            raise CliError(f"{args.file}: {exc}") from None
        if not args.dry_run:
            args.interrupted = "the import had been saved"
        sys.stdout.write(report.text())
        if args.dry_run:
            print("dry run: nothing was written")
        elif report.conflicts:
            print(
                f"{len(report.conflicts)} row(s) in conflict kept the server's values; "
                "import again with --overwrite to replace them"
            )
        return EXIT_OK

    return await with_services(settings, run)
