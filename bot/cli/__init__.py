"""Command line: ``python -m bot [COMMAND]``, one module of this package per command group.

Every failure the user can fix is printed as one line on stderr (never a traceback):
exit status 2 for configuration (settings, DATABASE_URL, token), 1 for other failures,
130 after Ctrl-C (with a line saying what was written).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.cli import backup, calendar, copy_db, doctor, health, markdown, publish, run
from bot.cli.common import (
    EXIT_CONFIG,
    EXIT_INTERRUPTED,
    NOTHING_WRITTEN,
    CliError,
    OneLineParser,
    database_failure,
)
from bot.logs import setup_logging
from bot.settings import SettingsError, load_settings

# Each module adds its subcommands with ``register(subparsers)``; a subcommand names its
# coroutine ``handler(settings, args) -> exit status``, optionally a ``prepare(args)`` run
# before the event loop starts (reading input a Ctrl-C must be able to stop at once), and
# ``interrupted``: what a Ctrl-C leaves behind (a handler updates it as it goes).
COMMAND_MODULES = (run, markdown, calendar, publish, copy_db, backup, doctor, health)

DEFAULT_ENV_FILE = ".env"


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="python -m bot",
        description="Reading group assistant: a Discord bot for a paper reading group. "
        "Without a command it runs the bot. Settings come from the environment and "
        "the settings file (see .env.example).",
    )
    parser.add_argument(
        "--env-file",
        metavar="PATH",
        help=f"settings file to read (default: {DEFAULT_ENV_FILE} when it exists; a file "
        "named here must exist)",
    )
    sub = parser.add_subparsers(
        dest="command",
        metavar="COMMAND",
        help="what to do (default: run); `python -m bot COMMAND --help` describes each",
    )
    for module in COMMAND_MODULES:
        module.register(sub)
    parser.set_defaults(handler=run.run_command, interrupted=NOTHING_WRITTEN)
    return parser


def _env_file(args: argparse.Namespace) -> str:
    if args.env_file is None:
        return DEFAULT_ENV_FILE
    if not Path(args.env_file).exists():
        raise SettingsError(f"--env-file {args.env_file}: no such file")
    return str(args.env_file)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command is None:  # no command: run the bot
        args.interrupted = run.STOPPED_STARTING
    database_url: str | None = None
    try:
        settings = load_settings(env_file=_env_file(args))
        secrets = [
            s.get_secret_value()
            for s in (settings.discord_token, settings.openai_api_key, settings.github_token)
            if s is not None
        ]
        setup_logging(settings.log_level_number, secrets)
        database_url = settings.database_url
        prepare = getattr(args, "prepare", None)
        if prepare is not None:
            prepare(args)
        status: int = asyncio.run(args.handler(settings, args))
        return status
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        print(f"Interrupted: {args.interrupted}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        failure = None if database_url is None else database_failure(exc, database_url)
        if failure is None:
            raise
        print(f"error: {failure}", file=sys.stderr)
        return failure.status
