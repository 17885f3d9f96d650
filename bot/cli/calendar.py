"""``calendar``: the schedule as an iCalendar (.ics) file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli.common import EXIT_OK, guild_id, with_services, write_output
from bot.container import Services
from bot.settings import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cal = sub.add_parser("calendar", help="write the schedule as an iCalendar (.ics) file")
    cal.add_argument("--guild", type=guild_id, required=True, help="server id")
    cal.add_argument("--out", type=Path, help="file to write (default: standard output)")
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
        if args.out:
            print(f"wrote {len(views)} sessions to {args.out}", file=sys.stderr)
        return EXIT_OK

    return await with_services(settings, write)
