"""``run`` (the default), ``sync`` and ``migrate``: the bot itself and its database."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from bot.cli.common import EXIT_CONFIG, EXIT_OK, CliError, guild_id, open_database
from bot.settings import Settings

log = logging.getLogger("bot")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = sub.add_parser("run", help="run the bot (the default)")
    run.set_defaults(handler=run_command)
    migrate = sub.add_parser("migrate", help="apply database migrations and exit")
    migrate.set_defaults(handler=_cmd_migrate)
    sync = sub.add_parser("sync", help="register the slash commands with Discord and exit")
    sync.add_argument("--guild", type=guild_id, help="sync to this server only (instant)")
    sync.set_defaults(handler=_cmd_sync)


async def run_command(settings: Settings, args: argparse.Namespace) -> int:
    return await run_bot(settings)


async def _cmd_sync(settings: Settings, args: argparse.Namespace) -> int:
    return await run_bot(settings, sync_guild=args.guild, sync_only=True)


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
