"""Application command registration, global and per guild."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .models import JSON
from .rest import ApiError, body_of, json_of, no_content, not_found, ok, snowflake

if TYPE_CHECKING:
    from .server import FakeDiscord
    from .state import World


def command_object(world: World, body: JSON, existing: JSON | None, guild_id: int | None) -> JSON:
    """The full command object Discord stores for a registration body."""
    kind = int(body.get("type") or 1)
    command_id = int(existing["id"]) if existing else world.ids.next()
    permissions = body.get("default_member_permissions")
    command: JSON = {
        "id": str(command_id),
        "application_id": str(world.application_id),
        "version": str(world.ids.next()),
        "type": kind,
        "name": body["name"],
        "name_localizations": body.get("name_localizations"),
        "description": body.get("description") or "",
        "description_localizations": body.get("description_localizations"),
        "default_member_permissions": None if permissions is None else str(permissions),
        "dm_permission": body.get("dm_permission", True),
        "nsfw": bool(body.get("nsfw", False)),
        "integration_types": body.get("integration_types") or [0],
        "contexts": body.get("contexts"),
    }
    if kind == 1:
        command["options"] = copy.deepcopy(body.get("options") or [])
    if guild_id is not None:
        command["guild_id"] = str(guild_id)
    return command


def same_command(command: JSON, body: JSON) -> bool:
    return command["name"] == body.get("name") and command["type"] == int(body.get("type") or 1)


def overwrite_commands(
    world: World, commands: dict[int, JSON], bodies: list[JSON], guild_id: int | None
) -> list[JSON]:
    """Bulk overwrite: same name and type keep their id, everything else is replaced."""
    old = list(commands.values())
    replacement: dict[int, JSON] = {}
    for body in bodies:
        existing = next((c for c in old if same_command(c, body)), None)
        command = command_object(world, body, existing, guild_id)
        replacement[int(command["id"])] = command
    commands.clear()
    commands.update(replacement)
    return list(commands.values())


def register(app: web.Application, fake: FakeDiscord) -> None:
    world = fake.world
    api = fake.api_prefix

    def scope(request: web.Request) -> tuple[dict[int, JSON], int | None]:
        if snowflake(request, "application_id") != world.application_id:
            raise ApiError(403, 50001, "Missing Access")
        if "guild_id" not in request.match_info:
            return world.global_commands, None
        guild_id = snowflake(request, "guild_id")
        if world.guild(guild_id) is None:
            raise ApiError(403, 50001, "Missing Access")
        return world.guild_commands.setdefault(guild_id, {}), guild_id

    def build(body: JSON, existing: JSON | None, guild_id: int | None) -> JSON:
        return command_object(world, body, existing, guild_id)

    def same(command: JSON, body: JSON) -> bool:
        return same_command(command, body)

    def find(commands: dict[int, JSON], request: web.Request) -> JSON:
        command = commands.get(snowflake(request, "command_id"))
        if command is None:
            raise not_found(10063, "application command")
        return command

    async def list_commands(request: web.Request) -> web.Response:
        commands, _ = scope(request)
        return ok(list(commands.values()))

    async def bulk_overwrite(request: web.Request) -> web.Response:
        commands, guild_id = scope(request)
        bodies: Any = body_of(request).json or []
        return ok(overwrite_commands(world, commands, bodies, guild_id))

    async def create(request: web.Request) -> web.Response:
        commands, guild_id = scope(request)
        body = json_of(request)
        existing = next((c for c in commands.values() if same(c, body)), None)
        command = build(body, existing, guild_id)
        commands[int(command["id"])] = command
        return ok(command, status=200 if existing else 201)

    async def get_one(request: web.Request) -> web.Response:
        commands, _ = scope(request)
        return ok(find(commands, request))

    async def edit(request: web.Request) -> web.Response:
        commands, guild_id = scope(request)
        current = find(commands, request)
        merged = {**current, **json_of(request)}
        command = build(merged, current, guild_id)
        commands[int(command["id"])] = command
        return ok(command)

    async def delete(request: web.Request) -> web.Response:
        commands, _ = scope(request)
        commands.pop(int(find(commands, request)["id"]))
        return no_content()

    async def all_permissions(request: web.Request) -> web.Response:
        _, guild_id = scope(request)
        stored = world.command_permissions.get(guild_id or 0, {})
        return ok(list(stored.values()))

    async def one_permissions(request: web.Request) -> web.Response:
        _, guild_id = scope(request)
        stored = world.command_permissions.get(guild_id or 0, {})
        found = stored.get(snowflake(request, "command_id"))
        if found is None:
            raise not_found(10066, "application command permissions")
        return ok(found)

    async def edit_permissions(request: web.Request) -> web.Response:
        scope(request)
        raise ApiError(
            401,
            50001,
            "Missing Access: editing command permissions needs an OAuth2 Bearer token, "
            "a bot token cannot do it",
            violation="bot_token_rejected",
        )

    base = api + "/applications/{application_id}"
    for prefix in (base, base + "/guilds/{guild_id}"):
        app.router.add_get(prefix + "/commands", list_commands)
        app.router.add_put(prefix + "/commands", bulk_overwrite)
        app.router.add_post(prefix + "/commands", create)
    guild = base + "/guilds/{guild_id}/commands"
    app.router.add_get(guild + "/permissions", all_permissions)
    app.router.add_get(guild + "/{command_id}/permissions", one_permissions)
    app.router.add_put(guild + "/{command_id}/permissions", edit_permissions)
    for prefix in (base, base + "/guilds/{guild_id}"):
        app.router.add_get(prefix + "/commands/{command_id}", get_one)
        app.router.add_patch(prefix + "/commands/{command_id}", edit)
        app.router.add_delete(prefix + "/commands/{command_id}", delete)
