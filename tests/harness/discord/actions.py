"""What a guild member does: run commands, click, select, submit modals, write."""

# Waits take explicit timeouts so a failure can say what it was waiting for.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import permissions as P
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMMAND,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    USER_COMMAND,
    CommandUnavailable,
    InteractionRecord,
    Upload,
    as_upload,
)
from .models import JSON, Channel, Guild, Member, Role, StoredMessage, User
from .replies import InteractionFailed, InteractionReply, iter_components

if TYPE_CHECKING:
    from .server import FakeDiscord

MessageRef = JSON | StoredMessage | InteractionReply | int
_SELECT_TYPES = {3: "string", 5: "user", 6: "role", 7: "mentionable", 8: "channel"}


class UserActions:
    """Mixed into :class:`FakeDiscord`; every method reads like the member's action."""

    # -------------------------------------------------------------- helpers

    def _fake(self) -> FakeDiscord:
        return self  # type: ignore[return-value]

    def _guild_of(self, member: Member) -> Guild:
        guild = self._fake().world.guild(member.guild_id)
        if guild is None:
            raise LookupError(f"{member.name} is not in a known guild")
        return guild

    def _channel(self, guild: Guild, channel: Channel | int | str | None) -> Channel:
        if channel is None:
            return guild.default_channel
        if isinstance(channel, Channel):
            return channel
        if isinstance(channel, str):
            return guild.channel_named(channel)
        return guild.channels[int(channel)]

    def _dispatch(
        self,
        kind: int,
        guild: Guild,
        channel: Channel,
        member: Member,
        data: JSON,
        label: str,
        message: StoredMessage | None = None,
    ) -> InteractionRecord:
        fake = self._fake()
        if not any(not s.invalidated for s in fake.gateway.sessions.values()):
            raise InteractionFailed("no client has identified on the gateway; start one first")
        interaction_id, token, payload = fake.builder.envelope(kind, guild, channel, member, data)
        if message is not None:
            payload["message"] = message.payload()
        now = asyncio.get_running_loop().time()
        record = InteractionRecord(
            interaction_id,
            token,
            kind,
            payload,
            guild,
            channel,
            member,
            created_at=now,
            deadline=now + fake.interaction_deadline,
            label=label,
            message=message,
        )
        fake.interactions[interaction_id] = record
        fake.interactions_by_token[token] = record
        fake.world.emit("INTERACTION_CREATE", payload)
        return record

    async def _acknowledged(
        self, record: InteractionRecord, timeout: float | None
    ) -> InteractionReply:
        fake = self._fake()
        loop = asyncio.get_running_loop()
        # A little grace so a callback that arrives right at the deadline is judged.
        limit = timeout if timeout is not None else max(0.0, record.deadline - loop.time()) + 0.05

        def probe() -> bool | None:
            if record.acknowledged:
                return True
            return None

        try:
            await fake.wait_for(probe, limit, lambda: "")
        except AssertionError as exc:
            seen = [
                f"{r.method} {r.path} -> {r.status}"
                for r in fake.requests
                if str(record.id) in r.path or record.token in r.path
            ]
            errors = "\n".join(fake.client_errors[-3:])
            if not fake.gateway.live_connections():
                seen.append("no client is connected to the gateway")
            raise InteractionFailed(
                f"the bot did not acknowledge {record.label} within {limit:.2f} s "
                f"(Discord's limit is {fake.interaction_deadline:.1f} s); "
                f"rejected: {record.rejected or 'none'}; requests for it: {seen or 'none'}"
                + (f"\nerrors logged by discord.py:\n{errors}" if errors else "")
            ) from exc
        return InteractionReply(fake, record)

    # ------------------------------------------------------------ commands

    async def slash(
        self,
        member: Member,
        command: str,
        /,
        *,
        channel: Channel | int | str | None = None,
        options: dict[str, Any] | None = None,
        timeout: float | None = None,
        **values: Any,
    ) -> InteractionReply:
        """Run ``/command sub [group sub] option=value ...`` as ``member``.

        Option values are Python values: str/int/float/bool, a Member/User,
        Role or Channel, and ``(filename, bytes)`` or :class:`Upload` for
        attachments. Use ``options={...}`` for names that clash with the
        keyword arguments (``channel``, ``options``, ``timeout``) or contain "-".
        Returns once the bot has acknowledged the interaction.
        """
        guild = self._guild_of(member)
        where = self._channel(guild, channel)
        data = self._fake().builder.command_data(
            guild, where, member, command, {**values, **(options or {})}
        )
        record = self._dispatch(APPLICATION_COMMAND, guild, where, member, data, f"/{command}")
        return await self._acknowledged(record, timeout)

    async def autocomplete(
        self,
        member: Member,
        command: str,
        /,
        *,
        focused: str,
        value: Any = "",
        channel: Channel | int | str | None = None,
        options: dict[str, Any] | None = None,
        timeout: float | None = None,
        **values: Any,
    ) -> list[JSON]:
        """Type ``value`` into option ``focused``; returns the choices the bot offered."""
        guild = self._guild_of(member)
        where = self._channel(guild, channel)
        all_values = {**values, **(options or {}), focused: value}
        data = self._fake().builder.command_data(
            guild, where, member, command, all_values, focused=focused
        )
        record = self._dispatch(AUTOCOMPLETE, guild, where, member, data, f"/{command} [{focused}]")
        reply = await self._acknowledged(record, timeout)
        return reply.choices or []

    async def message_command(
        self,
        member: Member,
        name: str,
        target: MessageRef,
        *,
        timeout: float | None = None,
    ) -> InteractionReply:
        """Right-click a message → Apps → ``name``."""
        fake = self._fake()
        message = fake.stored_message(target)
        guild = self._guild_of(member)
        where = self._channel(guild, message.channel_id)
        data = fake.builder.context_menu_data(guild, where, member, name, MESSAGE_COMMAND, message)
        record = self._dispatch(APPLICATION_COMMAND, guild, where, member, data, name)
        return await self._acknowledged(record, timeout)

    async def user_command(
        self,
        member: Member,
        name: str,
        target: Member | User,
        *,
        channel: Channel | int | str | None = None,
        timeout: float | None = None,
    ) -> InteractionReply:
        """Right-click a member → Apps → ``name``."""
        guild = self._guild_of(member)
        where = self._channel(guild, channel)
        data = self._fake().builder.context_menu_data(
            guild, where, member, name, USER_COMMAND, target
        )
        record = self._dispatch(APPLICATION_COMMAND, guild, where, member, data, name)
        return await self._acknowledged(record, timeout)

    # ---------------------------------------------------------- components

    def _find_component(
        self, message: StoredMessage, match: Callable[[JSON], bool], what: str
    ) -> JSON:
        for component in iter_components(message.components):
            if match(component):
                return component
        ids = [
            (c.get("custom_id"), c.get("label"))
            for c in iter_components(message.components)
            if c.get("type") not in (1, 9, 10, 17, 18)
        ]
        raise CommandUnavailable(f"message {message.id} has no {what}; it has {ids}")

    async def click(
        self,
        member: Member,
        message: MessageRef,
        *,
        custom_id: str | None = None,
        label: str | None = None,
        timeout: float | None = None,
    ) -> InteractionReply:
        """Press a button, found by ``custom_id`` or visible ``label``."""
        if custom_id is None and label is None:
            raise ValueError("click() needs custom_id= or label=")
        stored = self._fake().stored_message(message)
        button = self._find_component(
            stored,
            lambda c: (
                c.get("type") == 2
                and (custom_id is None or c.get("custom_id") == custom_id)
                and (label is None or c.get("label") == label)
            ),
            f"button custom_id={custom_id!r} label={label!r}",
        )
        if button.get("disabled"):
            raise CommandUnavailable(f"button {button.get('label')!r} is disabled")
        if button.get("style") == 5 or not button.get("custom_id"):
            raise CommandUnavailable(
                f"button {button.get('label')!r} is a link; it sends no interaction"
            )
        data = {"custom_id": button["custom_id"], "component_type": 2}
        if "id" in button:
            data["id"] = button["id"]
        return await self._component(
            member, stored, data, f"click {button.get('label') or button['custom_id']!r}", timeout
        )

    async def select(
        self,
        member: Member,
        message: MessageRef,
        custom_id: str,
        values: list[Any],
        *,
        timeout: float | None = None,
    ) -> InteractionReply:
        """Pick ``values`` in a select menu (strings, or members/roles/channels)."""
        fake = self._fake()
        stored = fake.stored_message(message)
        menu = self._find_component(
            stored,
            lambda c: c.get("type") in _SELECT_TYPES and c.get("custom_id") == custom_id,
            f"select menu {custom_id!r}",
        )
        if menu.get("disabled"):
            raise CommandUnavailable(f"select menu {custom_id!r} is disabled")
        low, high = int(menu.get("min_values", 1)), int(menu.get("max_values", 1))
        if not low <= len(values) <= high:
            raise CommandUnavailable(
                f"select {custom_id!r} takes {low}..{high} values, got {len(values)}"
            )
        data: JSON = {"custom_id": custom_id, "component_type": menu["type"]}
        if menu["type"] == 3:
            allowed = [o["value"] for o in menu.get("options", [])]
            bad = [v for v in values if v not in allowed]
            if bad:
                raise CommandUnavailable(
                    f"select {custom_id!r} has no option(s) {bad}; options {allowed}"
                )
            data["values"] = list(values)
        else:
            found = fake.world.channel(stored.channel_id)
            assert found is not None
            data["values"], data["resolved"] = self._resolve_entities(*found, values)
        return await self._component(member, stored, data, f"select {custom_id!r}", timeout)

    def _resolve_entities(
        self, guild: Guild, channel: Channel, values: list[Any]
    ) -> tuple[list[str], JSON]:
        fake = self._fake()
        resolved: JSON = {}
        ids = []
        for value in values:
            if isinstance(value, Member | User):
                ids.append(fake.builder._resolve_user(guild, channel, value, resolved))
            elif isinstance(value, Role):
                ids.append(fake.builder._resolve_role(value, resolved))
            elif isinstance(value, Channel):
                perms = fake.world.member_permissions(
                    guild, guild.members[fake.world.bot.id], value
                )
                payload = {**value.payload(), "permissions": str(perms)}
                resolved.setdefault("channels", {})[str(value.id)] = payload
                ids.append(str(value.id))
            else:
                raise CommandUnavailable(f"cannot select {value!r}")
        return ids, resolved

    async def _component(
        self, member: Member, message: StoredMessage, data: JSON, label: str, timeout: float | None
    ) -> InteractionReply:
        guild = self._guild_of(member)
        where = self._channel(guild, message.channel_id)
        record = self._dispatch(
            MESSAGE_COMPONENT, guild, where, member, data, label, message=message
        )
        return await self._acknowledged(record, timeout)

    async def submit_modal(
        self,
        member: Member,
        reply: InteractionReply,
        values: dict[str, Any],
        *,
        timeout: float | None = None,
    ) -> InteractionReply:
        """Fill in and submit the modal the bot opened in ``reply``.

        ``values`` maps each input's custom_id to what the member entered: a str
        for text inputs and radio groups, a list of str for string selects and
        checkbox groups, a bool for checkboxes, members/roles/channels for entity
        selects and ``(filename, bytes)``/:class:`Upload` items for file uploads.
        """
        modal = reply.modal
        if modal is None:
            raise CommandUnavailable(f"{reply!r} did not open a modal")
        source = reply.record
        remaining = dict(values)
        resolved: JSON = {}

        def submit(component: JSON) -> JSON | None:
            return self._submitted(component, remaining, resolved, source.guild, source.channel)

        components: list[JSON] = []
        for item in modal.get("components", []):
            if item.get("type") == 1:
                inner = [submit(c) for c in item.get("components", [])]
                components.append({"type": 1, "components": [c for c in inner if c]})
            elif item.get("type") == 18:
                submitted = submit(item.get("component") or {})
                if submitted:
                    entry: JSON = {"type": 18, "component": submitted}
                    if "id" in item:
                        entry["id"] = item["id"]
                    components.append(entry)
        if remaining:
            raise CommandUnavailable(f"the modal has no input(s) {sorted(remaining)}")
        data: JSON = {"custom_id": modal["custom_id"], "components": components}
        if resolved:
            data["resolved"] = resolved
        record = self._dispatch(
            MODAL_SUBMIT,
            source.guild,
            source.channel,
            member,
            data,
            f"modal {modal.get('title')!r}",
            message=source.message,
        )
        return await self._acknowledged(record, timeout)

    def _submitted(
        self,
        component: JSON,
        remaining: dict[str, Any],
        resolved: JSON,
        guild: Guild,
        channel: Channel,
    ) -> JSON | None:
        custom_id = component.get("custom_id")
        if custom_id is None:
            return None
        kind = component.get("type")
        required = component.get("required", True)
        given = remaining.pop(custom_id, None)
        out: JSON = {"type": kind, "custom_id": custom_id}
        if kind == 4:  # text input
            value = (component.get("value") or "") if given is None else given
            if not isinstance(value, str):
                raise CommandUnavailable(f"text input {custom_id!r} takes a str")
            low, high = component.get("min_length"), component.get("max_length")
            if value and (
                (low is not None and len(value) < low) or (high is not None and len(value) > high)
            ):
                raise CommandUnavailable(f"text input {custom_id!r} takes {low}..{high} characters")
            out["value"] = value
        elif kind == 23:  # checkbox
            out["value"] = bool(given)
            return out
        elif kind == 21:  # radio group
            out["value"] = given
        elif kind == 19:  # file upload
            ids = []
            for item in given or []:
                upload = as_upload(item, f"file upload {custom_id!r}")
                stored = self._fake().world.store_attachment(
                    channel.id, upload.filename, upload.data, upload.content_type, ephemeral=True
                )
                resolved.setdefault("attachments", {})[str(stored.id)] = stored.payload()
                ids.append(str(stored.id))
            out["values"] = ids
        elif kind in (5, 6, 7, 8):  # entity selects
            out["values"], entities = self._resolve_entities(guild, channel, list(given or []))
            for key, found in entities.items():
                resolved.setdefault(key, {}).update(found)
        else:  # string select, checkbox group
            out["values"] = list(given or [])
        if required and not (out.get("value") or out.get("values")):
            raise CommandUnavailable(f"modal input {custom_id!r} is required")
        return out

    # ------------------------------------------------------------ messages

    async def post_message(
        self,
        channel: Channel | int | str,
        member: Member,
        content: str = "",
        *,
        embeds: list[JSON] | None = None,
        files: list[Upload | tuple[str, bytes]] | None = None,
        reply_to: MessageRef | None = None,
    ) -> JSON:
        """``member`` writes in ``channel``: stored in history and dispatched as MESSAGE_CREATE."""
        fake = self._fake()
        guild = self._guild_of(member)
        where = self._channel(guild, channel)
        needed = P.SEND_MESSAGES_IN_THREADS if where.is_thread else P.SEND_MESSAGES
        if not fake.world.member_permissions(guild, member, where) & needed:
            raise CommandUnavailable(f"{member.name} cannot send messages in #{where.name}")
        users, roles = fake.world.mentions_in(content)
        message = fake.world.new_message(
            where.id,
            member.user,
            content=content,
            embeds=list(embeds or []),
            mentions=users,
            mention_role_ids=roles,
        )
        for upload in files or []:
            item = as_upload(upload)
            message.attachments.append(
                fake.world.store_attachment(where.id, item.filename, item.data, item.content_type)
            )
        if reply_to is not None:
            target = fake.stored_message(reply_to)
            message.type = 19
            message.referenced_message = target
            message.message_reference = {
                "type": 0,
                "message_id": str(target.id),
                "channel_id": str(target.channel_id),
                "guild_id": str(guild.id),
            }
        fake.world.add_message(message)
        await asyncio.sleep(0)
        return message.payload()

    async def react(self, member: Member, message: MessageRef, emoji: str) -> None:
        """``member`` adds a reaction (unicode emoji, or ``name:id`` for a custom one)."""
        fake = self._fake()
        stored = fake.stored_message(message)
        guild = self._guild_of(member)
        users = stored.reactions.setdefault(emoji, [])
        if member.id not in users:
            users.append(member.id)
            fake.world.emit(
                "MESSAGE_REACTION_ADD", fake.reaction_event(guild, stored, member.id, emoji)
            )
        await asyncio.sleep(0)
