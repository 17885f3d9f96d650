"""The schedule as an iCalendar (.ics) feed.

UIDs are stable per session, so a calendar that subscribes to the feed updates events in
place instead of duplicating them; cancelled sessions stay in the feed as CANCELLED so
subscribers drop them; SEQUENCE grows with every change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.schedule.service import SessionInfo, headline
from storage.models import PaperRole, SessionKind, SessionStatus

PRODID = "-//reading-group-bot//Reading group schedule//EN"
UID_DOMAIN = "reading-group-bot"


def session_uid(guild_id: int, session_id: int) -> str:
    return f"session-{session_id}-guild-{guild_id}@{UID_DOMAIN}"


def _sequence(created: datetime, updated: datetime) -> int:
    return max(0, int(updated.timestamp() - created.timestamp()))


def _description(view: SessionInfo) -> str:
    lines: list[str] = []
    papers = view.papers or view.continues_papers
    for linked in papers:
        paper = linked.paper
        prefix = "See also: " if linked.role == PaperRole.SEE_ALSO else ""
        title = linked.label or paper.title
        lines.append(f"{prefix}{title}" + (f" — {paper.url}" if paper.url else ""))
        if paper.authors:
            lines.append(
                "  " + ", ".join(paper.authors[:8]) + (" …" if len(paper.authors) > 8 else "")
            )
    if view.session.kind == SessionKind.CONTINUE and view.continues is not None:
        lines.insert(0, "Continues the session of " + view.continues.starts_at.date().isoformat())
    if view.session.notes:
        lines.append("")
        lines.append(view.session.notes)
    return "\n".join(lines)


def build_calendar(
    guild_id: int,
    sessions: Sequence[SessionInfo],
    *,
    name: str = "Reading group",
    timezone: str = "UTC",
) -> bytes:
    from icalendar import Calendar, Event  # loaded by the first export, not at start-up

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", timezone)
    for view in sessions:
        s = view.session
        event = Event()
        event.add("uid", session_uid(guild_id, view.id))
        event.add("summary", headline(view))
        event.add("dtstart", view.starts_at)
        event.add("dtend", view.ends_at)
        event.add("dtstamp", s.updated_at)
        event.add("created", s.created_at)
        event.add("last-modified", s.updated_at)
        event.add("sequence", _sequence(s.created_at, s.updated_at))
        event.add("status", "CANCELLED" if s.status == SessionStatus.CANCELLED else "CONFIRMED")
        description = _description(view)
        if description:
            event.add("description", description)
        first_link = next((lp.paper.url for lp in view.papers if lp.paper.url), None)
        if first_link:
            event.add("url", first_link)
        cal.add_component(event)
    data: bytes = cal.to_ical()
    return data
