"""Time zones and the clocks: looking up and suggesting IANA zones, wall-clock time to UTC
and back, and the notes for a time a change of the clocks repeats or skips.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from bot.dates.common import TIMEZONE_LIMIT, WEEKDAYS
from bot.dates.formatting import short_day
from bot.errors import InvalidInput


@cache
def timezone(name: str) -> zoneinfo.ZoneInfo:
    if len(name) > TIMEZONE_LIMIT:
        raise InvalidInput(f"A time zone name has at most {TIMEZONE_LIMIT} characters.")
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise InvalidInput(
            f"Unknown time zone {name!r}: use an IANA name such as Europe/Berlin or "
            "America/New_York (the option suggests names as you type)."
        ) from None


@cache
def all_timezones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def search_timezones(text: str, limit: int = 25) -> list[str]:
    """Time zone names for autocomplete: prefix matches first, then substring matches."""
    needle = text.strip().lower().replace(" ", "_")
    names = all_timezones()
    if not needle:
        common = ["UTC", "Europe/Berlin", "Europe/London", "America/New_York", "Asia/Tokyo"]
        return common[:limit]
    prefix = [n for n in names if n.lower().startswith(needle)]
    inner = [n for n in names if needle in n.lower() and n not in prefix]
    return (prefix + inner)[:limit]


def _offset_text(offset: timedelta) -> str:
    """UTC+2, UTC-3, UTC+5:30."""
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def _zone_name(moment: datetime) -> str:
    """'CEST', or 'UTC+3' where the zone's name is only its offset ('+03')."""
    name = moment.tzname() or ""
    if not name or name[0] in "+-" or name.startswith("UTC"):
        return _offset_text(moment.utcoffset() or timedelta(0))
    return name


def _zone_paren(moment: datetime) -> str:
    """'CEST (UTC+2)', or 'UTC+3' where the zone's name is only its offset."""
    offset = _offset_text(moment.utcoffset() or timedelta(0))
    name = _zone_name(moment)
    return name if name == offset else f"{name} ({offset})"


def _zone_text(moment: datetime) -> str:
    """'CEST, UTC+2' (or 'UTC+3' alone where the zone's name is only its offset)."""
    offset = _offset_text(moment.utcoffset() or timedelta(0))
    name = _zone_name(moment)
    return name if name == offset else f"{name}, {offset}"


@dataclass(frozen=True, slots=True)
class ClockChange:
    """A wall-clock time that a change of the clocks makes special on one day.

    ``repeated``: the clocks go back and the time happens twice (``first`` is taken);
    otherwise they jump forward over it and it does not happen (``first`` is the moment a
    weekly slot moves to: the same distance after the jump).
    """

    day: date
    at: time
    zone_name: str
    repeated: bool
    first: datetime  # local, aware: the occurrence used
    second: datetime  # local, aware: the other occurrence (repeated), or before the jump

    def note(self, *, second: bool = False) -> str:
        """What a member is told when they gave this time for this day (``second``: they
        asked for the second occurrence by naming its zone)."""
        when = f"{self.at:%H:%M}"
        if self.repeated and second:
            return (
                f"{when} happens twice on {short_day(self.day)} (the clocks go back); as asked, "
                f"I used the second ({_zone_text(self.second)})."
            )
        if self.repeated:
            return (
                f"{when} happens twice on {short_day(self.day)} (the clocks go back); I used the "
                f"first ({_zone_text(self.first)}), not the second ({_zone_text(self.second)}). "
                f"For the second, write the time as {when} {_zone_name(self.second)}."
            )
        jump = (self.first.utcoffset() or timedelta(0)) - (self.second.utcoffset() or timedelta(0))
        minutes = int(jump.total_seconds()) // 60
        size = "an hour" if minutes == 60 else f"{minutes} minutes"
        if minutes % 60 == 0 and minutes > 60:
            size = f"{minutes // 60} hours"
        zones = f"{_zone_name(self.second)} → {_zone_name(self.first)}"
        return (
            f"{when} does not exist on {short_day(self.day)} in {self.zone_name}: the clocks "
            f"jump forward {size} that night ({zones}). "
            f"Pick another time, e.g. {self.first:%H:%M}."
        )

    def weekly_note(self, what: str) -> str:
        """What a member is told when ``what`` (e.g. 'the weekly announcement') repeats at
        this time every week and this is the next week the clocks change at it."""
        when = f"{self.at:%H:%M} on {WEEKDAYS[self.day.weekday()].title()}s"
        if self.repeated:
            return (
                f"{when} happens twice on {short_day(self.day)} (the clocks go back): "
                f"{what} then goes out at the first ({_zone_text(self.first)})."
            )
        return (
            f"{when} does not exist on {short_day(self.day)} (the clocks jump forward): "
            f"{what} then goes out at {self.first:%H:%M} ({_zone_text(self.first)})."
        )


def clock_change(day: date, at: time, zone_name: str) -> ClockChange | None:
    """Whether the clocks make ``at`` on ``day`` happen twice or not at all in the zone."""
    zone = timezone(zone_name)
    first = datetime.combine(day, at).replace(tzinfo=zone)
    second = first.replace(fold=1)
    if first.utcoffset() == second.utcoffset():
        return None
    round_trip = first.astimezone(UTC).astimezone(zone)
    if round_trip.replace(tzinfo=None) == first.replace(tzinfo=None):
        return ClockChange(day, at, zone_name, True, first, second.astimezone(UTC).astimezone(zone))
    # Skipped: fold=0 reads the time with the offset before the jump, which lands after it.
    return ClockChange(day, at, zone_name, False, round_trip, first)


def _matches(hint: str, moment: datetime) -> bool:
    """Whether a zone name or offset a member wrote names ``moment``'s offset."""
    cleaned = hint.replace("−", "-").replace(" ", "").upper()
    if cleaned == (moment.tzname() or "").upper():
        return True
    offset = re.fullmatch(r"(?:UTC|GMT)?(?:([+-])(\d{1,2})(?::?(\d{2}))?)?", cleaned)
    if offset is None:
        return False
    sign, hours, minutes = offset.groups()
    given = timedelta(hours=int(hours or 0), minutes=int(minutes or 0))
    return (moment.utcoffset() or timedelta(0)) == (-given if sign == "-" else given)


def local_to_utc(day: date, at: time, zone_name: str, hint: str | None = None) -> datetime:
    """Wall-clock time in the guild's zone → aware UTC; refuses times a DST change skips.

    A time that happens twice (the clocks go back) is its first occurrence unless ``hint``
    (a zone name or offset, see :func:`split_zone`) names the second; :func:`clock_change`
    says which, for the member's reply. A hint that names neither is refused."""
    change = clock_change(day, at, zone_name)
    if change is not None and not change.repeated:
        raise InvalidInput(change.note())
    local = datetime.combine(day, at).replace(tzinfo=timezone(zone_name))
    if hint is None:
        return local.astimezone(UTC)
    options = [change.first, change.second] if change is not None else [local]
    for option in options:
        if _matches(hint, option):
            return option.astimezone(UTC)
    named = " or ".join(_zone_paren(option) for option in options)
    raise InvalidInput(
        f"{at:%H:%M} on {short_day(day)} in {zone_name} is {named}, not {hint}. "
        "Leave the zone out, or name this one."
    )


def utc_to_local(moment: datetime, zone_name: str) -> datetime:
    return moment.astimezone(timezone(zone_name))
