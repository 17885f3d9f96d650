"""What a member sees after an interaction: :class:`InteractionReply`."""

# Waits take explicit timeouts so a failure can say what it was waiting for.
# ruff: noqa: ASYNC109

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .interactions import InteractionRecord
from .models import JSON, StoredMessage
from .recording import HarnessTimeout

if TYPE_CHECKING:
    from .server import FakeDiscord

CALLBACK_NAMES = {
    1: "PONG",
    4: "CHANNEL_MESSAGE_WITH_SOURCE",
    5: "DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE",
    6: "DEFERRED_UPDATE_MESSAGE",
    7: "UPDATE_MESSAGE",
    8: "APPLICATION_COMMAND_AUTOCOMPLETE_RESULT",
    9: "MODAL",
}


class InteractionFailed(HarnessTimeout):
    """The bot did not acknowledge an interaction in time (the user saw an error)."""


@dataclass
class ReplyFile:
    filename: str
    data: bytes
    content_type: str

    @property
    def name(self) -> str:
        return self.filename


def iter_components(components: list[JSON]) -> Iterator[JSON]:
    """Every component, depth first (action rows, containers, sections, labels)."""
    for component in components:
        yield component
        yield from iter_components(component.get("components") or [])
        for key in ("accessory", "component"):
            if isinstance(component.get(key), dict):
                yield from iter_components([component[key]])


class InteractionReply:
    """The bot's answer to one interaction, read live from the fake's state."""

    def __init__(self, fake: FakeDiscord, record: InteractionRecord) -> None:
        self._fake = fake
        self.record = record

    def __repr__(self) -> str:
        kind = CALLBACK_NAMES.get(self.type or 0, self.type)
        return f"<InteractionReply {self.record.label} type={kind} content={self.content!r}>"

    # ------------------------------------------------------------ callback

    @property
    def type(self) -> int | None:
        return self.record.callback_type

    @property
    def deferred(self) -> bool:
        return self.type in (5, 6)

    @property
    def ephemeral(self) -> bool:
        message = self._stored_message()
        return bool(message is not None and message.ephemeral)

    @property
    def modal(self) -> JSON | None:
        if self.type != 9 or self.record.callback_body is None:
            return None
        return self.record.callback_body.get("data")

    @property
    def choices(self) -> list[JSON] | None:
        if self.type != 8 or self.record.callback_body is None:
            return None
        return list((self.record.callback_body.get("data") or {}).get("choices") or [])

    # ------------------------------------------------------------- message

    def _stored_message(self) -> StoredMessage | None:
        if self.type in (4, 5):
            message = self.record.original
        elif self.type in (6, 7):
            message = self.record.message
        else:
            message = None
        if message is None or message.deleted:
            return None
        return message

    @property
    def message(self) -> JSON | None:
        """The response message as Discord would return it (None for modals etc.)."""
        stored = self._stored_message()
        return stored.payload() if stored is not None else None

    @property
    def content(self) -> str:
        message = self._stored_message()
        return message.content if message is not None else ""

    @property
    def embeds(self) -> list[JSON]:
        message = self.message
        return message["embeds"] if message is not None else []

    @property
    def components(self) -> list[JSON]:
        message = self.message
        return message["components"] if message is not None else []

    @property
    def files(self) -> list[ReplyFile]:
        message = self._stored_message()
        if message is None:
            return []
        return [ReplyFile(a.filename, a.data, a.content_type) for a in message.attachments]

    @property
    def followups(self) -> list[JSON]:
        return [m.payload() for m in self.record.followups if not m.deleted]

    @property
    def text(self) -> str:
        """Content plus every embed's title, description and fields, for loose assertions."""
        parts = [self.content]
        for embed in self.embeds:
            parts += [embed.get("title") or "", embed.get("description") or ""]
            for field in embed.get("fields") or []:
                parts += [field.get("name", ""), field.get("value", "")]
        return "\n".join(p for p in parts if p)

    def component(self, *, custom_id: str | None = None, label: str | None = None) -> JSON:
        for component in iter_components(self.components):
            if custom_id is not None and component.get("custom_id") == custom_id:
                return component
            if label is not None and component.get("label") == label:
                return component
        raise LookupError(f"no component with custom_id={custom_id!r} label={label!r} in {self!r}")

    # -------------------------------------------------------------- waiting

    async def final(self, timeout: float = 5.0) -> InteractionReply:
        """Wait until a deferred response was completed (edit or follow-up)."""
        record = self.record

        def done() -> bool | None:
            return True if record.completed else None

        await self._fake.wait_for(
            done,
            timeout,
            lambda: (
                f"{record.label} to complete its deferred response (callback "
                f"{CALLBACK_NAMES.get(record.callback_type or 0)}; "
                "no edit of @original or follow-up yet)"
            ),
        )
        return self

    async def wait_followups(self, count: int = 1, timeout: float = 5.0) -> list[JSON]:
        record = self.record

        def enough() -> list[JSON] | None:
            return self.followups if len(record.followups) >= count else None

        return await self._fake.wait_for(
            enough, timeout, lambda: f"{count} follow-up(s) to {record.label}"
        )
