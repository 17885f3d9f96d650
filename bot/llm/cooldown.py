"""Spacing of the commands that make the model work for one member (LLM_COOLDOWN_SECONDS).

A member's turn is claimed when the command starts and given back if the call fails, so a
failure never costs a wait. Kept in memory per process: a restart forgets it, which costs at
most one extra call per member. Organizers (and the command line) are not limited.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.clock import Clock
from bot.dates import discord_timestamp
from bot.errors import UserError

PRUNE_ABOVE = 1000  # entries kept before the expired ones are dropped


class CoolingDown(UserError):
    """The member used this command a moment ago."""

    def __init__(self, what: str, until: datetime) -> None:
        super().__init__(
            f"You asked for {what} a moment ago; to keep the model's costs down you can ask "
            f"again {discord_timestamp(until, 'R')}. Organizers are not limited."
        )
        self.until = until


Turn = tuple[tuple[int, int, str], datetime]


class Cooldown:
    def __init__(self, clock: Clock, seconds: float) -> None:
        self.clock = clock
        self.seconds = seconds
        self._until: dict[tuple[int, int, str], datetime] = {}

    def claim(self, guild_id: int, member_id: int | None, what: str) -> Turn | None:
        """Claim the member's turn for ``what``, or raise :class:`CoolingDown` with the time
        of the next one. ``member_id`` None (an organizer, the command line) or a cooldown
        of 0 seconds claims nothing."""
        if member_id is None or self.seconds <= 0:
            return None
        key = (guild_id, member_id, what)
        now = self.clock.now()
        until = self._until.get(key)
        if until is not None and now < until:
            raise CoolingDown(what, until)
        claimed = now + timedelta(seconds=self.seconds)
        self._until[key] = claimed
        if len(self._until) > PRUNE_ABOVE:
            self._until = {k: v for k, v in self._until.items() if v > now}
        return key, claimed

    def release(self, turn: Turn | None) -> None:
        """Give a turn back (its call failed: a failure costs no wait)."""
        if turn is None:
            return
        key, claimed = turn
        if self._until.get(key) == claimed:
            del self._until[key]
