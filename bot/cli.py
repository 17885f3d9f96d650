"""Command line: ``python -m bot [run|migrate|sync|export|import|calendar]``.

Every failure the user can fix is printed as one line on stderr (never a traceback):
exit status 2 for configuration (settings, DATABASE_URL, token), 1 for other failures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from pathlib import Path

import discord

from bot.container import Services
from bot.logs import setup_logging
from bot.settings import Settings, SettingsError, load_settings
from storage.db import Database, StorageError

log = logging.getLogger("bot")

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG = 2


class CliError(Exception):
    """A one-line failure for the command line, with its exit status."""

    def __init__(self, message: str, status: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.status = status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Reading group assistant: a Discord bot for a paper reading group.",
    )
    parser.add_argument("--env-file", default=".env", help="settings file (default: .env)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("run", help="run the bot (the default)")
    sub.add_parser("migrate", help="apply database migrations and exit")
    sync = sub.add_parser("sync", help="register the slash commands with Discord and exit")
    sync.add_argument("--guild", type=int, help="sync to this server only (instant)")
    export = sub.add_parser("export", help="write the schedule as README-style markdown")
    export.add_argument("--guild", type=int, required=True, help="server id")
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    export.add_argument("--upcoming", action="store_true", help="only sessions still to come")
    export.add_argument("--since", help="first date to include (YYYY-MM-DD)")
    export.add_argument("--until", help="last date to include (YYYY-MM-DD)")
    export.add_argument("--no-reading-list", action="store_true", help="leave out the reading list")
    imp = sub.add_parser("import", help="read a README-style markdown schedule into a server")
    imp.add_argument("--guild", type=int, required=True, help="server id")
    imp.add_argument("file", type=Path, help="markdown file to import")
    imp.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")
    cal = sub.add_parser("calendar", help="write the schedule as an iCalendar (.ics) file")
    cal.add_argument("--guild", type=int, required=True, help="server id")
    cal.add_argument("--out", type=Path, help="file to write (default: standard output)")
    return parser


async def _open_database(settings: Settings) -> Database:
    try:
        db = await Database.open(settings.database_url)
        await db.migrate()
    except StorageError as exc:
        raise CliError(str(exc), EXIT_CONFIG) from None
    return db


async def _with_services(
    settings: Settings, action: Callable[..., Awaitable[int]], *args: object
) -> int:
    db = await _open_database(settings)
    try:
        return await action(Services(settings=settings, db=db), *args)
    finally:
        await db.close()


async def _cmd_migrate(settings: Settings) -> int:
    db = await _open_database(settings)
    try:
        revision = await db.current_revision()
    finally:
        await db.close()
    print(f"database is at schema revision {revision}")
    return EXIT_OK


async def _run_bot(
    settings: Settings, *, sync_guild: int | None = None, sync_only: bool = False
) -> int:
    from bot.app import ReadingGroupBot

    token = settings.require_token()
    db = await _open_database(settings)
    if sync_guild is not None:
        settings = settings.model_copy(update={"dev_guild_id": sync_guild})
    bot = ReadingGroupBot(settings, database=db, sync_commands=not sync_only)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        async with bot:
            try:
                await bot.login(token)
            except discord.LoginFailure:
                raise CliError(
                    "DISCORD_TOKEN was rejected by Discord: copy the token again from the "
                    "Developer Portal (Bot → Reset Token)",
                    EXIT_CONFIG,
                ) from None
            if sync_only:
                count = await bot.sync_commands()
                print(f"synced {count} commands")
                return EXIT_OK
            runner = asyncio.create_task(bot.connect(reconnect=True))
            stopper = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if runner in done:
                stopper.cancel()
                runner.result()
            else:
                log.info("shutting down")
                await bot.close()
                runner.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await runner
    except discord.PrivilegedIntentsRequired:
        raise CliError(
            "Discord refused a privileged intent this bot does not need; report this"
        ) from None
    except (discord.GatewayNotFound, discord.ConnectionClosed, OSError) as exc:
        raise CliError(f"could not stay connected to Discord: {exc}") from None
    finally:
        await db.close()
    return EXIT_OK


def _cli_date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    from bot.dates import parse_date
    from bot.errors import InvalidInput

    try:
        return parse_date(text, date.today())
    except InvalidInput as exc:
        raise CliError(f"{option}: {exc}") from None


async def _cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    from bot.errors import UserError
    from bot.markdown.service import ExportOptions

    options = ExportOptions(
        since=_cli_date(args.since, "--since"),
        until=_cli_date(args.until, "--until"),
        upcoming=args.upcoming,
        reading_list=not args.no_reading_list,
    )

    async def write(services: Services) -> int:
        try:
            result = await services.markdown.export(args.guild, options)
        except UserError as exc:
            raise CliError(str(exc)) from None
        _write_output(result.data, args.out)
        if args.out:
            print(
                f"wrote {result.sessions} sessions and {result.topics} reading-list topics "
                f"to {args.out}",
                file=sys.stderr,
            )
        return EXIT_OK

    return await _with_services(settings, write)


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
            report = await services.markdown.import_text(args.guild, text, dry_run=args.dry_run)
        except UserError as exc:
            raise CliError(f"{args.file}: {exc}") from None
        sys.stdout.write(report.text())
        if args.dry_run:
            print("dry run: nothing was written")
        return EXIT_OK

    return await _with_services(settings, run)


async def _cmd_calendar(settings: Settings, args: argparse.Namespace) -> int:
    from bot.schedule.calendar import build_calendar

    async def write(services: Services) -> int:
        config = await services.guilds.get(args.guild)
        views = await services.schedule.everything(args.guild, include_cancelled=True)
        data = build_calendar(
            args.guild,
            views,
            name=config.group_name or "Reading group",
            timezone=config.timezone,
        )
        _write_output(data, args.out)
        if args.out:
            print(f"wrote {len(views)} sessions to {args.out}", file=sys.stderr)
        return EXIT_OK

    return await _with_services(settings, write)


def _write_output(data: bytes, path: Path | None) -> None:
    if path is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "run"
    try:
        settings = load_settings(env_file=args.env_file)
        secrets = [
            s.get_secret_value()
            for s in (settings.discord_token, settings.openai_api_key)
            if s is not None
        ]
        setup_logging(settings.log_level_number, secrets)
        if command == "run":
            return asyncio.run(_run_bot(settings))
        if command == "sync":
            return asyncio.run(_run_bot(settings, sync_guild=args.guild, sync_only=True))
        if command == "migrate":
            return asyncio.run(_cmd_migrate(settings))
        handlers = {"export": _cmd_export, "import": _cmd_import, "calendar": _cmd_calendar}
        return asyncio.run(handlers[command](settings, args))
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        return EXIT_OK
