"""Read marks of the reading list, derived when read.

A listed paper reads as read when a member (or an imported schedule) marked it read, or
when it was discussed in a session that has started (its start is at or before "now" on the
service clock; a cancelled session does not count) after a member last marked it unread. The
second part is never written: every reader (``/readinglist show``, ``/paper info``, the
markdown export from Discord or the command line) asks here, so a session that starts marks
its papers read everywhere at once, with nothing that has to run first.

Knows nothing of Discord.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from storage.repositories import UnitOfWork
from storage.repositories.readinglist import ListedItem


@dataclass(frozen=True, slots=True)
class ReadMarks:
    """The read marks of one server at one moment."""

    # Items not marked read but discussed since, by id: the start of the latest session.
    discussed: Mapping[int, datetime]

    def is_read(self, item_id: int | None, marked: bool) -> bool:
        """Whether the item with ``item_id``, marked read or not, reads as read."""
        return marked or (item_id is not None and item_id in self.discussed)

    def listed(self, items: Sequence[ListedItem]) -> list[ListedItem]:
        """``items`` with their derived marks."""
        return [replace(i, discussed=i.item.id in self.discussed) for i in items]


async def read_marks(uow: UnitOfWork, guild_id: int, now: datetime) -> ReadMarks:
    """The read marks of a server at ``now`` (one query)."""
    return ReadMarks(await uow.readinglist.discussed_since_marked(guild_id, now))
