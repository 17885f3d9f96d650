"""The Discord side's reactions to what happens in the services.

Each follows events on the bus (see :mod:`bot.events`): the scheduled-event mirror, the
pinned schedule and the per-session threads. The bot builds them once and connects them,
with the services' own followers, in one place (``ReadingGroupBot.setup_hook``); closing
the bot disconnects them. The reminder sender (``reminder_sender``) is the Discord side of
the reminder service's delivery; the reminders cog hands it to the service when it loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.ui.reactions.events_mirror import EventMirror
from bot.ui.reactions.pin_keeper import PinKeeper
from bot.ui.reactions.thread_opener import ThreadOpener

if TYPE_CHECKING:
    from bot.app import ReadingGroupBot
    from bot.events import Subscriber


@dataclass(frozen=True)
class Reactions:
    events: EventMirror
    pins: PinKeeper
    threads: ThreadOpener

    @classmethod
    def of(cls, bot: ReadingGroupBot) -> Reactions:
        return cls(events=EventMirror(bot), pins=PinKeeper(bot), threads=ThreadOpener(bot))

    def subscribers(self) -> list[Subscriber]:
        return [self.events, self.pins, self.threads]
