"""``export`` and ``import``: the schedule as the group's README-style markdown."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli.common import EXIT_OK, CliError, cli_date, guild_id, with_services, write_output
from bot.container import Services
from bot.settings import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = sub.add_parser("export", help="write the schedule as README-style markdown")
    export.add_argument("--guild", type=guild_id, required=True, help="server id")
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    export.add_argument("--upcoming", action="store_true", help="only sessions still to come")
    export.add_argument("--since", help="first date to include (YYYY-MM-DD)")
    export.add_argument("--until", help="last date to include (YYYY-MM-DD)")
    export.add_argument("--no-reading-list", action="store_true", help="leave out the reading list")
    export.set_defaults(handler=_cmd_export)
    imp = sub.add_parser("import", help="read a README-style markdown schedule into a server")
    imp.add_argument("--guild", type=guild_id, required=True, help="server id")
    imp.add_argument("file", type=Path, help="markdown file to import")
    imp.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")
    imp.add_argument(
        "--overwrite",
        action="store_true",
        help="replace stored values the file has differently (default: keep them, report "
        "each conflict)",
    )
    imp.set_defaults(handler=_cmd_import)


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
        if args.out:
            print(
                f"wrote {result.sessions} sessions and {result.topics} reading-list topics "
                f"to {args.out}",
                file=sys.stderr,
            )
        return EXIT_OK

    return await with_services(settings, write)


async def _cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from bot.errors import UserError
    from bot.markdown.service import decode_markdown

    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    try:
        text = decode_markdown(data)
    except UserError as exc:
        raise CliError(f"{args.file}: {exc}") from None

    async def run(services: Services) -> int:
        try:
            report = await services.markdown.import_text(
                args.guild, text, dry_run=args.dry_run, overwrite=args.overwrite
            )
        except UserError as exc:
            raise CliError(f"{args.file}: {exc}") from None
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
