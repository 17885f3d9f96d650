"""The fake's world: users, guilds, channels, roles, members, messages, events.

Each model knows how to render itself as the JSON object Discord would send,
with the full field set discord.py reads.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import permissions as perms
from .ids import iso, now_iso, snowflake_time

JSON = dict[str, Any]

# Channel types used by the fake.
GUILD_TEXT = 0
GUILD_VOICE = 2
GUILD_CATEGORY = 4
GUILD_ANNOUNCEMENT = 5
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12
GUILD_STAGE_VOICE = 13
GUILD_FORUM = 15
THREAD_TYPES = frozenset({10, PUBLIC_THREAD, PRIVATE_THREAD})
MESSAGEABLE_TYPES = frozenset(
    {GUILD_TEXT, GUILD_VOICE, GUILD_ANNOUNCEMENT, GUILD_STAGE_VOICE, *THREAD_TYPES}
)


@dataclass(eq=False)
class User:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def payload(self) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
            "collectibles": None,
            "primary_guild": None,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass(eq=False)
class Role:
    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    managed_by_bot: int | None = None

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"

    @property
    def is_everyone(self) -> bool:
        return self.id == self.guild_id

    def payload(self) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "name": self.name,
            "color": self.color,
            "colors": {
                "primary_color": self.color,
                "secondary_color": None,
                "tertiary_color": None,
            },
            "hoist": self.hoist,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed_by_bot is not None,
            "mentionable": self.mentionable,
            "flags": 0,
        }
        if self.managed_by_bot is not None:
            data["tags"] = {"bot_id": str(self.managed_by_bot)}
        return data


@dataclass
class Overwrite:
    id: int
    type: int  # 0 = role, 1 = member
    allow: int = 0
    deny: int = 0

    def payload(self) -> JSON:
        return {
            "id": str(self.id),
            "type": self.type,
            "allow": str(self.allow),
            "deny": str(self.deny),
        }


@dataclass(eq=False)
class Channel:
    id: int
    guild_id: int
    type: int
    name: str
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    nsfw: bool = False
    overwrites: dict[int, Overwrite] = field(default_factory=dict)
    last_message_id: int | None = None
    # Thread fields.
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    auto_archive_duration: int = 4320
    message_count: int = 0
    member_ids: set[int] = field(default_factory=set)
    created_at: str = field(default_factory=now_iso)

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES

    def payload(self) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "parent_id": str(self.parent_id) if self.parent_id is not None else None,
            "flags": 0,
        }
        if self.is_thread:
            data.update(
                {
                    "owner_id": str(self.owner_id) if self.owner_id is not None else None,
                    "last_message_id": _opt_str(self.last_message_id),
                    "rate_limit_per_user": 0,
                    "message_count": self.message_count,
                    "member_count": len(self.member_ids),
                    "total_message_sent": self.message_count,
                    "applied_tags": [],
                    "thread_metadata": {
                        "archived": self.archived,
                        "auto_archive_duration": self.auto_archive_duration,
                        "archive_timestamp": self.created_at,
                        "locked": self.locked,
                        "invitable": True,
                        "create_timestamp": self.created_at,
                    },
                }
            )
            return data
        data.update(
            {
                "position": self.position,
                "permission_overwrites": [o.payload() for o in self.overwrites.values()],
                "nsfw": self.nsfw,
            }
        )
        if self.type in (GUILD_TEXT, GUILD_ANNOUNCEMENT, GUILD_FORUM):
            data.update(
                {
                    "topic": self.topic,
                    "last_message_id": _opt_str(self.last_message_id),
                    "rate_limit_per_user": 0,
                    "default_auto_archive_duration": 4320,
                    "default_thread_rate_limit_per_user": 0,
                }
            )
        elif self.type in (GUILD_VOICE, GUILD_STAGE_VOICE):
            data.update(
                {
                    "bitrate": 64000,
                    "user_limit": 0,
                    "rtc_region": None,
                    "video_quality_mode": 1,
                    "last_message_id": _opt_str(self.last_message_id),
                    "rate_limit_per_user": 0,
                }
            )
            if self.type == GUILD_STAGE_VOICE:
                data["topic"] = self.topic
        return data

    def thread_member_payload(self, user_id: int) -> JSON:
        return {
            "id": str(self.id),
            "user_id": str(user_id),
            "join_timestamp": self.created_at,
            "flags": 1,
        }


@dataclass(eq=False)
class Member:
    user: User
    guild_id: int
    role_ids: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=now_iso)

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def mention(self) -> str:
        return self.user.mention

    @property
    def name(self) -> str:
        return self.user.username

    def payload(self, *, with_user: bool = True, permissions: int | None = None) -> JSON:
        data: JSON = {
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "roles": [str(r) for r in self.role_ids],
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
            "avatar_decoration_data": None,
        }
        if with_user:
            data["user"] = self.user.payload()
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data


@dataclass(eq=False)
class Guild:
    id: int
    name: str
    owner_id: int
    channels: dict[int, Channel] = field(default_factory=dict)
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    joined_at: str = field(default_factory=now_iso)
    preferred_locale: str = "en-US"
    # Set by the state so test helpers can mutate through it (and dispatch events).
    _world: Any = field(default=None, repr=False)

    @property
    def everyone_role(self) -> Role:
        return self.roles[self.id]

    def roles_of(self, member: Member) -> list[Role]:
        return [self.roles[r] for r in member.role_ids if r in self.roles]

    def top_role_position(self, member: Member) -> int:
        return max((r.position for r in self.roles_of(member)), default=0)

    def text_channels(self) -> list[Channel]:
        return [c for c in self.channels.values() if c.type == GUILD_TEXT]

    def threads(self) -> list[Channel]:
        return [c for c in self.channels.values() if c.is_thread]

    def channel_named(self, name: str) -> Channel:
        for channel in self.channels.values():
            if channel.name == name.lstrip("#"):
                return channel
        raise KeyError(f"no channel named {name!r} in guild {self.name!r}")

    def role_named(self, name: str) -> Role:
        for role in self.roles.values():
            if role.name == name:
                return role
        raise KeyError(f"no role named {name!r} in guild {self.name!r}")

    def member_named(self, name: str) -> Member:
        for member in self.members.values():
            if name in (member.user.username, member.user.global_name, member.nick):
                return member
        raise KeyError(f"no member named {name!r} in guild {self.name!r}")

    @property
    def default_channel(self) -> Channel:
        texts = self.text_channels()
        if not texts:
            raise LookupError(f"guild {self.name!r} has no text channel")
        return min(texts, key=lambda c: (c.position, c.id))

    # Test-facing helpers; they delegate to the world so events get dispatched.

    def add_text_channel(self, name: str, *, topic: str | None = None, **kw: Any) -> Channel:
        return self._world.add_channel(self, name, GUILD_TEXT, topic=topic, **kw)

    def add_voice_channel(self, name: str, **kw: Any) -> Channel:
        return self._world.add_channel(self, name, GUILD_VOICE, **kw)

    def add_stage_channel(self, name: str, **kw: Any) -> Channel:
        return self._world.add_channel(self, name, GUILD_STAGE_VOICE, **kw)

    def add_category(self, name: str, **kw: Any) -> Channel:
        return self._world.add_channel(self, name, GUILD_CATEGORY, **kw)

    def add_thread(
        self, parent: Channel, name: str, *, private: bool = False, owner: Member | None = None
    ) -> Channel:
        return self._world.add_thread(
            self, parent, name, private=private, owner=owner.user if owner else None
        )

    def add_role(
        self,
        name: str,
        permissions: perms.PermissionsLike = 0,
        *,
        above_bot: bool = False,
        mentionable: bool = False,
    ) -> Role:
        return self._world.add_role(
            self, name, perms.as_int(permissions), above_bot=above_bot, mentionable=mentionable
        )

    def add_member(
        self,
        name: str,
        roles: list[Role] | None = None,
        permissions: perms.PermissionsLike | None = None,
        admin: bool = False,
        *,
        global_name: str | None = None,
        bot: bool = False,
    ) -> Member:
        return self._world.add_member(
            self,
            name,
            roles=roles or [],
            permissions=permissions,
            admin=admin,
            global_name=global_name,
            bot=bot,
        )

    def set_overwrite(
        self,
        channel: Channel,
        target: Role | Member,
        *,
        allow: perms.PermissionsLike = 0,
        deny: perms.PermissionsLike = 0,
    ) -> None:
        self._world.set_overwrite(self, channel, target, allow=allow, deny=deny)

    def payload(self, *, for_gateway: bool = False, bot_id: int | None = None) -> JSON:
        system = self.text_channels()
        data: JSON = {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "icon_hash": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "widget_enabled": False,
            "widget_channel_id": None,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 2,
            "roles": [r.payload() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": ["COMMUNITY"],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": str(system[0].id) if system else None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "max_presences": None,
            "max_members": 500000,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": self.preferred_locale,
            "nsfw_level": 0,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "incidents_data": None,
        }
        if for_gateway:
            data.update(
                {
                    "joined_at": self.joined_at,
                    "large": False,
                    "unavailable": False,
                    "member_count": len(self.members),
                    "voice_states": [],
                    "members": [m.payload() for m in self.members.values()],
                    "channels": [c.payload() for c in self.channels.values() if not c.is_thread],
                    "threads": [
                        self._thread_with_member(c, bot_id)
                        for c in self.channels.values()
                        if c.is_thread and not c.archived
                    ],
                    "presences": [],
                    "stage_instances": [],
                    "guild_scheduled_events": [],
                    "soundboard_sounds": [],
                    "embedded_activities": [],
                }
            )
        return data

    def _thread_with_member(self, thread: Channel, bot_id: int | None) -> JSON:
        data = thread.payload()
        if bot_id is not None and bot_id in thread.member_ids:
            data["member"] = thread.thread_member_payload(bot_id)
        return data


@dataclass(eq=False)
class StoredAttachment:
    id: int
    channel_id: int
    filename: str
    data: bytes
    content_type: str
    url: str
    description: str | None = None
    ephemeral: bool = False

    def payload(self) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.data),
            "url": self.url,
            "proxy_url": self.url,
            "content_type": self.content_type,
            "height": None,
            "width": None,
            "flags": 0,
        }
        if self.description is not None:
            data["description"] = self.description
        if self.ephemeral:
            data["ephemeral"] = True
        return data


@dataclass(eq=False)
class StoredMessage:
    """A message as the fake keeps it; :meth:`payload` is what Discord returns."""

    id: int
    channel_id: int
    guild_id: int | None
    author: User
    content: str = ""
    embeds: list[JSON] = field(default_factory=list)
    components: list[JSON] = field(default_factory=list)
    attachments: list[StoredAttachment] = field(default_factory=list)
    pinned: bool = False
    pinned_at: str | None = None
    type: int = 0
    flags: int = 0
    tts: bool = False
    edited_timestamp: str | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_metadata: JSON | None = None
    interaction: JSON | None = None
    message_reference: JSON | None = None
    referenced_message: StoredMessage | None = None
    thread: Channel | None = None
    allowed_mentions: JSON | None = None
    nonce: str | int | None = None
    member: Member | None = None
    mentions: list[User] = field(default_factory=list)
    mention_role_ids: list[int] = field(default_factory=list)
    deleted: bool = False
    edits: list[JSON] = field(default_factory=list)
    reactions: dict[str, list[int]] = field(default_factory=dict)
    # Whose "me" flags the payload shows (the bot's).
    viewer_id: int | None = None

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & 64)

    @property
    def timestamp(self) -> datetime:
        return snowflake_time(self.id)

    def payload(self, *, nested: bool = True) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "type": self.type,
            "channel_id": str(self.channel_id),
            "author": self.author.payload(),
            "content": self.content,
            "timestamp": iso(self.timestamp),
            "edited_timestamp": self.edited_timestamp,
            "tts": self.tts,
            "mention_everyone": False,
            "mentions": [u.payload() for u in self.mentions],
            "mention_roles": [str(r) for r in self.mention_role_ids],
            "attachments": [a.payload() for a in self.attachments],
            "embeds": copy.deepcopy(self.embeds),
            "pinned": self.pinned,
            "flags": self.flags,
            "components": copy.deepcopy(self.components),
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if self.reactions:
            data["reactions"] = [
                _reaction(emoji, users, self.viewer_id)
                for emoji, users in self.reactions.items()
                if users
            ]
        if self.member is not None:
            data["member"] = self.member.payload(with_user=False)
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
        if self.application_id is not None:
            data["application_id"] = str(self.application_id)
        if self.interaction_metadata is not None:
            data["interaction_metadata"] = copy.deepcopy(self.interaction_metadata)
        if self.interaction is not None:
            data["interaction"] = copy.deepcopy(self.interaction)
        if self.message_reference is not None:
            data["message_reference"] = copy.deepcopy(self.message_reference)
            if nested:
                ref = self.referenced_message
                data["referenced_message"] = (
                    ref.payload(nested=False) if ref is not None and not ref.deleted else None
                )
        if self.nonce is not None:
            data["nonce"] = self.nonce
        if self.thread is not None:
            data["thread"] = self.thread.payload()
        return data


@dataclass(eq=False)
class ScheduledEvent:
    id: int
    guild_id: int
    creator: User
    name: str
    scheduled_start_time: str
    entity_type: int
    channel_id: int | None = None
    description: str | None = None
    scheduled_end_time: str | None = None
    privacy_level: int = 2
    status: int = 1
    location: str | None = None
    image: str | None = None
    user_ids: set[int] = field(default_factory=set)

    def payload(self, *, with_user_count: bool = False) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "guild_id": str(self.guild_id),
            "channel_id": _opt_str(self.channel_id),
            "creator_id": str(self.creator.id),
            "creator": self.creator.payload(),
            "name": self.name,
            "description": self.description,
            "scheduled_start_time": self.scheduled_start_time,
            "scheduled_end_time": self.scheduled_end_time,
            "privacy_level": self.privacy_level,
            "status": self.status,
            "entity_type": self.entity_type,
            "entity_id": None,
            "entity_metadata": {"location": self.location} if self.location is not None else None,
            "image": self.image,
            "recurrence_rule": None,
            "guild_scheduled_event_exceptions": [],
        }
        if with_user_count:
            data["user_count"] = len(self.user_ids)
        return data


def emoji_payload(emoji: str) -> JSON:
    """``name:id`` custom emoji or a unicode one, as reaction routes spell them."""
    name, _, emoji_id = emoji.partition(":")
    return {"id": emoji_id or None, "name": name}


def _reaction(emoji: str, users: list[int], bot_id: int | None) -> JSON:
    return {
        "count": len(users),
        "count_details": {"burst": 0, "normal": len(users)},
        "me": bot_id in users,
        "me_burst": False,
        "burst_colors": [],
        "emoji": emoji_payload(emoji),
    }


def _opt_str(value: int | None) -> str | None:
    return str(value) if value is not None else None
