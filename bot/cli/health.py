"""``healthcheck``: what the Docker HEALTHCHECK runs. Asks this machine's ``/healthz``
(HEALTH_PORT); without HEALTH_PORT there is nothing to ask and it succeeds."""

from __future__ import annotations

import argparse

from bot.cli.common import EXIT_FAILURE, EXIT_OK
from bot.settings import Settings

TIMEOUT = 3.0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = sub.add_parser(
        "healthcheck",
        help="exit 0 when /healthz answers (HEALTH_PORT), for container probes",
        description="Ask this machine's /healthz (HEALTH_PORT) and exit 0 when the bot is "
        "healthy, 1 otherwise; without HEALTH_PORT it succeeds. The Docker HEALTHCHECK runs it.",
    )
    check.set_defaults(handler=_cmd_healthcheck)


async def _cmd_healthcheck(settings: Settings, args: argparse.Namespace) -> int:
    import aiohttp

    if settings.health_port is None:
        print("HEALTH_PORT is not set: no health endpoint to ask")
        return EXIT_OK
    url = f"http://127.0.0.1:{settings.health_port}/healthz"
    try:
        timeout = aiohttp.ClientTimeout(total=TIMEOUT)
        async with aiohttp.ClientSession(timeout=timeout) as http, http.get(url) as answer:
            body = await answer.text()
            healthy = answer.status == 200
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        print(f"unhealthy: {url} does not answer ({exc.__class__.__name__})")
        return EXIT_FAILURE
    print(("healthy: " if healthy else "unhealthy: ") + body)
    return EXIT_OK if healthy else EXIT_FAILURE
