"""Command line: ``python -m bot [COMMAND]``, one module of this package per command group.

Every failure the user can fix is printed as one line on stderr (never a traceback):
exit status 2 for configuration (settings, DATABASE_URL, token), 1 for other failures.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from bot.cli import backup, calendar, copy_db, doctor, health, markdown, publish, run
from bot.cli.common import EXIT_CONFIG, EXIT_OK, CliError, OneLineParser
from bot.logs import setup_logging
from bot.settings import SettingsError, load_settings

# Each module adds its subcommands with ``register(subparsers)``; a subcommand names its
# coroutine ``handler(settings, args) -> exit status``.
COMMAND_MODULES = (run, markdown, calendar, publish, copy_db, backup, doctor, health)


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="python -m bot",
        description="Reading group assistant: a Discord bot for a paper reading group.",
    )
    parser.add_argument("--env-file", default=".env", help="settings file (default: .env)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    parser.set_defaults(handler=run.run_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(env_file=args.env_file)
        secrets = [
            s.get_secret_value()
            for s in (settings.discord_token, settings.openai_api_key, settings.github_token)
            if s is not None
        ]
        setup_logging(settings.log_level_number, secrets)
        status: int = asyncio.run(args.handler(settings, args))
        return status
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        return EXIT_OK
