"""What is due when: reminder plans as pure functions of settings, schedule and time.

No database and no Discord here, so the rules are easy to test: the weekly announcement
follows the server's wall clock across DST (``timeparse.next_weekly``); a lead reminder is
due a fixed duration before its session; each has a stable ledger key and a short
reference that is printed in the post's footer.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.dates import WEEKDAYS, WeeklySlot, next_weekly
from bot.errors import InvalidInput
from storage.models import GuildConfig

WEEKLY = "weekly"
LEAD = "lead"

LOOKBACK = timedelta(days=7)  # how far back missed reminders are still looked at
MAX_LEAD_MINUTES = 7 * 24 * 60
MAX_LEAD_TIMES = 5
LEAD_TIMES_LIMIT = 100  # the text a member types: "24h, 1h, 15m"


# --------------------------------------------------------------------------------------
# Plans: pure functions of the settings, the schedule and the time


@dataclass(frozen=True, slots=True)
class Due:
    """One reminder that is (or was) due.

    Identified by ``(kind, session_id, due_at)``; ``key`` spells that out for the ledger
    (made on demand: planning a thousand servers need not format every key).
    """

    guild_id: int
    kind: str  # "weekly" or "lead:<minutes>"
    due_at: datetime
    session_id: int | None = None
    starts_at: datetime | None = None
    lead_minutes: int | None = None
    stored_key: str | None = None  # the key of a ledger row this was read from

    @property
    def is_weekly(self) -> bool:
        return self.kind == WEEKLY

    @property
    def ident(self) -> tuple[str, int | None, datetime]:
        return (self.kind, self.session_id, self.due_at)

    @property
    def key(self) -> str:
        if self.stored_key is not None:
            return self.stored_key
        if self.is_weekly or self.session_id is None:
            return weekly_key(self.due_at)
        return lead_key(self.lead_minutes or 0, self.session_id, self.due_at)

    @property
    def ref(self) -> str:
        return reference(self.guild_id, self.key)


def lead_key(minutes: int, session_id: int, due_at: datetime) -> str:
    return f"{LEAD}:{minutes}:s{session_id}:{due_at.isoformat()}"


def weekly_key(due_at: datetime) -> str:
    return f"{WEEKLY}:guild:{due_at.isoformat()}"


def reference(guild_id: int, key: str) -> str:
    """The short reference shown in a reminder's footer; the look-up after a crash finds the
    message by it."""
    return hashlib.sha256(f"{guild_id}:{key}".encode()).hexdigest()[:12]


def weekly_slot(config: GuildConfig) -> WeeklySlot:
    return WeeklySlot(config.weekly_weekday, config.weekly_time)


def weekly_times(config: GuildConfig, since: datetime, now: datetime) -> list[datetime]:
    """The weekly announcement times in ``(since, now]`` and the first one after ``now``."""
    slot = weekly_slot(config)
    times = []
    moment = next_weekly(since, slot, config.timezone)
    while moment <= now:
        times.append(moment)
        moment = next_weekly(moment, slot, config.timezone)
    times.append(moment)
    return times


def plan_guild(
    config: GuildConfig,
    sessions: Iterable[tuple[int, datetime]],
    now: datetime,
    lookback: timedelta = LOOKBACK,
) -> list[Due]:
    """Every reminder of a server due in ``(now - lookback, …)``: the weekly announcements
    up to the next one, and each lead reminder of each ``(session_id, starts_at)``."""
    if config.announcement_channel_id is None:
        return []
    since = now - lookback
    guild_id = config.guild_id
    planned: list[Due] = []
    if config.weekly_enabled:
        for moment in weekly_times(config, since, now):
            planned.append(Due(guild_id, WEEKLY, moment))
    if config.lead_reminders_enabled:
        leads = sorted({int(m) for m in config.lead_times_minutes or [] if int(m) > 0})
        kinds = {m: f"{LEAD}:{m}" for m in leads}
        for session_id, starts_at in sessions:
            for minutes in leads:
                due_at = starts_at - timedelta(minutes=minutes)
                if due_at <= since:
                    continue
                planned.append(
                    Due(guild_id, kinds[minutes], due_at, session_id, starts_at, minutes)
                )
    return planned


# --------------------------------------------------------------------------------------
# Lead times as organizers type them


_LEAD_PART = re.compile(
    r"(\d+)\s*(d|days?|h|hrs?|hours?|m|mins?|minutes?)?(?=\d|\s|$)", re.IGNORECASE
)
_UNITS = {"d": 1440, "h": 60, "m": 1}


def parse_lead_times(text: str) -> list[int]:
    """'24h, 15m' → [1440, 15]; '1h30m' → [90]; '90' → [90]; 'off' or 'none' → []."""
    raw = text.strip().lower()
    if len(raw) > LEAD_TIMES_LIMIT:
        raise InvalidInput(f"Give the lead times in at most {LEAD_TIMES_LIMIT} characters.")
    if raw in ("off", "none", "no", "0", "-"):
        return []
    minutes: set[int] = set()
    for chunk in re.split(r"[,;]|\band\b", raw):
        chunk = chunk.strip()
        if not chunk:
            continue
        total, position = 0, 0
        compact = chunk.replace(" ", "")
        while position < len(compact):
            match = _LEAD_PART.match(compact, position)
            if match is None or match.end() == position:
                raise InvalidInput(
                    f"I could not read the lead time {chunk!r}: write e.g. '24h, 15m', "
                    "'1h30m' or '90' (minutes)."
                )
            unit = (match[2] or "m")[0]
            total += int(match[1]) * _UNITS[unit]
            position = match.end()
        if not 1 <= total <= MAX_LEAD_MINUTES:
            raise InvalidInput(
                f"A lead time must be between 1 minute and 7 days; {chunk!r} is not."
            )
        minutes.add(total)
    if not minutes:
        raise InvalidInput("Give at least one lead time, e.g. '1h' or '24h, 15m' (or 'off').")
    if len(minutes) > MAX_LEAD_TIMES:
        raise InvalidInput(f"At most {MAX_LEAD_TIMES} lead times, please.")
    return sorted(minutes, reverse=True)


def format_lead(minutes: int) -> str:
    """1440 → '24h', 90 → '1h30m', 15 → '15m', 2880 → '2d'."""
    if minutes >= 2 * 1440 and minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest}m"
    return f"{hours}h{rest:02d}m" if rest else f"{hours}h"


def describe_weekly(config: GuildConfig) -> str:
    day = WEEKDAYS[config.weekly_weekday].title()
    at: time = config.weekly_time
    return f"{day}s at {at:%H:%M} ({config.timezone})"


def describe_leads(config: GuildConfig) -> str:
    if not config.lead_reminders_enabled or not config.lead_times_minutes:
        return "off"
    return ", ".join(format_lead(m) for m in sorted(config.lead_times_minutes, reverse=True))
