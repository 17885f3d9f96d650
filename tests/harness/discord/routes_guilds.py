"""Guilds: the guild itself, channels, roles, members and scheduled events."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from aiohttp import web

from . import permissions as P
from .models import GUILD_TEXT, Guild, Member, Role, ScheduledEvent
from .rest import (
    ApiError,
    form_error,
    invalid_form,
    json_of,
    missing_access,
    missing_permissions,
    no_content,
    not_found,
    ok,
    snowflake,
)
from .validation import FieldError

if TYPE_CHECKING:
    from .server import FakeDiscord

EXTERNAL, STAGE, VOICE = 3, 1, 2
SCHEDULED, ACTIVE, COMPLETED, CANCELED = 1, 2, 3, 4
_ALLOWED_STATUS = {SCHEDULED: {ACTIVE, CANCELED}, ACTIVE: {COMPLETED}}


def register(app: web.Application, fake: FakeDiscord) -> None:
    world = fake.world
    api = fake.api_prefix

    def guild_of(request: web.Request) -> Guild:
        guild = world.guild(snowflake(request, "guild_id"))
        if guild is None:
            raise not_found(10004, "Guild")
        return guild

    def need(guild: Guild, *options: int) -> None:
        have = world.bot_permissions(guild)
        if not any(have & bits == bits for bits in options):
            raise missing_permissions()

    def member_of(guild: Guild, request: web.Request, key: str = "user_id") -> Member:
        member = guild.members.get(snowflake(request, key))
        if member is None:
            raise not_found(10007, "Member")
        return member

    def role_of(guild: Guild, request: web.Request) -> Role:
        role = guild.roles.get(snowflake(request, "role_id"))
        if role is None:
            raise not_found(10011, "Role")
        return role

    def above_bot(guild: Guild, role: Role) -> bool:
        return role.position >= guild.top_role_position(world.bot_member(guild))

    # ------------------------------------------------------------------ guild

    async def get_guild(request: web.Request) -> web.Response:
        guild = guild_of(request)
        data = guild.payload()
        if request.query.get("with_counts") in ("true", "1", "True"):
            data["approximate_member_count"] = len(guild.members)
            data["approximate_presence_count"] = 0
        return ok(data)

    async def list_channels(request: web.Request) -> web.Response:
        guild = guild_of(request)
        return ok([c.payload() for c in guild.channels.values() if not c.is_thread])

    async def create_channel(request: web.Request) -> web.Response:
        guild = guild_of(request)
        need(guild, P.MANAGE_CHANNELS)
        body = json_of(request)
        parent = guild.channels.get(int(body["parent_id"])) if body.get("parent_id") else None
        channel = world.add_channel(
            guild,
            body["name"],
            int(body.get("type") or GUILD_TEXT),
            topic=body.get("topic"),
            category=parent,
        )
        if body.get("permission_overwrites"):
            world.edit_channel(
                guild, channel, {"permission_overwrites": body["permission_overwrites"]}
            )
        return ok(channel.payload(), status=201)

    async def active_threads(request: web.Request) -> web.Response:
        guild = guild_of(request)
        threads = [t for t in guild.threads() if not t.archived]
        members = [
            t.thread_member_payload(world.bot.id) for t in threads if world.bot.id in t.member_ids
        ]
        return ok({"threads": [t.payload() for t in threads], "members": members})

    # ------------------------------------------------------------------ roles

    async def list_roles(request: web.Request) -> web.Response:
        return ok([r.payload() for r in guild_of(request).roles.values()])

    async def get_role(request: web.Request) -> web.Response:
        guild = guild_of(request)
        return ok(role_of(guild, request).payload())

    async def create_role(request: web.Request) -> web.Response:
        guild = guild_of(request)
        need(guild, P.MANAGE_ROLES)
        body = json_of(request)
        role = world.add_role(
            guild,
            body.get("name") or "new role",
            int(body.get("permissions") or 0),
            mentionable=bool(body.get("mentionable")),
            color=int(body.get("color") or 0),
        )
        return ok(role.payload())

    async def edit_role(request: web.Request) -> web.Response:
        guild = guild_of(request)
        need(guild, P.MANAGE_ROLES)
        role = role_of(guild, request)
        if above_bot(guild, role):
            raise missing_permissions()
        return ok(world.update_role(guild, role, json_of(request)).payload())

    async def delete_role(request: web.Request) -> web.Response:
        guild = guild_of(request)
        need(guild, P.MANAGE_ROLES)
        role = role_of(guild, request)
        if above_bot(guild, role) or role.is_everyone or role.managed_by_bot is not None:
            raise missing_permissions()
        world.delete_role(guild, role)
        return no_content()

    # ---------------------------------------------------------------- members

    async def get_member(request: web.Request) -> web.Response:
        guild = guild_of(request)
        return ok(member_of(guild, request, "member_id").payload())

    async def list_members(request: web.Request) -> web.Response:
        guild = guild_of(request)
        limit = int(request.query.get("limit", "1"))
        after = int(request.query.get("after", "0"))
        members = sorted(guild.members.values(), key=lambda m: m.id)
        return ok([m.payload() for m in members if m.id > after][:limit])

    def check_role_change(guild: Guild, role: Role) -> None:
        need(guild, P.MANAGE_ROLES)
        if role.is_everyone or role.managed_by_bot is not None:
            raise ApiError(403, 50013, "Missing Permissions")
        if above_bot(guild, role):
            raise missing_permissions()

    async def add_member_role(request: web.Request) -> web.Response:
        guild = guild_of(request)
        member, role = member_of(guild, request), role_of(guild, request)
        check_role_change(guild, role)
        world.add_member_role(guild, member, role)
        return no_content()

    async def remove_member_role(request: web.Request) -> web.Response:
        guild = guild_of(request)
        member, role = member_of(guild, request), role_of(guild, request)
        check_role_change(guild, role)
        world.remove_member_role(guild, member, role)
        return no_content()

    # ------------------------------------------------------- scheduled events

    def event_of(guild: Guild, request: web.Request) -> ScheduledEvent:
        event = world.events.get(guild.id, {}).get(snowflake(request, "event_id"))
        if event is None:
            raise not_found(10070, "Guild Scheduled Event")
        return event

    def check_event_body(guild: Guild, body: dict[str, object], creating: bool) -> None:
        errors: list[FieldError] = []
        entity_type = body.get("entity_type")
        for key in ("scheduled_start_time", "scheduled_end_time"):
            value = body.get(key)
            if value is None:
                continue
            try:
                moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            except ValueError:
                errors.append(
                    FieldError(
                        (key,), "DATE_TYPE_PARSE", f"Could not parse {value}. Should be ISO8601."
                    )
                )
                continue
            if moment.tzinfo is None:
                errors.append(
                    FieldError(
                        (key,), "DATE_TYPE_PARSE", f"Could not parse {value}. Should be ISO8601."
                    )
                )
            elif (
                key == "scheduled_start_time" and fake.reject_past_events and moment < world.clock()
            ):
                errors.append(
                    FieldError(
                        (key,),
                        "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST",
                        "Cannot schedule event in the past.",
                    )
                )
        if entity_type == EXTERNAL and creating and not body.get("scheduled_end_time"):
            errors.append(
                FieldError(("scheduled_end_time",), "BASE_TYPE_REQUIRED", "This field is required")
            )
        if entity_type in (STAGE, VOICE):
            channel = guild.channels.get(int(str(body.get("channel_id") or 0)))
            if channel is None:
                errors.append(
                    FieldError(("channel_id",), "BASE_TYPE_REQUIRED", "This field is required")
                )
        if errors:
            raise invalid_form(errors)

    async def list_events(request: web.Request) -> web.Response:
        guild = guild_of(request)
        with_count = request.query.get("with_user_count") in ("1", "true", "True")
        events = world.events.get(guild.id, {}).values()
        return ok([e.payload(with_user_count=with_count) for e in events])

    async def get_event(request: web.Request) -> web.Response:
        guild = guild_of(request)
        with_count = request.query.get("with_user_count") in ("1", "true", "True")
        return ok(event_of(guild, request).payload(with_user_count=with_count))

    async def create_event(request: web.Request) -> web.Response:
        guild = guild_of(request)
        need(guild, P.CREATE_EVENTS, P.MANAGE_EVENTS)
        body = json_of(request)
        check_event_body(guild, body, creating=True)
        live = [e for e in world.events.get(guild.id, {}).values() if e.status in (1, 2)]
        if len(live) >= fake.max_scheduled_events:
            raise ApiError(
                400,
                30038,
                f"Maximum number of guild scheduled events reached ({fake.max_scheduled_events})",
            )
        if body.get("channel_id"):
            channel = guild.channels.get(int(body["channel_id"]))
            if channel is not None and not world.bot_permissions(guild, channel) & P.VIEW_CHANNEL:
                raise missing_access()
        return ok(world.create_event(guild, world.bot, body).payload())

    async def edit_event(request: web.Request) -> web.Response:
        guild = guild_of(request)
        event = event_of(guild, request)
        if event.creator.id == world.bot.id:
            need(guild, P.CREATE_EVENTS, P.MANAGE_EVENTS)
        else:
            need(guild, P.MANAGE_EVENTS)
        body = json_of(request)
        merged_type = body.get("entity_type", event.entity_type)
        check_event_body(guild, {**body, "entity_type": merged_type}, creating=False)
        if "status" in body and body["status"] != event.status:
            allowed = _ALLOWED_STATUS.get(event.status, set())
            if body["status"] not in allowed:
                raise form_error(
                    "status",
                    "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION",
                    f"Invalid status transition from {event.status} to {body['status']}.",
                    violation="invalid_transition",
                )
        return ok(world.edit_event(event, body).payload())

    async def delete_event(request: web.Request) -> web.Response:
        guild = guild_of(request)
        event = event_of(guild, request)
        if event.creator.id == world.bot.id:
            need(guild, P.CREATE_EVENTS, P.MANAGE_EVENTS)
        else:
            need(guild, P.MANAGE_EVENTS)
        world.delete_event(event)
        return no_content()

    g = api + "/guilds/{guild_id}"
    app.router.add_get(g, get_guild)
    app.router.add_get(g + "/channels", list_channels)
    app.router.add_post(g + "/channels", create_channel)
    app.router.add_get(g + "/threads/active", active_threads)
    app.router.add_get(g + "/roles", list_roles)
    app.router.add_post(g + "/roles", create_role)
    app.router.add_get(g + "/roles/{role_id}", get_role)
    app.router.add_patch(g + "/roles/{role_id}", edit_role)
    app.router.add_delete(g + "/roles/{role_id}", delete_role)
    app.router.add_get(g + "/members", list_members)
    app.router.add_get(g + "/members/{member_id}", get_member)
    app.router.add_put(g + "/members/{user_id}/roles/{role_id}", add_member_role)
    app.router.add_delete(g + "/members/{user_id}/roles/{role_id}", remove_member_role)
    app.router.add_get(g + "/scheduled-events", list_events)
    app.router.add_post(g + "/scheduled-events", create_event)
    app.router.add_get(g + "/scheduled-events/{event_id}", get_event)
    app.router.add_patch(g + "/scheduled-events/{event_id}", edit_event)
    app.router.add_delete(g + "/scheduled-events/{event_id}", delete_event)
