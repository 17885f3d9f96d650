"""``doctor``: check the configuration end to end and print what is fine and what to fix.

Exit status 0 when everything is fine, 1 when something needs fixing. Nothing is changed:
the database is not migrated, no message is posted.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.cli.common import EXIT_FAILURE, EXIT_OK, GUILD_HELP, guild_id
from bot.ops.doctor import FIX, INFO, OK, SKIP, TIMEOUT, Check, arxiv, database, llm, render
from bot.ops.doctor import token_shape as check_token_shape
from bot.settings import Settings

MAX_GUILDS = 25  # servers checked without --guild (each costs a few Discord requests)

# What the bot needs in each configured channel.
ANNOUNCEMENT_NEEDS = ("view_channel", "send_messages", "embed_links", "read_message_history")
PIN_NEEDS = ("view_channel", "send_messages", "read_message_history", "manage_messages")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    doctor = sub.add_parser(
        "doctor",
        help="check token, database, Discord permissions, LLM and arXiv; print a table",
        description="Check the configuration end to end and print what is fine and what to "
        "fix; exit status 1 while something needs fixing. Changes nothing.",
    )
    doctor.add_argument(
        "--guild",
        type=guild_id,
        action="append",
        metavar="ID",
        help="check only this server (repeatable); " + GUILD_HELP,
    )
    doctor.set_defaults(handler=_cmd_doctor)


async def _cmd_doctor(settings: Settings, args: argparse.Namespace) -> int:
    token = settings.discord_token.get_secret_value() if settings.discord_token else None
    checks: list[Check] = [check_token_shape(token)]
    answered, schema = await database(settings)
    checks.append(answered)
    if schema is not None:
        checks.append(schema)
    configs: list[Any] = []
    if answered.status == OK:
        configs = await _configured_servers(settings, args.guild)
    if checks[0].status == OK and token is not None:
        checks.extend(await _discord(settings, token.strip(), configs, args.guild))
    else:
        checks.append(Check("Discord", SKIP, "needs a token shaped like a bot token"))
    checks.append(await llm(settings))
    checks.append(await arxiv(settings))
    sys.stdout.write(render(checks))
    return EXIT_FAILURE if any(c.failed for c in checks) else EXIT_OK


async def _configured_servers(settings: Settings, only: list[int] | None) -> list[Any]:
    from storage.db import Database, StorageError

    try:
        db = await Database.open(settings.database_url)
    except StorageError:
        return []
    try:
        if await db.current_revision() is None:
            return []
        async with db.unit() as uow:
            configs = list(await uow.guilds.get_many(only) if only else await uow.guilds.all())
    finally:
        await db.close()
    return configs


def _missing(permissions: Any, needs: tuple[str, ...]) -> list[str]:
    return [name.replace("_", " ").title() for name in needs if not getattr(permissions, name)]


async def _discord(
    settings: Settings, token: str, configs: list[Any], only: list[int] | None
) -> list[Check]:
    import asyncio

    import discord

    from bot.app import point_discord_at

    point_discord_at(settings)
    client = discord.Client(intents=discord.Intents.none())
    checks: list[Check] = []
    try:
        try:
            await asyncio.wait_for(client.login(token), TIMEOUT)
        except discord.LoginFailure:
            return [Check("Discord login", FIX, "Discord rejected DISCORD_TOKEN: reset it")]
        except (discord.HTTPException, OSError, TimeoutError) as exc:
            return [Check("Discord login", FIX, f"Discord does not answer: {exc}")]
        assert client.user is not None
        checks.append(Check("Discord login", OK, f"logged in as {client.user}"))
        checks.append(await _shards(settings, client))
        if only:
            missing = set(only) - {c.guild_id for c in configs}
            checks.extend(
                Check(f"Server {g}", FIX, "has no settings yet: run /setup there")
                for g in sorted(missing)
            )
        if not configs and not only:
            checks.append(Check("Channels", INFO, "no server has been set up yet (/setup)"))
        for config in configs[:MAX_GUILDS]:
            checks.extend(await _server(client, config))
        if len(configs) > MAX_GUILDS:
            checks.append(
                Check(
                    "Channels",
                    INFO,
                    f"{len(configs) - MAX_GUILDS} more servers not checked (use --guild ID)",
                )
            )
    finally:
        await client.close()
    return checks


async def _shards(settings: Settings, client: Any) -> Check:
    import discord

    try:
        recommended, _, limits = await client.http.get_bot_gateway()
    except discord.DiscordException as exc:
        return Check("Gateway", FIX, f"GET /gateway/bot failed: {exc}")
    left = f"{limits['remaining']} of {limits['total']} session starts left today"
    if settings.shard_count is not None and settings.shard_count < recommended:
        return Check(
            "Gateway",
            FIX,
            f"Discord recommends {recommended} shards, SHARD_COUNT is {settings.shard_count}; "
            f"{left}",
        )
    if settings.shard_count is None and recommended > 1:
        return Check("Gateway", FIX, f"Discord recommends {recommended} shards: set SHARD_COUNT")
    layout = (
        f"SHARD_COUNT {settings.shard_count}, this process runs "
        f"{settings.shard_ids or 'all of them'}"
        if settings.shard_count
        else "one process, no sharding"
    )
    return Check("Gateway", OK, f"{layout}; {left}")


async def _server(client: Any, config: Any) -> list[Check]:
    import discord

    label = f"Server {config.guild_id}"
    try:
        guild = await client.fetch_guild(config.guild_id)
        me = await guild.fetch_member(client.user.id)
    except (discord.Forbidden, discord.NotFound):
        return [Check(label, FIX, "the bot is not in this server any more (invite it again)")]
    except discord.HTTPException as exc:
        return [Check(label, FIX, f"Discord answered {exc.status} for this server")]
    label = f"{guild.name} ({guild.id})"
    checks: list[Check] = []
    wanted = [
        ("announcement channel", config.announcement_channel_id, ANNOUNCEMENT_NEEDS),
        ("pinned schedule", config.export_pin_channel_id, PIN_NEEDS),
    ]
    for role, channel_id, needs in wanted:
        if channel_id is None:
            continue
        try:
            channel = await guild.fetch_channel(channel_id)
        except discord.NotFound:
            checks.append(Check(label, FIX, f"the {role} <#{channel_id}> was deleted: choose one"))
            continue
        except discord.Forbidden:
            checks.append(Check(label, FIX, f"cannot see the {role} #{channel_id}: allow View"))
            continue
        missing = _missing(channel.permissions_for(me), needs)
        if missing:
            checks.append(
                Check(label, FIX, f"in #{channel.name} ({role}) grant: {', '.join(missing)}")
            )
        else:
            checks.append(Check(label, OK, f"#{channel.name} ({role}): permissions fine"))
    if config.events_enabled and not me.guild_permissions.manage_events:
        checks.append(
            Check(label, FIX, "grant Manage Events (and Create Events) to mirror sessions")
        )
    if not checks:
        checks.append(Check(label, INFO, "no channel configured (/reminders set channel:)"))
    return checks
