"""What a reminder says: the post composed from the database, rendered by the Discord side.

A :class:`ReminderPost` holds the data (sessions with their papers, the last session's
open questions, whether to ping); ``bot/ui/reminders/render.py`` turns it into a message. The
preview renders the same object, so it shows exactly what would be posted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from bot.reminders.plan import LEAD, WEEKLY, Due
from bot.schedule.readmodels import SessionInfo
from storage.models import GuildConfig, ReadingSession, SessionStatus
from storage.repositories import UnitOfWork

WEEK = timedelta(days=7)


class SessionInfoSource(Protocol):
    async def infos(self, uow: UnitOfWork, rows: Sequence[ReadingSession]) -> list[SessionInfo]: ...


@dataclass(frozen=True, slots=True)
class ReminderPost:
    guild_id: int
    kind: str  # WEEKLY or LEAD
    key: str
    ref: str
    config: GuildConfig
    due_at: datetime
    sessions: list[SessionInfo]  # lead: the one session; weekly: the coming week's
    lead_minutes: int | None = None
    late: bool = False
    last_session: SessionInfo | None = None  # weekly: what was left open last time
    open_questions: list[str] = field(default_factory=list)
    ping_role_id: int | None = None  # lead reminders ping the opt-in role, if any
    offer_ping_button: bool = False
    test: bool = False


async def compose_lead(
    uow: UnitOfWork, schedule: SessionInfoSource, config: GuildConfig, due: Due, late: bool
) -> ReminderPost | None:
    """The reminder before a session; None if the session is gone or has moved."""
    assert due.session_id is not None
    row = await uow.sessions.get(config.guild_id, due.session_id)
    if row is None or row.status != SessionStatus.SCHEDULED:
        return None
    if due.starts_at is not None and row.starts_at != due.starts_at:
        return None  # moved by another process since this run planned it
    view = (await schedule.infos(uow, [row]))[0]
    return ReminderPost(
        guild_id=config.guild_id,
        kind=LEAD,
        key=due.key,
        ref=due.ref,
        config=config,
        due_at=due.due_at,
        sessions=[view],
        lead_minutes=due.lead_minutes,
        late=late,
        ping_role_id=config.ping_role_id,
        offer_ping_button=config.ping_role_id is not None,
    )


async def compose_weekly(
    uow: UnitOfWork,
    schedule: SessionInfoSource,
    config: GuildConfig,
    due: Due,
    at: datetime,
    late: bool,
) -> ReminderPost | None:
    """The weekly announcement: sessions from ``at`` until a week after its time, and the
    last session's open questions; None when the week is empty."""
    guild_id = config.guild_id
    start = max(at, due.due_at)
    rows = await uow.sessions.all(guild_id, start=start, end=due.due_at + WEEK)
    if not rows:
        return None
    views = await schedule.infos(uow, rows)
    last_row = await uow.sessions.last_before(guild_id, start)
    last_view, questions = None, []
    if last_row is not None and last_row.id is not None:
        summary = await uow.summaries.latest(guild_id, last_row.id)
        if summary is not None and summary.open_questions:
            last_view = (await schedule.infos(uow, [last_row]))[0]
            questions = [q for q in summary.open_questions if q.strip()]
    return ReminderPost(
        guild_id=guild_id,
        kind=WEEKLY,
        key=due.key,
        ref=due.ref,
        config=config,
        due_at=due.due_at,
        sessions=views,
        late=late,
        last_session=last_view if questions else None,
        open_questions=questions,
        offer_ping_button=config.ping_role_id is not None,
    )
