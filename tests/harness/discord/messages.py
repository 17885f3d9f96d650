"""Turning message bodies (JSON or multipart) into stored messages and edits."""

from __future__ import annotations

import copy
import re
from typing import Any

from .models import JSON, StoredAttachment, StoredMessage, User
from .recording import UploadedFile
from .rest import form_error
from .state import World

_FILE_FIELD = re.compile(r"files\[(\d+)\]|file(\d*)")


def _embeds(raw: Any) -> list[JSON]:
    embeds = []
    for embed in raw or []:
        embed = copy.deepcopy(embed)
        embed.setdefault("type", "rich")
        embed.setdefault("content_scan_version", 0)
        embeds.append(embed)
    return embeds


def _file_index(upload: UploadedFile, position: int) -> int:
    match = _FILE_FIELD.fullmatch(upload.field_name)
    if match and match.group(1) is not None:
        return int(match.group(1))
    return position


def store_uploads(
    world: World,
    channel_id: int,
    body: JSON,
    files: list[UploadedFile],
    *,
    ephemeral: bool = False,
) -> list[StoredAttachment]:
    """Store uploaded files; ``attachments[].id`` in the body refers to ``files[n]``."""
    described = {}
    for item in body.get("attachments") or []:
        if isinstance(item, dict) and str(item.get("id", "")).isdigit():
            described[int(item["id"])] = item
    stored = []
    for position, upload in enumerate(files):
        index = _file_index(upload, position)
        meta = described.get(index, {})
        stored.append(
            world.store_attachment(
                channel_id,
                meta.get("filename") or upload.filename,
                upload.data,
                upload.content_type if upload.content_type != "application/octet-stream" else None,
                description=meta.get("description"),
                ephemeral=ephemeral,
            )
        )
    return stored


def message_from_body(
    world: World,
    channel_id: int,
    author: User,
    body: JSON,
    files: list[UploadedFile],
    **extra: Any,
) -> StoredMessage:
    flags = int(body.get("flags") or 0) | int(extra.pop("flags", 0))
    content = body.get("content") or ""
    users, roles = world.mentions_in(content)
    message = world.new_message(
        channel_id,
        author,
        content=content,
        embeds=_embeds(body.get("embeds")),
        components=copy.deepcopy(body.get("components") or []),
        flags=flags,
        tts=bool(body.get("tts")),
        allowed_mentions=body.get("allowed_mentions"),
        nonce=body.get("nonce"),
        mentions=users,
        mention_role_ids=roles,
        **extra,
    )
    message.attachments = store_uploads(world, channel_id, body, files, ephemeral=message.ephemeral)
    reference = body.get("message_reference")
    if reference:
        referenced = world.messages.get(int(reference.get("message_id", 0)))
        if referenced is None and reference.get("fail_if_not_exists", True):
            raise form_error(
                "message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message"
            )
        message.type = 19
        message.message_reference = {
            "type": 0,
            "message_id": str(reference.get("message_id")),
            "channel_id": str(reference.get("channel_id") or channel_id),
            **({"guild_id": str(message.guild_id)} if message.guild_id else {}),
        }
        message.referenced_message = referenced
    return message


def apply_edit(
    world: World, message: StoredMessage, body: JSON, files: list[UploadedFile]
) -> StoredMessage:
    changes = dict(body)
    if "embeds" in changes:
        changes["embeds"] = _embeds(changes["embeds"])
    new_files = store_uploads(world, message.channel_id, body, files, ephemeral=message.ephemeral)
    return world.edit_message(message, changes, new_attachments=new_files)
