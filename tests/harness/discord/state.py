"""The fake's mutable state and every mutation that Discord would announce.

Each mutation updates the models and then emits the gateway event Discord
sends for it, so the client's cache stays in step with the fake.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from . import permissions as perms
from .ids import SnowflakeFactory, iso, now_iso
from .models import (
    GUILD_TEXT,
    JSON,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    Channel,
    Guild,
    Member,
    Overwrite,
    Role,
    ScheduledEvent,
    StoredAttachment,
    StoredMessage,
    User,
)
from .recording import Notifier

EmitFn = Callable[[str, JSON], None]
_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


class World:
    """Application, bot user, guilds, messages, events and commands."""

    def __init__(self, *, bot_name: str = "ReadingBot", owner_name: str = "owner") -> None:
        self.ids = SnowflakeFactory()
        self.notifier = Notifier()
        self.base_url = "http://127.0.0.1:0"
        self._emit: EmitFn = lambda event, data: None
        self.bot = User(self.ids.next(), bot_name, bot=True)
        # Modern applications share their id with their bot user.
        self.application_id = self.bot.id
        self.owner = User(self.ids.next(), owner_name, global_name=owner_name.title())
        self.users: dict[int, User] = {self.bot.id: self.bot, self.owner.id: self.owner}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, tuple[Guild, Channel]] = {}
        self.messages: dict[int, StoredMessage] = {}
        self.history: dict[int, list[StoredMessage]] = {}
        self.attachments: dict[int, StoredAttachment] = {}
        self.events: dict[int, dict[int, ScheduledEvent]] = {}
        self.global_commands: dict[int, JSON] = {}
        self.guild_commands: dict[int, dict[int, JSON]] = {}
        self.command_permissions: dict[int, dict[int, JSON]] = {}
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    # ------------------------------------------------------------------ events

    def set_emitter(self, emit: EmitFn) -> None:
        self._emit = emit

    def emit(self, event: str, data: JSON) -> None:
        self._emit(event, data)
        self.changed()

    def changed(self) -> None:
        self.notifier.notify()

    # ----------------------------------------------------------------- lookups

    def guild(self, guild_id: int) -> Guild | None:
        return self.guilds.get(guild_id)

    def channel(self, channel_id: int) -> tuple[Guild, Channel] | None:
        return self.channels.get(channel_id)

    def bot_member(self, guild: Guild) -> Member:
        return guild.members[self.bot.id]

    def bot_role(self, guild: Guild) -> Role:
        for role in guild.roles.values():
            if role.managed_by_bot == self.bot.id:
                return role
        raise LookupError("the bot has no managed role")

    def bot_permissions(self, guild: Guild, channel: Channel | None = None) -> int:
        return perms.channel_permissions(guild, self.bot_member(guild), channel)

    def member_permissions(self, guild: Guild, member: Member, channel: Channel | None) -> int:
        return perms.channel_permissions(guild, member, channel)

    # ------------------------------------------------------------------ guilds

    def add_guild(
        self, name: str, *, owner: User | None = None, shard: tuple[int, int] | None = None
    ) -> Guild:
        """``shard=(shard_id, shard_count)`` picks an id Discord routes to that shard."""
        owner = owner or self.owner
        guild_id = self.ids.next() if shard is None else self.ids.next_on_shard(*shard)
        guild = Guild(guild_id, name, owner.id, _world=self)
        guild.roles[guild.id] = Role(guild.id, guild.id, "@everyone", perms.DEFAULT_EVERYONE)
        bot_role = Role(
            self.ids.next(),
            guild.id,
            self.bot.username,
            perms.DEFAULT_BOT,
            position=1,
            managed_by_bot=self.bot.id,
        )
        guild.roles[bot_role.id] = bot_role
        guild.members[owner.id] = Member(owner, guild.id)
        guild.members[self.bot.id] = Member(self.bot, guild.id, [bot_role.id])
        self.guilds[guild.id] = guild
        self.events[guild.id] = {}
        general = Channel(self.ids.next(), guild.id, GUILD_TEXT, "general")
        self._register_channel(guild, general)
        self.emit("GUILD_CREATE", self.guild_create_payload(guild))
        return guild

    def guild_create_payload(self, guild: Guild) -> JSON:
        payload = guild.payload(for_gateway=True, bot_id=self.bot.id)
        payload["guild_scheduled_events"] = [
            e.payload() for e in self.events.get(guild.id, {}).values()
        ]
        return payload

    def _register_channel(self, guild: Guild, channel: Channel) -> None:
        guild.channels[channel.id] = channel
        self.channels[channel.id] = (guild, channel)
        self.history.setdefault(channel.id, [])

    def add_channel(
        self,
        guild: Guild,
        name: str,
        type_: int,
        *,
        topic: str | None = None,
        category: Channel | None = None,
        position: int | None = None,
    ) -> Channel:
        if position is None:
            position = sum(1 for c in guild.channels.values() if not c.is_thread)
        channel = Channel(
            self.ids.next(),
            guild.id,
            type_,
            name.lstrip("#"),
            position=position,
            topic=topic,
            parent_id=category.id if category else None,
        )
        self._register_channel(guild, channel)
        self.emit("CHANNEL_CREATE", channel.payload())
        return channel

    def edit_channel(self, guild: Guild, channel: Channel, changes: JSON) -> Channel:
        for key in ("name", "topic", "nsfw", "position"):
            if key in changes:
                setattr(channel, key, changes[key])
        if "parent_id" in changes:
            channel.parent_id = int(changes["parent_id"]) if changes["parent_id"] else None
        if channel.is_thread:
            for key in ("archived", "locked", "auto_archive_duration"):
                if key in changes:
                    setattr(channel, key, changes[key])
            self.emit("THREAD_UPDATE", channel.payload())
        else:
            if "permission_overwrites" in changes:
                channel.overwrites = {
                    int(o["id"]): Overwrite(
                        int(o["id"]),
                        int(o["type"]),
                        int(o.get("allow") or 0),
                        int(o.get("deny") or 0),
                    )
                    for o in changes["permission_overwrites"] or []
                }
            self.emit("CHANNEL_UPDATE", channel.payload())
        return channel

    def delete_channel(self, guild: Guild, channel: Channel) -> None:
        guild.channels.pop(channel.id, None)
        self.channels.pop(channel.id, None)
        event = "THREAD_DELETE" if channel.is_thread else "CHANNEL_DELETE"
        payload = channel.payload()
        if channel.is_thread:
            payload = {k: payload[k] for k in ("id", "guild_id", "parent_id", "type")}
        self.emit(event, payload)

    def add_thread(
        self,
        guild: Guild,
        parent: Channel,
        name: str,
        *,
        private: bool = False,
        owner: User | None = None,
        thread_id: int | None = None,
        auto_archive_duration: int = 4320,
    ) -> Channel:
        owner = owner or self.bot
        thread = Channel(
            thread_id if thread_id is not None else self.ids.next(),
            guild.id,
            PRIVATE_THREAD if private else PUBLIC_THREAD,
            name,
            parent_id=parent.id,
            owner_id=owner.id,
            auto_archive_duration=auto_archive_duration,
        )
        thread.member_ids.add(owner.id)
        self._register_channel(guild, thread)
        payload = thread.payload()
        payload["newly_created"] = True
        if self.bot.id in thread.member_ids:
            payload["member"] = thread.thread_member_payload(self.bot.id)
        self.emit("THREAD_CREATE", payload)
        return thread

    def set_overwrite(
        self,
        guild: Guild,
        channel: Channel,
        target: Role | Member,
        *,
        allow: perms.PermissionsLike = 0,
        deny: perms.PermissionsLike = 0,
    ) -> None:
        kind = 0 if isinstance(target, Role) else 1
        channel.overwrites[target.id] = Overwrite(
            target.id, kind, perms.as_int(allow), perms.as_int(deny)
        )
        self.emit("CHANNEL_UPDATE", channel.payload())

    # ------------------------------------------------------------------- roles

    def add_role(
        self,
        guild: Guild,
        name: str,
        permissions: int,
        *,
        above_bot: bool = False,
        mentionable: bool = False,
        color: int = 0,
    ) -> Role:
        bot_role = self.bot_role(guild)
        if above_bot:
            position = max(r.position for r in guild.roles.values()) + 1
        else:
            position = bot_role.position
            # Keep the bot's role on top of roles created by tests.
            bot_role.position += 1
        role = Role(
            self.ids.next(),
            guild.id,
            name,
            permissions,
            position=position,
            mentionable=mentionable,
            color=color,
        )
        guild.roles[role.id] = role
        self.emit("GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": role.payload()})
        if not above_bot:
            self.emit("GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": bot_role.payload()})
        return role

    def update_role(self, guild: Guild, role: Role, changes: JSON) -> Role:
        if "name" in changes and changes["name"] is not None:
            role.name = changes["name"]
        if "permissions" in changes and changes["permissions"] is not None:
            role.permissions = int(changes["permissions"])
        for key in ("hoist", "mentionable", "color"):
            if changes.get(key) is not None:
                setattr(role, key, changes[key])
        self.emit("GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": role.payload()})
        return role

    def delete_role(self, guild: Guild, role: Role) -> None:
        guild.roles.pop(role.id, None)
        for member in guild.members.values():
            if role.id in member.role_ids:
                member.role_ids.remove(role.id)
        self.emit("GUILD_ROLE_DELETE", {"guild_id": str(guild.id), "role_id": str(role.id)})

    def set_bot_permissions(
        self,
        guild: Guild,
        channel: Channel | None,
        allow: perms.PermissionsLike,
        deny: perms.PermissionsLike,
    ) -> None:
        allow_bits, deny_bits = perms.as_int(allow), perms.as_int(deny)
        member = self.bot_member(guild)
        if channel is not None:
            current = channel.overwrites.get(member.id) or Overwrite(member.id, 1)
            current.allow = (current.allow | allow_bits) & ~deny_bits
            current.deny = (current.deny | deny_bits) & ~allow_bits
            self.set_overwrite(guild, channel, member, allow=current.allow, deny=current.deny)
            return
        bot_role = self.bot_role(guild)
        changes = {"permissions": (bot_role.permissions | allow_bits) & ~deny_bits}
        self.update_role(guild, bot_role, changes)
        # A guild-level deny must really take the bit away, so it is also
        # removed from every other role the bot holds (and from @everyone).
        for role in [guild.everyone_role, *guild.roles_of(member)]:
            if role is not bot_role and role.permissions & deny_bits:
                self.update_role(guild, role, {"permissions": role.permissions & ~deny_bits})

    # ----------------------------------------------------------------- members

    def add_member(
        self,
        guild: Guild,
        name: str,
        *,
        roles: Iterable[Role] = (),
        permissions: perms.PermissionsLike | None = None,
        admin: bool = False,
        global_name: str | None = None,
        bot: bool = False,
    ) -> Member:
        user = User(self.ids.next(), name, global_name=global_name or name, bot=bot)
        self.users[user.id] = user
        role_ids = [r.id for r in roles]
        member = Member(user, guild.id, role_ids)
        guild.members[user.id] = member
        extra = perms.as_int(permissions) | (perms.ADMINISTRATOR if admin else 0)
        if extra:
            role = self.add_role(guild, f"{name} permissions", extra)
            member.role_ids.append(role.id)
        payload = member.payload()
        payload["guild_id"] = str(guild.id)
        self.emit("GUILD_MEMBER_ADD", payload)
        return member

    def member_update_payload(self, guild: Guild, member: Member) -> JSON:
        payload = member.payload()
        payload["guild_id"] = str(guild.id)
        return payload

    def add_member_role(self, guild: Guild, member: Member, role: Role) -> None:
        if role.id not in member.role_ids:
            member.role_ids.append(role.id)
            self.emit("GUILD_MEMBER_UPDATE", self.member_update_payload(guild, member))

    def remove_member_role(self, guild: Guild, member: Member, role: Role) -> None:
        if role.id in member.role_ids:
            member.role_ids.remove(role.id)
            self.emit("GUILD_MEMBER_UPDATE", self.member_update_payload(guild, member))

    # ------------------------------------------------------------- attachments

    def store_attachment(
        self,
        channel_id: int,
        filename: str,
        data: bytes,
        content_type: str | None = None,
        *,
        description: str | None = None,
        ephemeral: bool = False,
    ) -> StoredAttachment:
        attachment_id = self.ids.next()
        guessed = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        url = f"{self.base_url}/attachments/{channel_id}/{attachment_id}/{filename}"
        attachment = StoredAttachment(
            attachment_id,
            channel_id,
            filename,
            data,
            content_type or guessed,
            url,
            description=description,
            ephemeral=ephemeral,
        )
        self.attachments[attachment_id] = attachment
        return attachment

    # ---------------------------------------------------------------- messages

    def add_message(self, message: StoredMessage, *, announce: bool = True) -> StoredMessage:
        self.messages[message.id] = message
        if not message.ephemeral:
            self.history.setdefault(message.channel_id, []).append(message)
            found = self.channel(message.channel_id)
            if found is not None:
                channel = found[1]
                channel.last_message_id = message.id
                if channel.is_thread:
                    channel.message_count += 1
        if announce and not message.ephemeral:
            self.emit("MESSAGE_CREATE", message.payload())
        else:
            self.changed()
        return message

    def new_message(self, channel_id: int, author: User, **fields: Any) -> StoredMessage:
        found = self.channel(channel_id)
        guild_id = found[0].id if found else None
        member = found[0].members.get(author.id) if found else None
        return StoredMessage(
            self.ids.next(),
            channel_id,
            guild_id,
            author,
            member=member,
            viewer_id=self.bot.id,
            **fields,
        )

    def mentions_in(self, content: str) -> tuple[list[User], list[int]]:
        users = [self.users[int(i)] for i in _USER_MENTION.findall(content) if int(i) in self.users]
        return users, [int(i) for i in _ROLE_MENTION.findall(content)]

    def edit_message(
        self,
        message: StoredMessage,
        changes: JSON,
        *,
        new_attachments: list[StoredAttachment] | None = None,
    ) -> StoredMessage:
        message.edits.append(message.payload())
        if "content" in changes:
            message.mentions, message.mention_role_ids = self.mentions_in(changes["content"] or "")
        for key in ("content", "embeds", "components", "flags", "allowed_mentions"):
            if key in changes:
                value = changes[key]
                if key == "content":
                    value = value or ""
                elif key in ("embeds", "components"):
                    value = value or []
                elif key == "flags":
                    # Only the suppress-embeds bit is editable; keep the others.
                    value = (message.flags & ~4) | ((value or 0) & 4)
                setattr(message, key, value)
        if "attachments" in changes and changes["attachments"] is not None:
            keep = {str(a.get("id")) for a in changes["attachments"] if isinstance(a, dict)}
            message.attachments = [a for a in message.attachments if str(a.id) in keep]
        message.attachments.extend(new_attachments or [])
        message.edited_timestamp = now_iso()
        if message.ephemeral:
            self.changed()
        else:
            self.emit("MESSAGE_UPDATE", message.payload())
        return message

    def delete_message(self, message: StoredMessage) -> None:
        message.deleted = True
        self.messages.pop(message.id, None)
        channel_history = self.history.get(message.channel_id, [])
        if message in channel_history:
            channel_history.remove(message)
        payload: JSON = {"id": str(message.id), "channel_id": str(message.channel_id)}
        if message.guild_id is not None:
            payload["guild_id"] = str(message.guild_id)
        if message.ephemeral:
            self.changed()
        else:
            self.emit("MESSAGE_DELETE", payload)

    def pin(self, message: StoredMessage, by: User) -> None:
        if message.pinned:
            return
        message.pinned = True
        message.pinned_at = now_iso()
        self._pins_update(message)
        notice = self.new_message(
            message.channel_id,
            by,
            type=6,
            message_reference={
                "type": 0,
                "message_id": str(message.id),
                "channel_id": str(message.channel_id),
                **({"guild_id": str(message.guild_id)} if message.guild_id else {}),
            },
        )
        self.add_message(notice)

    def unpin(self, message: StoredMessage) -> None:
        if not message.pinned:
            return
        message.pinned = False
        message.pinned_at = None
        self._pins_update(message)

    def _pins_update(self, message: StoredMessage) -> None:
        pins = self.pins(message.channel_id)
        payload: JSON = {
            "channel_id": str(message.channel_id),
            "last_pin_timestamp": pins[0].pinned_at if pins else None,
        }
        if message.guild_id is not None:
            payload["guild_id"] = str(message.guild_id)
        self.emit("CHANNEL_PINS_UPDATE", payload)

    def pins(self, channel_id: int) -> list[StoredMessage]:
        pinned = [m for m in self.history.get(channel_id, []) if m.pinned]
        return sorted(pinned, key=lambda m: m.pinned_at or "", reverse=True)

    # --------------------------------------------------------- scheduled events

    def create_event(self, guild: Guild, creator: User, body: JSON) -> ScheduledEvent:
        metadata = body.get("entity_metadata") or {}
        event = ScheduledEvent(
            self.ids.next(),
            guild.id,
            creator,
            body["name"],
            _normalise_time(body["scheduled_start_time"]),
            int(body["entity_type"]),
            channel_id=int(body["channel_id"]) if body.get("channel_id") else None,
            description=body.get("description"),
            scheduled_end_time=_normalise_time(body.get("scheduled_end_time")),
            privacy_level=int(body.get("privacy_level") or 2),
            location=metadata.get("location"),
            image=_image_hash(body.get("image")),
        )
        self.events[guild.id][event.id] = event
        self.emit("GUILD_SCHEDULED_EVENT_CREATE", event.payload())
        return event

    def edit_event(self, event: ScheduledEvent, body: JSON) -> ScheduledEvent:
        for key in ("name", "description", "privacy_level", "status"):
            if key in body:
                setattr(event, key, body[key])
        if "entity_type" in body and body["entity_type"] is not None:
            event.entity_type = int(body["entity_type"])
        if "channel_id" in body:
            event.channel_id = int(body["channel_id"]) if body["channel_id"] else None
        if "scheduled_start_time" in body:
            event.scheduled_start_time = _normalise_time(body["scheduled_start_time"]) or ""
        if "scheduled_end_time" in body:
            event.scheduled_end_time = _normalise_time(body["scheduled_end_time"])
        if "entity_metadata" in body:
            event.location = (body["entity_metadata"] or {}).get("location")
        if "image" in body:
            event.image = _image_hash(body["image"])
        self.emit("GUILD_SCHEDULED_EVENT_UPDATE", event.payload())
        return event

    def delete_event(self, event: ScheduledEvent) -> None:
        self.events[event.guild_id].pop(event.id, None)
        self.emit("GUILD_SCHEDULED_EVENT_DELETE", event.payload())


def _normalise_time(value: str | None) -> str | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return iso(moment)


def _image_hash(data: str | None) -> str | None:
    if not data:
        return None
    raw = data.split(",", 1)[-1]
    return base64.b64decode(raw)[:8].hex() or None
