"""Interaction callbacks and the webhook routes that carry follow-ups and edits."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web

from .interactions import AUTOCOMPLETE, MESSAGE_COMPONENT, MODAL_SUBMIT, PING, InteractionRecord
from .limits import is_empty_message
from .messages import apply_edit, message_from_body
from .models import JSON, StoredMessage
from .rest import ApiError, body_of, form_error, json_of, no_content, not_found, ok, snowflake

if TYPE_CHECKING:
    from .server import FakeDiscord

PONG, MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 1, 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL = 8, 9
EPHEMERAL, LOADING = 64, 128

_ALLOWED = {
    PING: {PONG},
    AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
    MESSAGE_COMPONENT: {MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, MODAL},
    MODAL_SUBMIT: {MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE},
}
_COMMAND_TYPES = {MESSAGE, DEFERRED_MESSAGE, MODAL}


def register(app: web.Application, fake: FakeDiscord) -> None:
    world = fake.world
    api = fake.api_prefix

    def interaction_metadata(record: InteractionRecord) -> JSON:
        data = record.payload.get("data") or {}
        meta: JSON = {
            "id": str(record.id),
            "type": record.type,
            "user": record.member.user.payload(),
            "authorizing_integration_owners": {"0": str(record.guild.id)},
        }
        if record.type == 2:
            meta["name"] = record.label.lstrip("/")
            meta["command_type"] = data.get("type", 1)
        if record.message is not None:
            meta["interacted_message_id"] = str(record.message.id)
        return meta

    def new_message(
        record: InteractionRecord, body: JSON, files: list, flags: int = 0
    ) -> StoredMessage:
        message = message_from_body(
            world,
            record.channel.id,
            world.bot,
            body,
            files,
            flags=flags,
            webhook_id=world.application_id,
            application_id=world.application_id,
            interaction_metadata=interaction_metadata(record),
            interaction={
                "id": str(record.id),
                "type": record.type,
                "name": record.label.lstrip("/"),
                "user": record.member.user.payload(),
                "member": record.member.payload(with_user=False),
            },
        )
        message.type = _message_type(record)
        return message

    def record_by_token(request: web.Request) -> InteractionRecord:
        if snowflake(request, "webhook_id") != world.application_id:
            raise not_found(10015, "Webhook")
        record = fake.interactions_by_token.get(request.match_info["webhook_token"])
        if record is None:
            raise not_found(10015, "Webhook")
        return record

    # --------------------------------------------------------------- callback

    async def callback(request: web.Request) -> web.Response:
        record = fake.interactions.get(snowflake(request, "interaction_id"))
        if record is None or record.token != request.match_info["interaction_token"]:
            raise ApiError(404, 10062, "Unknown interaction", violation="unknown_interaction")
        now = asyncio.get_running_loop().time()
        if record.acknowledged:
            raise ApiError(
                400,
                40060,
                "Interaction has already been acknowledged.",
                violation="already_acknowledged",
            )
        if now > record.deadline:
            late = now - record.created_at
            record.rejected.append(f"callback after {late:.2f} s")
            raise ApiError(
                404,
                10062,
                f"Unknown interaction (callback {late:.2f} s after dispatch, limit "
                f"{record.deadline - record.created_at:.2f} s)",
                violation="deadline",
            )
        body = json_of(request)
        kind = int(body.get("type", 0))
        allowed = _ALLOWED.get(record.type, _COMMAND_TYPES)
        if kind not in allowed:
            raise form_error(
                "type",
                "INTERACTION_RESPONSE_TYPE_INVALID",
                f"Callback type {kind} is not valid for interaction type {record.type}.",
                violation="callback_type",
            )
        data = body.get("data") or {}
        files = body_of(request).files
        if kind == MESSAGE and is_empty_message(data, len(files)):
            raise ApiError(400, 50006, "Cannot send an empty message", violation="empty_message")
        resource: JSON = {"type": kind}
        if kind == MESSAGE:
            record.original = new_message(record, data, files)
            world.add_message(record.original)
            record.completed = True
        elif kind == DEFERRED_MESSAGE:
            flags = LOADING | (int(data.get("flags") or 0) & EPHEMERAL)
            record.original = new_message(record, {}, [], flags=flags)
            world.add_message(record.original)
        elif kind == UPDATE_MESSAGE:
            if record.message is None:
                raise ApiError(400, 50035, "Invalid Form Body", violation="callback_type")
            apply_edit(world, record.message, data, files)
            record.completed = True
        elif kind == DEFERRED_UPDATE:
            if record.message is None:
                raise ApiError(400, 50035, "Invalid Form Body", violation="callback_type")
        else:
            record.completed = True
        record.callback_type, record.callback_body = kind, body
        record.callback_at = now
        world.changed()
        target = record.original if kind in (MESSAGE, DEFERRED_MESSAGE) else record.message
        if kind in (MESSAGE, DEFERRED_MESSAGE, UPDATE_MESSAGE) and target is not None:
            resource["message"] = target.payload()
        if request.query.get("with_response") not in ("1", "true", "True"):
            return no_content()
        interaction: JSON = {
            "id": str(record.id),
            "type": record.type,
            "activity_instance_id": None,
            "response_message_id": str(target.id) if target is not None and kind != MODAL else None,
            "response_message_loading": kind == DEFERRED_MESSAGE,
            "response_message_ephemeral": bool(target is not None and target.ephemeral),
        }
        return ok({"interaction": interaction, "resource": resource})

    # ----------------------------------------------------- original response

    def original_of(record: InteractionRecord) -> StoredMessage:
        if record.callback_type in (MESSAGE, DEFERRED_MESSAGE) and record.original is not None:
            message = record.original
        elif (
            record.callback_type in (UPDATE_MESSAGE, DEFERRED_UPDATE) and record.message is not None
        ):
            message = record.message
        else:
            raise not_found(10008, "Message")
        if message.deleted:
            raise not_found(10008, "Message")
        return message

    async def get_original(request: web.Request) -> web.Response:
        return ok(original_of(record_by_token(request)).payload())

    async def edit_original(request: web.Request) -> web.Response:
        record = record_by_token(request)
        message = original_of(record)
        changes = dict(json_of(request))
        if message.flags & LOADING:
            message.flags &= ~LOADING
        apply_edit(world, message, changes, body_of(request).files)
        record.completed = True
        world.changed()
        return ok(message.payload())

    async def delete_original(request: web.Request) -> web.Response:
        record = record_by_token(request)
        world.delete_message(original_of(record))
        return no_content()

    # -------------------------------------------------------------- follow-ups

    def followup_of(record: InteractionRecord, request: web.Request) -> StoredMessage:
        message_id = snowflake(request, "message_id")
        for message in [record.original, *record.followups]:
            if message is not None and message.id == message_id and not message.deleted:
                return message
        raise not_found(10008, "Message")

    async def followup(request: web.Request) -> web.Response:
        record = record_by_token(request)
        if not record.acknowledged:
            raise ApiError(404, 10015, "Unknown Webhook", violation="followup_before_ack")
        body, files = json_of(request), body_of(request).files
        if is_empty_message(body, len(files)):
            raise ApiError(400, 50006, "Cannot send an empty message", violation="empty_message")
        original = record.original
        if (
            record.callback_type == DEFERRED_MESSAGE
            and original is not None
            and original.flags & LOADING
            and not original.deleted  # a deleted placeholder: the follow-up is a new message
        ):
            # The first follow-up after a deferral replaces the "thinking" message.
            original.flags &= ~LOADING
            apply_edit(world, original, body, files)
            message = original
        else:
            flags = int(body.get("flags") or 0) & EPHEMERAL
            message = new_message(record, body, files, flags=flags)
            world.add_message(message)
        record.followups.append(message)
        record.completed = True
        world.changed()
        # For interaction follow-ups ``wait`` is always true.
        return ok(message.payload())

    async def get_followup(request: web.Request) -> web.Response:
        return ok(followup_of(record_by_token(request), request).payload())

    async def edit_followup(request: web.Request) -> web.Response:
        record = record_by_token(request)
        message = followup_of(record, request)
        apply_edit(world, message, json_of(request), body_of(request).files)
        return ok(message.payload())

    async def delete_followup(request: web.Request) -> web.Response:
        record = record_by_token(request)
        world.delete_message(followup_of(record, request))
        return no_content()

    app.router.add_post(
        api + "/interactions/{interaction_id}/{interaction_token}/callback", callback
    )
    hook = api + "/webhooks/{webhook_id}/{webhook_token}"
    app.router.add_post(hook, followup)
    app.router.add_get(hook + "/messages/@original", get_original)
    app.router.add_patch(hook + "/messages/@original", edit_original)
    app.router.add_delete(hook + "/messages/@original", delete_original)
    app.router.add_get(hook + "/messages/{message_id}", get_followup)
    app.router.add_patch(hook + "/messages/{message_id}", edit_followup)
    app.router.add_delete(hook + "/messages/{message_id}", delete_followup)


def _message_type(record: InteractionRecord) -> int:
    """CHAT_INPUT_COMMAND (20) or CONTEXT_MENU_COMMAND (23); component replies are DEFAULT."""
    if record.type != 2:
        return 0
    return 20 if record.payload["data"].get("type", 1) == 1 else 23
