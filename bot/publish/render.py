"""What a publish writes, and how the change is shown before it is written.

The section between the markers is the markdown export (the README's own shape) followed
by one line linking the calendar file, which lives next to the README under a fixed name so
members subscribe once to one stable URL. Pure functions: no GitHub, no database.
"""

from __future__ import annotations

import difflib
import posixpath
from dataclasses import dataclass
from urllib.parse import quote

CALENDAR_NAME = "schedule.ics"
DIFF_CONTEXT = 2


def calendar_path(readme_path: str) -> str:
    """``schedule.ics`` in the README's folder."""
    return posixpath.join(posixpath.dirname(readme_path), CALENDAR_NAME)


def raw_url(html_url: str, branch: str, path: str) -> str:
    """The file's stable download URL on the branch (github.com and Enterprise alike)."""
    return f"{html_url.rstrip('/')}/raw/{quote(branch, safe='/')}/{quote(path, safe='/')}"


def section(export_text: str, *, subscribe_url: str) -> str:
    """The markdown export, then the calendar line (a relative link and the URL to
    subscribe to)."""
    return (
        export_text.rstrip("\n")
        + f"\n\n📅 Calendar: [{CALENDAR_NAME}]({CALENDAR_NAME}) · subscribe in your calendar "
        f"app with {subscribe_url}\n"
    )


def unified_diff(old: str | None, new: str, path: str) -> str:
    """The change to ``path`` as a unified diff (a new file is diffed against nothing)."""
    lines = difflib.unified_diff(
        [] if old is None else old.splitlines(),
        new.splitlines(),
        fromfile="/dev/null" if old is None else f"a/{path}",
        tofile=f"b/{path}",
        n=DIFF_CONTEXT,
        lineterm="",
    )
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class CalendarChange:
    """The calendar's events compared by their stable ids."""

    added: int
    changed: int
    removed: int
    total: int
    created: bool  # the file did not exist
    differs: bool  # the bytes differ (also when only the calendar's own details changed)

    @property
    def any(self) -> bool:
        return self.created or self.differs

    def describe(self, path: str) -> str:
        events = f"{self.total} event{'' if self.total == 1 else 's'}"
        if self.created:
            return f"{path}: new file with {events}"
        if not self.any:
            return f"{path}: unchanged ({events})"
        parts = [
            f"{count} {what}"
            for count, what in (
                (self.added, "added"),
                (self.changed, "changed"),
                (self.removed, "removed"),
            )
            if count
        ]
        if not parts:
            return f"{path}: the calendar's details changed ({events})"
        return f"{path}: {', '.join(parts)} of {events}"


def _events(data: bytes) -> dict[str, bytes] | None:
    from icalendar import Calendar  # on first use: about 80 modules

    try:
        calendar = Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError):
        return None
    events: dict[str, bytes] = {}
    for event in calendar.walk("VEVENT"):
        uid = str(event.get("uid", ""))
        events[uid] = event.to_ical()
    return events


def calendar_change(old: bytes | None, new: bytes) -> CalendarChange:
    now = _events(new) or {}
    if old is None:
        return CalendarChange(len(now), 0, 0, len(now), created=True, differs=True)
    differs = old != new
    before = _events(old)
    if before is None:  # not a calendar we can read: every event counts as new
        return CalendarChange(len(now), 0, 0, len(now), created=False, differs=differs)
    added = sum(1 for uid in now if uid not in before)
    removed = sum(1 for uid in before if uid not in now)
    changed = sum(1 for uid, data in now.items() if uid in before and before[uid] != data)
    return CalendarChange(added, changed, removed, len(now), created=False, differs=differs)
