"""What a member asks of the schedule: a new session (SessionDraft) or changes to one
(SessionEdit), how the papers they name are looked up (PaperResolver), and the limits and
field checks of both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.errors import InvalidInput
from bot.schedule.readmodels import SessionInfo
from bot.text import check_text
from storage.models import Paper, SessionKind
from storage.repositories import UnitOfWork

MAX_PAPERS_PER_SESSION = 12
MAX_DURATION_MINUTES = 12 * 60
MAX_YEARS_AHEAD = 5


class PaperResolver(Protocol):
    """Turns what a member typed (arXiv id or URL, other URL, title) into stored papers:
    ``lookup`` may use the network and runs outside any transaction, ``store`` inside."""

    async def lookup(self, guild_id: int, refs: Sequence[str]) -> Sequence[Any]: ...

    async def store(self, uow: UnitOfWork, guild_id: int, specs: Sequence[Any]) -> list[Paper]: ...


SavedHook = Callable[[UnitOfWork, SessionInfo], Awaitable[None]]


@dataclass(slots=True)
class SessionDraft:
    """What a member asked for in ``/session add``."""

    date_text: str
    kind: str = SessionKind.PAPER
    time_text: str | None = None
    title: str | None = None
    notes: str | None = None
    paper_refs: list[str] = field(default_factory=list)
    presenter_id: int | None = None
    block_name: str | None = None
    block_part: int | None = None
    continues_id: int | None = None
    allow_past: bool = False
    duration_minutes: int | None = None
    # Papers outside arXiv with the title and authors a member typed (the paper service's
    # specs): each replaces what the lookup makes of the same link.
    given_papers: list[Any] = field(default_factory=list)


@dataclass(slots=True)
class SessionEdit:
    """Changes asked for in ``/session edit``; ``None`` leaves a field as it is."""

    title: str | None = None
    notes: str | None = None
    paper_refs: list[str] | None = None
    presenter_id: int | None = None
    clear_presenter: bool = False
    kind: str | None = None
    block_name: str | None = None
    block_part: int | None = None
    duration_minutes: int | None = None
    given_papers: list[Any] = field(default_factory=list)  # as in SessionDraft


def _with_given(specs: Sequence[Any], given: Sequence[Any]) -> list[Any]:
    """The looked-up specs, each replaced by the member's details of the same paper."""
    by_key = {spec.ref_key: spec for spec in given}
    return [by_key.get(spec.ref_key, spec) for spec in specs]


def _kind(value: str) -> str:
    try:
        return SessionKind(value.strip().lower())
    except ValueError:
        names = ", ".join(k.value for k in SessionKind)
        raise InvalidInput(f"Unknown session kind {value!r}: use one of {names}.") from None


BLOCK_NAME_LIMIT = 100


def _block_name(value: str | None) -> str | None:
    name = check_text(value, what="block name", limit=BLOCK_NAME_LIMIT)
    if name is None:
        return None
    return name.strip().rstrip(".").strip() or None
