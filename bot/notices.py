"""Notices for the member whose action caused them.

A command opens a collector; anything that runs inside it (event-bus subscribers awaited
inline, e.g. the scheduled-event mirror) may add a one-line notice ("grant Manage Events"),
which the command appends to its reply. Outside a command nothing is collected.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_current: ContextVar[list[str] | None] = ContextVar("notices", default=None)


@contextmanager
def collect() -> Iterator[list[str]]:
    notices: list[str] = []
    token = _current.set(notices)
    try:
        yield notices
    finally:
        _current.reset(token)


def add(message: str) -> bool:
    """Add a notice for the member acting now; False when no command is collecting."""
    notices = _current.get()
    if notices is None:
        return False
    if message not in notices:
        notices.append(message)
    return True


def appended(text: str, collected: list[str]) -> str:
    """A reply followed by the notices collected while it was made, one ⚠️ line each."""
    return "\n".join([text, *(f"⚠️ {n}" for n in collected)])
