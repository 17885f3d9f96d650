"""``publish``: the schedule to the group's GitHub README (and its calendar next to it)."""

from __future__ import annotations

import argparse
import sys

from bot.cli.common import EXIT_CONFIG, EXIT_OK, GUILD_HELP, CliError, guild_id, with_services
from bot.container import Services
from bot.settings import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    publish = sub.add_parser(
        "publish",
        help="publish the schedule to the server's GitHub repository (set with /publish setup)",
        description="Commit the schedule section of the README and schedule.ics to the "
        "repository set with /publish setup (needs GITHUB_TOKEN); prints the diff first.",
    )
    publish.add_argument("--guild", type=guild_id, required=True, metavar="ID", help=GUILD_HELP)
    publish.add_argument("--dry-run", action="store_true", help="print the diff, publish nothing")
    publish.add_argument(
        "--place",
        metavar="WHERE",
        help="where the schedule goes in a README without markers: start, end (default) or "
        "'after:HEADING'",
    )
    publish.set_defaults(
        handler=_cmd_publish,
        interrupted="nothing was published, unless GitHub had already taken the commit: "
        "run publish --dry-run to see",
    )


async def _cmd_publish(settings: Settings, args: argparse.Namespace) -> int:
    from bot.errors import UserError
    from bot.publish.github import TokenMissing
    from bot.publish.markers import Placement

    try:
        placement = Placement.parse(args.place) if args.place else None
    except UserError as exc:
        raise CliError(f"--place: {exc}") from None

    async def run(services: Services) -> int:
        try:
            plan = await services.publish.prepare(args.guild, placement)
            if plan.needs_placement and plan.placement is None:
                print(
                    f"{plan.readme.path} has no reading-group markers yet: the schedule goes at "
                    "the end (choose with --place start|end|after:HEADING)",
                    file=sys.stderr,
                )
                plan = plan.placed(Placement())
            print(plan.summary())
            diff = plan.diff()
            if diff:
                print(diff)
            if args.dry_run:
                print("dry run: nothing was published")
                return EXIT_OK
            result = await services.publish.publish(plan, actor="python -m bot publish")
        except TokenMissing as exc:
            raise CliError(str(exc), EXIT_CONFIG) from None
        except UserError as exc:
            raise CliError(str(exc)) from None
        print(result.describe())
        return EXIT_OK

    return await with_services(settings, run)
