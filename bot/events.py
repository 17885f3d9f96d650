"""A small in-process event bus between services (no Discord here).

Services publish facts after their transaction committed ("session 42 moved"); other parts
of the bot subscribe (reminders reschedule, the scheduled-event mirror updates, the pinned
schedule is edited). A failing subscriber is logged and never breaks the publisher.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, TypeVar

log = logging.getLogger(__name__)

E = TypeVar("E")
Handler = Callable[[Any], Awaitable[None]]


class SessionAction(StrEnum):
    CREATED = "created"
    UPDATED = "updated"  # title, papers, presenter...
    MOVED = "moved"  # start time changed
    CANCELLED = "cancelled"
    DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class SessionChanged:
    guild_id: int
    session_id: int
    action: SessionAction
    actor_id: int | None = None


@dataclass(frozen=True, slots=True)
class GuildSettingsChanged:
    guild_id: int
    fields: frozenset[str]


@dataclass(frozen=True, slots=True)
class ScheduleImported:
    guild_id: int
    session_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class CommentsChanged:
    """The discussion log of a session changed; ``pinned`` when its pinned comments (the
    Comments column of the exported schedule) may have changed."""

    guild_id: int
    session_id: int
    pinned: bool = False


@dataclass(frozen=True, slots=True)
class ReadingListChanged:
    """Papers were added to the reading list, removed, or marked read or unread."""

    guild_id: int


@dataclass(frozen=True, slots=True)
class SessionAnnounced:
    """A message announcing a session was posted (e.g. by the reminders). When the server
    has per-session threads on, the discussion side opens the session's thread on it."""

    guild_id: int
    session_id: int
    channel_id: int
    message_id: int


class Subscriber(Protocol):
    """Something that follows events: it says which, and the bus connects it."""

    def subscriptions(self) -> Mapping[type, Handler]: ...


class Connection:
    """The subscriptions made by one :meth:`EventBus.connect`; ``close()`` undoes them."""

    def __init__(self, bus: EventBus, pairs: list[tuple[type, Handler]]) -> None:
        self._bus = bus
        self._pairs = pairs

    def close(self) -> None:
        for event_type, handler in self._pairs:
            self._bus.unsubscribe(event_type, handler)
        self._pairs = []


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[type, list[Handler]] = defaultdict(list)

    def connect(self, *subscribers: Subscriber) -> Connection:
        """Subscribe every handler the subscribers name, in order; one ``close()`` undoes it."""
        pairs = [
            (event_type, handler)
            for subscriber in subscribers
            for event_type, handler in subscriber.subscriptions().items()
        ]
        for event_type, handler in pairs:
            self.subscribe(event_type, handler)
        return Connection(self, pairs)

    def subscribe(self, event_type: type[E], handler: Callable[[E], Awaitable[None]]) -> None:
        self._handlers[event_type].append(handler)

    def unsubscribe(self, event_type: type[E], handler: Callable[[E], Awaitable[None]]) -> None:
        handlers = self._handlers.get(event_type, [])
        if handler in handlers:
            handlers.remove(handler)

    async def publish(self, event: object) -> None:
        for handler in list(self._handlers.get(type(event), [])):
            try:
                await handler(event)
            except Exception:
                log.exception("handler %r failed for %r", handler, event)
