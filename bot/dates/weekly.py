"""Weekly slots (a weekday and a wall-clock time in the server's zone): the next one, and the
weeks in which a change of the clocks repeats or skips it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.dates.zones import ClockChange, clock_change, local_to_utc, utc_to_local


@dataclass(frozen=True, slots=True)
class WeeklySlot:
    weekday: int
    at: time


def _weekly_on(day: date, slot: WeeklySlot, zone_name: str) -> datetime:
    """The slot on ``day`` in UTC; in a week the clocks skip it, as far after the jump."""
    change = clock_change(day, slot.at, zone_name)
    if change is not None and not change.repeated:
        return change.first.astimezone(UTC)
    return local_to_utc(day, slot.at, zone_name)


def next_weekly(after: datetime, slot: WeeklySlot, zone_name: str) -> datetime:
    """The first weekly slot strictly after ``after``, by the zone's wall clock (DST-proof)."""
    local_after = utc_to_local(after, zone_name)
    day = local_after.date()
    for offset in range(0, 15):
        candidate_day = day + timedelta(days=offset)
        if candidate_day.weekday() != slot.weekday:
            continue
        candidate = _weekly_on(candidate_day, slot, zone_name)
        if candidate > after:
            return candidate
    raise AssertionError("a weekly slot always occurs within two weeks")


def weekly_clock_changes(after: datetime, slot: WeeklySlot, zone_name: str) -> list[ClockChange]:
    """The next week within a year in which the clocks make the slot happen twice, and the
    next in which they skip it (soonest first; none in a zone without DST)."""
    day = utc_to_local(after, zone_name).date()
    day += timedelta(days=(slot.weekday - day.weekday()) % 7)
    found: dict[bool, ClockChange] = {}
    for week in range(54):
        change = clock_change(day + timedelta(weeks=week), slot.at, zone_name)
        if change is not None and change.repeated not in found:
            found[change.repeated] = change
    return sorted(found.values(), key=lambda change: change.day)


def weekly_clock_notes(after: datetime, slot: WeeklySlot, zone_name: str, what: str) -> list[str]:
    """What a member setting ``what`` (e.g. 'the weekly digest') to the slot is told about
    the weeks the clocks change at that time."""
    return [change.weekly_note(what) for change in weekly_clock_changes(after, slot, zone_name)]
