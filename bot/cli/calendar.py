"""``calendar``: the schedule as an iCalendar (.ics) file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli.common import EXIT_OK, GUILD_HELP, guild_id, no_data, with_services, write_output
from bot.container import Services
from bot.settings import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cal = sub.add_parser(
        "calendar",
        help="write the schedule as an iCalendar (.ics) file",
        description="Write a server's sessions as an iCalendar file with stable event ids "
        "(importing a newer file updates the events). A server without sessions gives a "
        "calendar without events and a note on stderr (exit status 0).",
    )
    cal.add_argument("--guild", type=guild_id, required=True, metavar="ID", help=GUILD_HELP)
    cal.add_argument(
        "--out", type=Path, metavar="FILE", help="file to write (default: standard output)"
    )
    cal.set_defaults(handler=_cmd_calendar)


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
        write_output(data, args.out)
        if not views:
            print(
                no_data(args.guild, "sessions", "wrote a calendar without events"), file=sys.stderr
            )
        elif args.out:
            print(f"wrote {len(views)} sessions to {args.out}", file=sys.stderr)
        return EXIT_OK

    return await with_services(settings, write)
