"""Channels: messages, pins (old and new routes), threads, typing, reactions."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote

from aiohttp import web

from . import permissions as P
from .limits import is_empty_message
from .messages import apply_edit, message_from_body
from .models import (
    GUILD_FORUM,
    MESSAGEABLE_TYPES,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    Channel,
    Guild,
    StoredMessage,
)
from .rest import (
    ApiError,
    body_of,
    form_error,
    json_of,
    missing_access,
    missing_permissions,
    no_content,
    not_found,
    ok,
    snowflake,
)

if TYPE_CHECKING:
    from .server import FakeDiscord


def register(app: web.Application, fake: FakeDiscord) -> None:
    world = fake.world
    api = fake.api_prefix

    def channel_for_bot(request: web.Request, *needed: int) -> tuple[Guild, Channel]:
        found = world.channel(snowflake(request, "channel_id"))
        if found is None:
            raise not_found(10003, "Channel")
        guild, channel = found
        have = world.bot_permissions(guild, channel)
        if not have & P.VIEW_CHANNEL:
            raise missing_access()
        for bits in needed:
            if have & bits != bits:
                raise missing_permissions()
        return guild, channel

    def any_of(guild: Guild, channel: Channel, *options: int) -> None:
        have = world.bot_permissions(guild, channel)
        if not any(have & bits == bits for bits in options):
            raise missing_permissions()

    def message_in(channel: Channel, request: web.Request) -> StoredMessage:
        message = world.messages.get(snowflake(request, "message_id"))
        if message is None or message.channel_id != channel.id or message.ephemeral:
            raise not_found(10008, "Message")
        return message

    def send_permission(channel: Channel) -> int:
        return P.SEND_MESSAGES_IN_THREADS if channel.is_thread else P.SEND_MESSAGES

    # ---------------------------------------------------------------- channel

    async def get_channel(request: web.Request) -> web.Response:
        _, channel = channel_for_bot(request)
        return ok(channel.payload())

    async def edit_channel(request: web.Request) -> web.Response:
        guild, channel = channel_for_bot(request)
        if channel.is_thread:
            if channel.owner_id != world.bot.id:
                any_of(guild, channel, P.MANAGE_THREADS)
        else:
            any_of(guild, channel, P.MANAGE_CHANNELS)
        world.edit_channel(guild, channel, json_of(request))
        return ok(channel.payload())

    async def delete_channel(request: web.Request) -> web.Response:
        guild, channel = channel_for_bot(request)
        any_of(guild, channel, P.MANAGE_THREADS if channel.is_thread else P.MANAGE_CHANNELS)
        payload = channel.payload()
        world.delete_channel(guild, channel)
        return ok(payload)

    async def typing(request: web.Request) -> web.Response:
        _guild, channel = channel_for_bot(request)
        channel_for_bot(request, send_permission(channel))
        return no_content()

    # --------------------------------------------------------------- messages

    async def create_message(request: web.Request) -> web.Response:
        guild, channel = channel_for_bot(request)
        if channel.type not in MESSAGEABLE_TYPES:
            raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
        channel_for_bot(request, send_permission(channel))
        body = body_of(request)
        if body.files:
            channel_for_bot(request, P.ATTACH_FILES)
        data = json_of(request)
        if is_empty_message(data, len(body.files)):
            raise ApiError(400, 50006, "Cannot send an empty message", violation="empty_message")
        if channel.is_thread and channel.locked:
            raise ApiError(400, 50083, "Thread is locked")
        message = message_from_body(world, channel.id, world.bot, data, body.files)
        if channel.is_thread and channel.archived:
            world.edit_channel(guild, channel, {"archived": False})
        world.add_message(message)
        return ok(message.payload())

    async def list_messages(request: web.Request) -> web.Response:
        guild, channel = channel_for_bot(request)
        if not world.bot_permissions(guild, channel) & P.READ_MESSAGE_HISTORY:
            return ok([])
        query = request.query
        try:
            limit = int(query.get("limit", "50"))
        except ValueError:
            limit = 0
        if not 1 <= limit <= 100:
            raise form_error(
                "limit",
                "NUMBER_TYPE_MAX",
                "int value should be between 1 and 100.",
                violation="schema",
            )
        history = world.history.get(channel.id, [])
        if "around" in query:
            pivot = int(query["around"])
            older = [m for m in history if m.id < pivot][-(limit // 2) :] if limit // 2 else []
            newer = [m for m in history if m.id >= pivot][: limit - len(older)]
            chosen = older + newer
        elif "after" in query:
            after = int(query["after"])
            chosen = [m for m in history if m.id > after][:limit]
        else:
            before = int(query["before"]) if "before" in query else None
            eligible = [m for m in history if before is None or m.id < before]
            chosen = eligible[-limit:]
        return ok([fake.visible(m) for m in reversed(chosen)])

    async def get_message(request: web.Request) -> web.Response:
        _guild, channel = channel_for_bot(request, P.READ_MESSAGE_HISTORY)
        return ok(fake.visible(message_in(channel, request)))

    async def edit_message(request: web.Request) -> web.Response:
        _guild, channel = channel_for_bot(request)
        message = message_in(channel, request)
        if message.author.id != world.bot.id:
            if set(json_of(request)) - {"flags"}:
                raise ApiError(403, 50005, "Cannot edit a message authored by another user")
            channel_for_bot(request, P.MANAGE_MESSAGES)
        body = body_of(request)
        apply_edit(world, message, json_of(request), body.files)
        return ok(message.payload())

    async def delete_message(request: web.Request) -> web.Response:
        _guild, channel = channel_for_bot(request)
        message = message_in(channel, request)
        if message.author.id != world.bot.id:
            channel_for_bot(request, P.MANAGE_MESSAGES)
        world.delete_message(message)
        return no_content()

    # ------------------------------------------------------------------- pins

    async def pin(request: web.Request) -> web.Response:
        guild, channel = channel_for_bot(request)
        any_of(guild, channel, P.PIN_MESSAGES, P.MANAGE_MESSAGES)
        message = message_in(channel, request)
        if not message.pinned and len(world.pins(channel.id)) >= fake.max_pins:
            raise ApiError(400, 30003, f"Maximum number of pins reached ({fake.max_pins})")
        world.pin(message, world.bot)
        return no_content()

    async def unpin(request: web.Request) -> web.Response:
        guild, channel = channel_for_bot(request)
        any_of(guild, channel, P.PIN_MESSAGES, P.MANAGE_MESSAGES)
        world.unpin(message_in(channel, request))
        return no_content()

    async def pins_old(request: web.Request) -> web.Response:
        _guild, channel = channel_for_bot(request, P.READ_MESSAGE_HISTORY)
        return ok([fake.visible(m) for m in world.pins(channel.id)])

    async def pins_new(request: web.Request) -> web.Response:
        _guild, channel = channel_for_bot(request, P.READ_MESSAGE_HISTORY)
        pins = world.pins(channel.id)
        before = request.query.get("before")
        if before:
            pins = [m for m in pins if (m.pinned_at or "") < before]
        limit = int(request.query.get("limit", "50"))
        page = pins[:limit]
        return ok(
            {
                "items": [{"pinned_at": m.pinned_at, "message": fake.visible(m)} for m in page],
                "has_more": len(pins) > len(page),
            }
        )

    # ---------------------------------------------------------------- threads

    async def thread_from_message(request: web.Request) -> web.Response:
        guild, channel = channel_for_bot(request, P.CREATE_PUBLIC_THREADS)
        if channel.is_thread or channel.type not in MESSAGEABLE_TYPES:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        message = message_in(channel, request)
        if message.thread is not None:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        body = json_of(request)
        thread = world.add_thread(
            guild,
            channel,
            body["name"],
            thread_id=message.id,
            auto_archive_duration=int(body.get("auto_archive_duration") or 4320),
        )
        message.thread = thread
        message.flags |= 32  # HAS_THREAD
        world.emit("MESSAGE_UPDATE", message.payload())
        return ok(_with_member(thread, world.bot.id), status=201)

    async def thread_without_message(request: web.Request) -> web.Response:
        guild, channel = channel_for_bot(request)
        body = json_of(request)
        if channel.is_thread:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        if channel.type == GUILD_FORUM:
            channel_for_bot(request, P.SEND_MESSAGES)
            thread = world.add_thread(guild, channel, body["name"])
            starter = message_from_body(
                world, thread.id, world.bot, body.get("message") or {}, body_of(request).files
            )
            starter.id = thread.id
            world.add_message(starter)
            data = _with_member(thread, world.bot.id)
            data["message"] = starter.payload()
            return ok(data, status=201)
        private = int(body.get("type") or PRIVATE_THREAD) == PRIVATE_THREAD
        channel_for_bot(request, P.CREATE_PRIVATE_THREADS if private else P.CREATE_PUBLIC_THREADS)
        thread = world.add_thread(
            guild,
            channel,
            body["name"],
            private=private,
            auto_archive_duration=int(body.get("auto_archive_duration") or 4320),
        )
        return ok(_with_member(thread, world.bot.id), status=201)

    async def archived_public(request: web.Request) -> web.Response:
        guild, channel = channel_for_bot(request, P.READ_MESSAGE_HISTORY)
        threads = [
            t
            for t in guild.threads()
            if t.parent_id == channel.id and t.archived and t.type == PUBLIC_THREAD
        ]
        return ok({"threads": [t.payload() for t in threads], "members": [], "has_more": False})

    async def join_thread(request: web.Request) -> web.Response:
        _guild, channel = channel_for_bot(request)
        if not channel.is_thread:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        user_id = request.match_info.get("user_id", "@me")
        channel.member_ids.add(world.bot.id if user_id == "@me" else int(user_id))
        world.changed()
        return no_content()

    async def leave_thread(request: web.Request) -> web.Response:
        _guild, channel = channel_for_bot(request)
        user_id = request.match_info.get("user_id", "@me")
        channel.member_ids.discard(world.bot.id if user_id == "@me" else int(user_id))
        world.changed()
        return no_content()

    # -------------------------------------------------------------- reactions

    async def react(request: web.Request) -> web.Response:
        guild, channel = channel_for_bot(request, P.READ_MESSAGE_HISTORY)
        message = message_in(channel, request)
        emoji = unquote(request.match_info["emoji"])
        users = message.reactions.setdefault(emoji, [])
        if not users:
            channel_for_bot(request, P.ADD_REACTIONS)
        if world.bot.id not in users:
            users.append(world.bot.id)
            world.emit(
                "MESSAGE_REACTION_ADD", fake.reaction_event(guild, message, world.bot.id, emoji)
            )
        return no_content()

    async def unreact(request: web.Request) -> web.Response:
        guild, channel = channel_for_bot(request)
        message = message_in(channel, request)
        emoji = unquote(request.match_info["emoji"])
        users = message.reactions.get(emoji, [])
        if world.bot.id in users:
            users.remove(world.bot.id)
            event = fake.reaction_event(guild, message, world.bot.id, emoji)
            event.pop("member", None)
            world.emit("MESSAGE_REACTION_REMOVE", event)
        return no_content()

    ch = api + "/channels/{channel_id}"
    app.router.add_get(ch, get_channel)
    app.router.add_patch(ch, edit_channel)
    app.router.add_delete(ch, delete_channel)
    app.router.add_post(ch + "/typing", typing)
    app.router.add_get(ch + "/messages", list_messages)
    app.router.add_post(ch + "/messages", create_message)
    app.router.add_get(ch + "/messages/pins", pins_new)
    app.router.add_put(ch + "/messages/pins/{message_id}", pin)
    app.router.add_delete(ch + "/messages/pins/{message_id}", unpin)
    app.router.add_get(ch + "/pins", pins_old)
    app.router.add_put(ch + "/pins/{message_id}", pin)
    app.router.add_delete(ch + "/pins/{message_id}", unpin)
    app.router.add_get(ch + "/messages/{message_id}", get_message)
    app.router.add_patch(ch + "/messages/{message_id}", edit_message)
    app.router.add_delete(ch + "/messages/{message_id}", delete_message)
    app.router.add_post(ch + "/messages/{message_id}/threads", thread_from_message)
    app.router.add_put(ch + "/messages/{message_id}/reactions/{emoji}/@me", react)
    app.router.add_delete(ch + "/messages/{message_id}/reactions/{emoji}/@me", unreact)
    app.router.add_post(ch + "/threads", thread_without_message)
    app.router.add_get(ch + "/threads/archived/public", archived_public)
    app.router.add_put(ch + "/thread-members/@me", join_thread)
    app.router.add_delete(ch + "/thread-members/@me", leave_thread)
    app.router.add_put(ch + "/thread-members/{user_id}", join_thread)
    app.router.add_delete(ch + "/thread-members/{user_id}", leave_thread)


def _with_member(thread: Channel, bot_id: int) -> dict[str, object]:
    data = thread.payload()
    if bot_id in thread.member_ids:
        data["member"] = thread.thread_member_payload(bot_id)
    return data
