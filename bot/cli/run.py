"""``run`` (the default), ``sync`` and ``migrate``: the bot itself and its database."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from typing import TYPE_CHECKING

from bot.cli.common import (
    EXIT_CONFIG,
    EXIT_INTERRUPTED,
    EXIT_OK,
    CliError,
    guild_id,
    open_database,
)
from bot.settings import Settings

if TYPE_CHECKING:
    import discord

    from bot.app import ReadingGroupBot

log = logging.getLogger("bot")

SYNC_INTERRUPTED = "the commands may or may not have been registered: run sync again"
STOPPED_STARTING = "the bot stopped while starting (a migration under way was rolled back)"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = sub.add_parser(
        "run",
        help="run the bot (the default)",
        description="Log in to Discord and run the bot until Ctrl-C or SIGTERM. The "
        "database is created and migrated first; slash commands are registered when they "
        "changed since the last start.",
    )
    run.set_defaults(handler=run_command, interrupted=STOPPED_STARTING)
    migrate = sub.add_parser(
        "migrate",
        help="apply database migrations and exit",
        description="Create the database or bring its schema up to date, then exit.",
    )
    migrate.set_defaults(
        handler=_cmd_migrate, interrupted="the migration was rolled back: nothing was written"
    )
    sync = sub.add_parser(
        "sync",
        help="register the slash commands with Discord and exit",
        description="Register the slash commands with Discord now (globally they can take "
        "minutes to appear; with --guild they appear in that server at once).",
    )
    sync.add_argument(
        "--guild",
        type=guild_id,
        metavar="ID",
        help="register in this server only, instantly (Developer Mode → right-click the "
        "server → Copy Server ID)",
    )
    sync.set_defaults(handler=_cmd_sync, interrupted=SYNC_INTERRUPTED)


async def run_command(settings: Settings, args: argparse.Namespace) -> int:
    return await run_bot(settings)


async def _cmd_sync(settings: Settings, args: argparse.Namespace) -> int:
    return await run_bot(settings, sync_guild=args.guild, sync_only=True)


async def _sync(bot: ReadingGroupBot) -> int:
    """Register the commands; Ctrl-C stops the request in hand (Discord may be making it
    wait out a rate limit) and closes the connection before the loop ends, so nothing is
    cut half-way in the network code."""
    loop = asyncio.get_running_loop()
    interrupted = asyncio.Event()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, interrupted.set)
    try:
        syncing = asyncio.create_task(bot.sync_commands())
        waiting = asyncio.create_task(interrupted.wait())
        done, _ = await asyncio.wait({syncing, waiting}, return_when=asyncio.FIRST_COMPLETED)
        if syncing in done:
            waiting.cancel()
            print(f"synced {syncing.result()} commands")
            return EXIT_OK
        syncing.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await syncing
        await bot.close()
        print(f"Interrupted: {SYNC_INTERRUPTED}", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)


async def _cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    db = await open_database(settings)
    try:
        revision = await db.current_revision()
    finally:
        await db.close()
    print(f"database is at schema revision {revision}")
    return EXIT_OK


async def run_bot(
    settings: Settings, *, sync_guild: int | None = None, sync_only: bool = False
) -> int:
    import discord

    from bot.app import build_bot, point_discord_at

    token = settings.require_token()
    point_discord_at(settings)
    db = await open_database(settings)
    if sync_guild is not None:
        settings = settings.model_copy(update={"dev_guild_id": sync_guild})
    bot = build_bot(settings, database=db, sync_commands=not sync_only)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    received: list[signal.Signals] = []

    def on_signal(sig: signal.Signals) -> None:
        received.append(sig)
        stop.set()

    if not sync_only:  # sync stops its own way (see _sync)
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, on_signal, sig)
    try:
        async with bot:
            await _login(bot, token, proxied=settings.discord_api_base is not None)
            if sync_only:
                return await _sync(bot)
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
                try:
                    await runner
                except asyncio.CancelledError:
                    pass
                except Exception:
                    # A connection being made when the stop came fails on its way down
                    # (aiohttp, the websocket): that says nothing about the stop itself.
                    log.debug(
                        "the gateway connection ended with an error at the stop", exc_info=True
                    )
                if signal.SIGINT in received:
                    print("Interrupted: the bot shut down cleanly", file=sys.stderr)
                    return EXIT_INTERRUPTED
    except discord.PrivilegedIntentsRequired:
        raise CliError(
            "Discord refused a privileged intent this bot does not need; report this"
        ) from None
    except (discord.GatewayNotFound, discord.ConnectionClosed, OSError) as exc:
        raise CliError(f"could not stay connected to Discord: {exc}") from None
    finally:
        await db.close()
    return EXIT_OK


async def _login(bot: discord.Client, token: str, *, proxied: bool) -> None:
    """Log in, with every way Discord can refuse turned into one line."""
    import aiohttp
    import discord

    check = "DISCORD_TOKEN and DISCORD_API_BASE" if proxied else "DISCORD_TOKEN"
    try:
        await bot.login(token)
    except discord.LoginFailure:
        raise CliError(
            "DISCORD_TOKEN was rejected by Discord: copy the token again from the "
            "Developer Portal (Bot → Reset Token)",
            EXIT_CONFIG,
        ) from None
    except discord.DiscordServerError as exc:
        raise CliError(
            f"Discord answered {exc.status} (a server error) at login: it is having trouble; "
            "try again in a few minutes (https://discordstatus.com)"
        ) from None
    except discord.HTTPException as exc:
        raise CliError(
            f"Discord refused the login with {exc.status} {exc.response.reason}: check {check}"
        ) from None
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise CliError(f"cannot reach Discord to log in: {exc.__class__.__name__}") from None
    except (TypeError, KeyError, ValueError, AttributeError):
        # discord.py hands on whatever came back; anything but the user object fails here
        raise CliError(
            "Discord's answer at login was not understood (not the expected JSON): "
            + ("check DISCORD_API_BASE" if proxied else "try again in a few minutes")
        ) from None
