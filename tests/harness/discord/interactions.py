"""Building INTERACTION_CREATE payloads the way Discord does, and tracking them.

Option payloads are typed from the command definitions the bot registered
(``PUT .../commands``), which is what Discord knows; if the bot registered
none, the definitions of a :class:`discord.app_commands.CommandTree` are used.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import permissions as perms
from .models import JSON, Channel, Guild, Member, Role, StoredMessage, User

if TYPE_CHECKING:
    from discord import app_commands

    from .state import World

# Interaction types.
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
# Application command types.
CHAT_INPUT, USER_COMMAND, MESSAGE_COMMAND = 1, 2, 3
# Option types.
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


class CommandUnavailable(AssertionError):
    """The member could not run this command in Discord's UI."""


@dataclass
class Upload:
    """A file a member attaches to an attachment option."""

    filename: str
    data: bytes
    content_type: str | None = None


@dataclass(eq=False)
class InteractionRecord:
    """One interaction the fake dispatched and everything the bot did with it."""

    id: int
    token: str
    type: int
    payload: JSON
    guild: Guild
    channel: Channel
    member: Member
    created_at: float
    deadline: float
    label: str
    message: StoredMessage | None = None
    callback_type: int | None = None
    callback_body: JSON | None = None
    callback_at: float | None = None
    original: StoredMessage | None = None
    followups: list[StoredMessage] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    completed: bool = False

    @property
    def acknowledged(self) -> bool:
        return self.callback_type is not None

    @property
    def expired(self) -> bool:
        return self.callback_type is None and bool(self.rejected)


def _lookup(commands: dict[int, JSON], name: str, kind: int) -> JSON | None:
    for command in commands.values():
        if command["name"] == name and int(command.get("type", CHAT_INPUT)) == kind:
            return command
    return None


class CommandResolver:
    """Finds a command definition: registered ones first, then the fallback tree."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.fallback_tree: app_commands.CommandTree[Any] | None = None
        self._fallback_ids: dict[tuple[str, int, int | None], int] = {}

    def find(self, guild: Guild, name: str, kind: int) -> JSON | None:
        found = _lookup(self.world.guild_commands.get(guild.id, {}), name, kind)
        if found is None:
            found = _lookup(self.world.global_commands, name, kind)
        if found is None and not self._registered_any(guild):
            found = self._from_tree(guild, name, kind)
        return found

    def _registered_any(self, guild: Guild) -> bool:
        return bool(self.world.global_commands or self.world.guild_commands.get(guild.id))

    def _from_tree(self, guild: Guild, name: str, kind: int) -> JSON | None:
        tree = self.fallback_tree
        if tree is None:
            return None
        import discord

        for scope in (discord.Object(guild.id), None):
            for command in tree.get_commands(guild=scope):
                data = command.to_dict(tree)
                if data["name"] == name and int(data.get("type", CHAT_INPUT)) == kind:
                    guild_id = guild.id if scope is not None else None
                    key = (name, kind, guild_id)
                    if key not in self._fallback_ids:
                        self._fallback_ids[key] = self.world.ids.next()
                    data["id"] = str(self._fallback_ids[key])
                    data["application_id"] = str(self.world.application_id)
                    if guild_id is not None:
                        data["guild_id"] = str(guild_id)
                    return data
        return None

    def names(self, guild: Guild) -> list[str]:
        commands = [*self.world.guild_commands.get(guild.id, {}).values()]
        commands += self.world.global_commands.values()
        return sorted(f"{c['name']} (type {c.get('type', 1)})" for c in commands)


class InteractionBuilder:
    """Turns a user's action into the payload Discord would dispatch."""

    def __init__(self, world: World, resolver: CommandResolver) -> None:
        self.world = world
        self.resolver = resolver

    # ------------------------------------------------------------- envelope

    def envelope(
        self, kind: int, guild: Guild, channel: Channel, member: Member, data: JSON
    ) -> tuple[int, str, JSON]:
        interaction_id = self.world.ids.next()
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
        member_perms = self.world.member_permissions(guild, member, channel)
        payload: JSON = {
            "id": str(interaction_id),
            "application_id": str(self.world.application_id),
            "type": kind,
            "data": data,
            "guild": {
                "id": str(guild.id),
                "locale": guild.preferred_locale,
                "features": ["COMMUNITY"],
            },
            "guild_id": str(guild.id),
            "channel": self._channel_payload(channel, member_perms),
            "channel_id": str(channel.id),
            "member": member.payload(permissions=member_perms),
            "token": token,
            "version": 1,
            "app_permissions": str(self.world.bot_permissions(guild, channel)),
            "locale": "en-US",
            "guild_locale": guild.preferred_locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }
        return interaction_id, token, payload

    @staticmethod
    def _channel_payload(channel: Channel, member_perms: int) -> JSON:
        data = channel.payload()
        data["permissions"] = str(member_perms)
        return data

    # ------------------------------------------------------- slash commands

    def command_data(
        self,
        guild: Guild,
        channel: Channel,
        member: Member,
        path: str,
        values: dict[str, Any],
        *,
        focused: str | None = None,
    ) -> JSON:
        parts = path.strip().lstrip("/").split()
        if not parts:
            raise ValueError("empty command path")
        command = self.resolver.find(guild, parts[0], CHAT_INPUT)
        if command is None:
            raise CommandUnavailable(
                f"/{parts[0]} is not registered for guild {guild.name!r}; known commands: "
                f"{self.resolver.names(guild)}"
            )
        self._check_available(guild, channel, member, command)
        resolved: JSON = {}
        options = self._walk(
            guild,
            channel,
            member,
            command.get("options") or [],
            parts[1:],
            dict(values),
            resolved,
            focused,
            f"/{parts[0]}",
        )
        data: JSON = {
            "id": str(command["id"]),
            "name": command["name"],
            "type": CHAT_INPUT,
        }
        if options:
            data["options"] = options
        if resolved:
            data["resolved"] = resolved
        if command.get("guild_id"):
            data["guild_id"] = str(command["guild_id"])
        return data

    def _walk(
        self,
        guild: Guild,
        channel: Channel,
        member: Member,
        definitions: list[JSON],
        rest: list[str],
        values: dict[str, Any],
        resolved: JSON,
        focused: str | None,
        where: str,
    ) -> list[JSON]:
        if rest:
            name = rest[0]
            for definition in definitions:
                if definition["name"] == name and definition["type"] in (
                    SUB_COMMAND,
                    SUB_COMMAND_GROUP,
                ):
                    inner = self._walk(
                        guild,
                        channel,
                        member,
                        definition.get("options") or [],
                        rest[1:],
                        values,
                        resolved,
                        focused,
                        f"{where} {name}",
                    )
                    option: JSON = {"type": definition["type"], "name": name}
                    if inner or definition["type"] == SUB_COMMAND:
                        option["options"] = inner
                    return [option]
            subs = [d["name"] for d in definitions if d["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)]
            raise CommandUnavailable(f"{where} has no sub-command {name!r}; it has {subs}")
        if any(d["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP) for d in definitions):
            subs = [d["name"] for d in definitions]
            raise CommandUnavailable(f"{where} needs a sub-command, one of {subs}")
        by_name = {d["name"]: d for d in definitions}
        unknown = sorted(set(values) - set(by_name))
        if unknown:
            raise CommandUnavailable(
                f"{where} has no option(s) {unknown}; it has {sorted(by_name)}"
            )
        out: list[JSON] = []
        for definition in definitions:
            name = definition["name"]
            if name not in values:
                if definition.get("required") and focused is None:
                    raise CommandUnavailable(f"{where}: required option {name!r} is missing")
                continue
            value = values[name]
            if name == focused:
                out.append(
                    {"type": definition["type"], "name": name, "value": value, "focused": True}
                )
                continue
            out.append(self._option(guild, channel, member, definition, value, resolved, where))
        if focused is not None and focused not in by_name:
            raise CommandUnavailable(f"{where} has no option {focused!r} to autocomplete")
        return out

    def _option(
        self,
        guild: Guild,
        channel: Channel,
        member: Member,
        definition: JSON,
        value: Any,
        resolved: JSON,
        where: str,
    ) -> JSON:
        kind, name = definition["type"], definition["name"]
        label = f"{where} option {name!r}"
        if kind == STRING:
            _expect(isinstance(value, str), label, "a str", value)
            _check_choices(definition, value, label)
            _check_range(
                len(value),
                definition.get("min_length"),
                definition.get("max_length"),
                label,
                "length",
            )
            raw: Any = value
        elif kind == INTEGER:
            _expect(isinstance(value, int) and not isinstance(value, bool), label, "an int", value)
            _check_choices(definition, value, label)
            _check_range(
                value, definition.get("min_value"), definition.get("max_value"), label, "value"
            )
            raw = value
        elif kind == NUMBER:
            _expect(
                isinstance(value, int | float) and not isinstance(value, bool),
                label,
                "a number",
                value,
            )
            _check_choices(definition, value, label)
            _check_range(
                value, definition.get("min_value"), definition.get("max_value"), label, "value"
            )
            raw = value
        elif kind == BOOLEAN:
            _expect(isinstance(value, bool), label, "a bool", value)
            raw = value
        elif kind == USER:
            _expect(isinstance(value, Member | User), label, "a member or user", value)
            raw = self._resolve_user(guild, channel, value, resolved)
        elif kind == ROLE:
            _expect(isinstance(value, Role), label, "a role", value)
            raw = self._resolve_role(value, resolved)
        elif kind == MENTIONABLE:
            _expect(isinstance(value, Member | User | Role), label, "a member, user or role", value)
            if isinstance(value, Role):
                raw = self._resolve_role(value, resolved)
            else:
                raw = self._resolve_user(guild, channel, value, resolved)
        elif kind == CHANNEL:
            _expect(isinstance(value, Channel), label, "a channel", value)
            allowed = definition.get("channel_types")
            if allowed and value.type not in allowed:
                raise CommandUnavailable(f"{label}: channel type {value.type} not in {allowed}")
            member_perms = self.world.member_permissions(guild, member, value)
            resolved.setdefault("channels", {})[str(value.id)] = self._channel_payload(
                value, member_perms
            )
            raw = str(value.id)
        elif kind == ATTACHMENT:
            upload = as_upload(value, label)
            stored = self.world.store_attachment(
                channel.id, upload.filename, upload.data, upload.content_type, ephemeral=True
            )
            resolved.setdefault("attachments", {})[str(stored.id)] = stored.payload()
            raw = str(stored.id)
        else:
            raise CommandUnavailable(f"{label}: unsupported option type {kind}")
        return {"type": kind, "name": name, "value": raw}

    def _resolve_user(
        self, guild: Guild, channel: Channel, value: Member | User, resolved: JSON
    ) -> str:
        user = value.user if isinstance(value, Member) else value
        resolved.setdefault("users", {})[str(user.id)] = user.payload()
        member = guild.members.get(user.id)
        if member is not None:
            member_perms = self.world.member_permissions(guild, member, channel)
            resolved.setdefault("members", {})[str(user.id)] = member.payload(
                with_user=False, permissions=member_perms
            )
        return str(user.id)

    @staticmethod
    def _resolve_role(role: Role, resolved: JSON) -> str:
        resolved.setdefault("roles", {})[str(role.id)] = role.payload()
        return str(role.id)

    def _check_available(
        self, guild: Guild, channel: Channel, member: Member, command: JSON
    ) -> None:
        contexts = command.get("contexts")
        if contexts is not None and 0 not in contexts:
            raise CommandUnavailable(f"/{command['name']} is not available in guilds")
        required = command.get("default_member_permissions")
        if required is None:
            return
        required_bits = int(required)
        have = self.world.member_permissions(guild, member, channel)
        if have & perms.ADMINISTRATOR:
            return
        if have & required_bits != required_bits:
            raise CommandUnavailable(
                f"{member.name} lacks the permissions /{command['name']} requires "
                f"(default_member_permissions={required_bits})"
            )

    # ------------------------------------------------------- context menus

    def context_menu_data(
        self,
        guild: Guild,
        channel: Channel,
        member: Member,
        name: str,
        kind: int,
        target: StoredMessage | Member | User,
    ) -> JSON:
        command = self.resolver.find(guild, name, kind)
        if command is None:
            raise CommandUnavailable(
                f"context menu {name!r} (type {kind}) is not registered; "
                f"known: {self.resolver.names(guild)}"
            )
        self._check_available(guild, channel, member, command)
        resolved: JSON = {}
        if isinstance(target, StoredMessage):
            resolved["messages"] = {str(target.id): target.payload()}
            target_id = str(target.id)
        else:
            target_id = self._resolve_user(guild, channel, target, resolved)
        data: JSON = {
            "id": str(command["id"]),
            "name": command["name"],
            "type": kind,
            "target_id": target_id,
            "resolved": resolved,
        }
        if command.get("guild_id"):
            data["guild_id"] = str(command["guild_id"])
        return data


def as_upload(value: Any, label: str = "attachment") -> Upload:
    if isinstance(value, Upload):
        return value
    if isinstance(value, tuple) and len(value) in (2, 3):
        first, second = value[0], value[1]
        content_type = value[2] if len(value) == 3 else None
        if isinstance(first, str) and isinstance(second, bytes):
            return Upload(first, second, content_type)
        if isinstance(first, bytes) and isinstance(second, str):
            return Upload(second, first, content_type)
    raise CommandUnavailable(
        f"{label}: expected Upload(filename, data) or (filename, bytes), got {value!r}"
    )


def _expect(ok: bool, label: str, wanted: str, value: Any) -> None:
    if not ok:
        raise CommandUnavailable(f"{label}: expected {wanted}, got {value!r}")


def _check_choices(definition: JSON, value: Any, label: str) -> None:
    choices = definition.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        raise CommandUnavailable(
            f"{label}: {value!r} is not one of {[c['value'] for c in choices]}"
        )


def _check_range(
    value: float, low: float | None, high: float | None, label: str, what: str
) -> None:
    if low is not None and value < low:
        raise CommandUnavailable(f"{label}: {what} {value} is below the minimum {low}")
    if high is not None and value > high:
        raise CommandUnavailable(f"{label}: {what} {value} is above the maximum {high}")
