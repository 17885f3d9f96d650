"""Permission bits and Discord's permission computation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import discord

if TYPE_CHECKING:
    from .models import Channel, Guild, Member

PermissionsLike = int | discord.Permissions

ALL = discord.Permissions.all().value
ADMINISTRATOR = discord.Permissions(administrator=True).value
VIEW_CHANNEL = discord.Permissions(view_channel=True).value
SEND_MESSAGES = discord.Permissions(send_messages=True).value
SEND_MESSAGES_IN_THREADS = discord.Permissions(send_messages_in_threads=True).value
ATTACH_FILES = discord.Permissions(attach_files=True).value
READ_MESSAGE_HISTORY = discord.Permissions(read_message_history=True).value
MANAGE_MESSAGES = discord.Permissions(manage_messages=True).value
PIN_MESSAGES = discord.Permissions(pin_messages=True).value
MANAGE_ROLES = discord.Permissions(manage_roles=True).value
MANAGE_CHANNELS = discord.Permissions(manage_channels=True).value
MANAGE_EVENTS = discord.Permissions(manage_events=True).value
CREATE_EVENTS = discord.Permissions(create_events=True).value
CREATE_PUBLIC_THREADS = discord.Permissions(create_public_threads=True).value
CREATE_PRIVATE_THREADS = discord.Permissions(create_private_threads=True).value
MANAGE_THREADS = discord.Permissions(manage_threads=True).value
ADD_REACTIONS = discord.Permissions(add_reactions=True).value

#: What a fresh guild's @everyone role allows (a typical community server).
DEFAULT_EVERYONE = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    embed_links=True,
    attach_files=True,
    add_reactions=True,
    use_external_emojis=True,
    read_message_history=True,
    use_application_commands=True,
    connect=True,
    speak=True,
    change_nickname=True,
    create_instant_invite=True,
).value

#: What the bot's managed role allows by default: enough to post, pin, open
#: threads, schedule events and hand out roles.
DEFAULT_BOT = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    manage_threads=True,
    embed_links=True,
    attach_files=True,
    add_reactions=True,
    use_external_emojis=True,
    read_message_history=True,
    manage_messages=True,
    pin_messages=True,
    manage_events=True,
    create_events=True,
    manage_roles=True,
    use_application_commands=True,
    connect=True,
).value


def as_int(value: PermissionsLike | None) -> int:
    if value is None:
        return 0
    if isinstance(value, discord.Permissions):
        return value.value
    return int(value)


def base_permissions(guild: Guild, member: Member) -> int:
    """Guild-level permissions: @everyone plus the member's roles."""
    if member.user.id == guild.owner_id:
        return ALL
    perms = guild.everyone_role.permissions
    for role in guild.roles_of(member):
        perms |= role.permissions
    if perms & ADMINISTRATOR:
        return ALL
    return perms


def channel_permissions(guild: Guild, member: Member, channel: Channel | None) -> int:
    """Permissions in a channel, overwrites applied in Discord's order."""
    perms = base_permissions(guild, member)
    if perms & ADMINISTRATOR or channel is None:
        return perms
    source = channel
    if channel.is_thread and channel.parent_id is not None:
        source = guild.channels.get(channel.parent_id, channel)
    overwrites = source.overwrites
    everyone = overwrites.get(guild.id)
    if everyone is not None:
        perms = (perms & ~everyone.deny) | everyone.allow
    allow = deny = 0
    role_ids: Iterable[int] = member.role_ids
    for role_id in role_ids:
        overwrite = overwrites.get(role_id)
        if overwrite is not None and overwrite.type == 0:
            allow |= overwrite.allow
            deny |= overwrite.deny
    perms = (perms & ~deny) | allow
    own = overwrites.get(member.user.id)
    if own is not None and own.type == 1:
        perms = (perms & ~own.deny) | own.allow
    if not perms & VIEW_CHANNEL:
        return 0
    return perms
