"""A fair presenter rotation: who should present next.

Candidates are everyone who presented a session and everyone who proposed a paper (or was
named to present one). Members who never presented come first (the one waiting longest since
their first proposal leads), then the others by how long ago they last presented. Sessions
already planned count as presenting, so a member booked for next month is not suggested
again. Only a suggestion: organizers still choose.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock
from storage.db import Database


@dataclass(frozen=True, slots=True)
class PresenterSuggestion:
    user_id: int
    last_presented: datetime | None  # None: never presented
    first_proposed: datetime | None = None


def rank_presenters(
    last_presented: dict[int, datetime],
    proposers: dict[int, datetime],
    *,
    exclude: Iterable[int] = (),
) -> list[PresenterSuggestion]:
    """Everyone in either map, most deserving of the next turn first."""
    skip = set(exclude)
    people = (set(last_presented) | set(proposers)) - skip
    suggestions = [
        PresenterSuggestion(user, last_presented.get(user), proposers.get(user)) for user in people
    ]

    def key(s: PresenterSuggestion) -> tuple[int, datetime, int]:
        if s.last_presented is None:
            assert s.first_proposed is not None
            return (0, s.first_proposed, s.user_id)
        return (1, s.last_presented, s.user_id)

    return sorted(suggestions, key=key)


class PresenterService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def suggest(
        self, guild_id: int, *, limit: int = 3, exclude: Iterable[int] = ()
    ) -> list[PresenterSuggestion]:
        """The next presenters in a fair rotation, best first (empty when nobody is known)."""
        async with self.db.unit() as uow:
            last = await uow.sessions.last_presented(guild_id)
            proposers = await uow.proposals.proposers(guild_id)
        return rank_presenters(last, proposers, exclude=exclude)[: max(0, limit)]
