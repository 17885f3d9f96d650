"""The reminder service on a real database with a controllable clock (no Discord).

Posts go to :class:`tests.harness.reminders.MemoryChannels`, which stores them like a
channel would and answers the look-up by reference; everything else is the real thing.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import event

from bot import notices
from bot.container import Services
from bot.errors import InvalidInput
from bot.reminders.delivery import LEASE
from bot.reminders.plan import (
    Due,
    format_lead,
    lead_key,
    parse_lead_times,
    plan_guild,
    weekly_key,
)
from bot.schedule.drafts import SessionDraft
from bot.settings import Settings
from storage.db import Database
from storage.models import DeliveryStatus, GuildConfig, Paper, PaperRole, ReadingSession, Summary
from tests.harness.clock import FakeClock
from tests.harness.reminders import Crash, MemoryChannels

GUILD = 700_000_000_000_000_001
OTHER = 700_000_000_000_000_002
CHANNEL = 710_000_000_000_000_001
ROLE = 720_000_000_000_000_001
NOW = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)  # Monday, 10:00 in Berlin
SESSION_START = datetime(2025, 1, 9, 17, 0, tzinfo=UTC)  # Thursday 18:00 in Berlin


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def _services(db: Database, clock: FakeClock) -> tuple[Services, MemoryChannels]:
    settings = Settings(_env_file=None, default_timezone="Europe/Berlin")  # type: ignore[call-arg]
    services = Services(settings=settings, db=db, clock=clock)
    channels = MemoryChannels(clock)
    services.reminders.attach(channels)
    return services, channels


async def _configure(services: Services, guild: int = GUILD, **changes: object) -> None:
    values: dict[str, object] = {
        "announcement_channel_id": CHANNEL,
        "timezone": "Europe/Berlin",
        "lead_times_minutes": [60],
    }
    values.update(changes)
    await services.guilds.update(guild, **values)


async def _add(services: Services, date: str, at: str = "18:00", title: str = "Talk") -> int:
    view = await services.schedule.add(
        GUILD,
        SessionDraft(date_text=date, time_text=at, kind="special", title=title),
        actor_id=None,
    )
    return view.id


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


# --------------------------------------------------------------------------------------
# Pure parts: lead times and plans


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("24h, 15m", [1440, 15]),
        ("1h30m", [90]),
        ("90", [90]),
        ("2 days", [2880]),
        ("1 hour and 15 min", [60, 15]),
        ("15m, 15 minutes", [15]),
        ("off", []),
        ("none", []),
    ],
)
def test_parse_lead_times(text: str, minutes: list[int]) -> None:
    assert parse_lead_times(text) == minutes


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("soon", "could not read"),
        ("0m", "between 1 minute and 7 days"),
        ("8d", "between 1 minute and 7 days"),
        ("1m,2m,3m,4m,5m,6m", "At most 5"),
        (", ,", "at least one"),
    ],
)
def test_parse_lead_times_refuses_bad_input(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        parse_lead_times(text)


def test_format_lead() -> None:
    assert [format_lead(m) for m in (15, 60, 90, 1440, 2880, 2890)] == [
        "15m",
        "1h",
        "1h30m",
        "24h",
        "2d",
        "48h10m",
    ]


def _config(**values: object) -> GuildConfig:
    base: dict[str, object] = {
        "guild_id": GUILD,
        "announcement_channel_id": CHANNEL,
        "timezone": "Europe/Berlin",
        "weekly_enabled": True,
        "weekly_weekday": 0,
        "weekly_time": time(10, 0),
        "lead_times_minutes": [1440, 15],
    }
    base.update(values)
    return GuildConfig(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("zone", "now", "expected"),
    [
        # Europe/Berlin springs forward on 30 March 2025: 10:00 is 09:00 UTC, then 08:00 UTC.
        ("Europe/Berlin", _utc(2025, 3, 24, 9, 30), [_utc(2025, 3, 24, 9), _utc(2025, 3, 31, 8)]),
        # ... and falls back on 26 October 2025.
        (
            "Europe/Berlin",
            _utc(2025, 10, 20, 8, 30),
            [_utc(2025, 10, 20, 8), _utc(2025, 10, 27, 9)],
        ),
        # America/New_York springs forward on 9 March 2025 and falls back on 2 November.
        ("America/New_York", _utc(2025, 3, 3, 16), [_utc(2025, 3, 3, 15), _utc(2025, 3, 10, 14)]),
        (
            "America/New_York",
            _utc(2025, 10, 27, 15),
            [_utc(2025, 10, 27, 14), _utc(2025, 11, 3, 15)],
        ),
    ],
)
def test_weekly_plan_follows_the_wall_clock_across_dst(
    zone: str, now: datetime, expected: list[datetime]
) -> None:
    planned = plan_guild(_config(timezone=zone, lead_times_minutes=[]), [], now, timedelta(days=1))
    assert [d.due_at for d in planned] == expected
    assert [d.key for d in planned] == [weekly_key(m) for m in expected]


def test_weekly_slot_inside_the_dst_gap_moves_to_the_first_valid_minute() -> None:
    # Sunday 02:30 does not exist in Berlin on 30 March 2025: 03:30 CEST (01:30 UTC) instead.
    config = _config(weekly_weekday=6, weekly_time=time(2, 30), lead_times_minutes=[])
    planned = plan_guild(config, [], _utc(2025, 3, 29, 12), timedelta(hours=1))
    assert [d.due_at for d in planned] == [_utc(2025, 3, 30, 1, 30)]


def test_lead_plan_covers_every_lead_time_and_nothing_without_a_channel() -> None:
    start = _utc(2025, 3, 30, 16)  # 18:00 CEST, the day of the change
    planned = plan_guild(_config(weekly_enabled=False), [(7, start)], _utc(2025, 3, 28), LEASE)
    assert [(d.kind, d.due_at) for d in planned] == [
        ("lead:15", start - timedelta(minutes=15)),
        ("lead:1440", start - timedelta(days=1)),  # 24 h, not "the same wall-clock time"
    ]
    assert planned[0].key == lead_key(15, 7, start - timedelta(minutes=15))
    assert plan_guild(_config(announcement_channel_id=None), [(7, start)], start, LEASE) == []
    off = _config(weekly_enabled=False, lead_reminders_enabled=False)
    assert plan_guild(off, [(7, start)], start, LEASE) == []


# --------------------------------------------------------------------------------------
# Delivering


async def test_a_reminder_fires_once_at_its_time(db: Database, clock: FakeClock) -> None:
    services, channels = _services(db, clock)
    await _configure(services)
    sid = await _add(services, "2025-01-09")
    due_at = SESSION_START - timedelta(hours=1)
    await services.reminders.rebuild()
    assert services.reminders.next_wake() == due_at

    clock.set(due_at - timedelta(seconds=1))
    assert await services.reminders.run_due() == []
    clock.set(due_at)
    outcomes = await services.reminders.run_due()
    assert [(o.result, o.key) for o in outcomes] == [("sent", lead_key(60, sid, due_at))]
    assert len(channels.posts) == 1
    post = channels.posts[0].post
    assert post.sessions[0].id == sid
    assert post.lead_minutes == 60
    assert not post.late

    for step in (timedelta(0), timedelta(minutes=10), timedelta(days=2)):
        clock.advance(step)
        assert [o for o in await services.reminders.run_due() if o.result == "sent"] == []
    assert len(channels.posts) == 1
    async with db.unit() as uow:
        row = await uow.reminders.get(GUILD, lead_key(60, sid, due_at))
        assert row is not None
        assert row.status == DeliveryStatus.SENT
        assert row.message_id == channels.posts[0].message_id
        assert row.channel_id == CHANNEL


async def test_weekly_announcement_lists_the_week_and_last_open_questions(
    sqlite_db: Database, clock: FakeClock
) -> None:
    clock.set(_utc(2025, 1, 6, 12))  # Monday, after this week's announcement time
    services, channels = _services(sqlite_db, clock)
    await _configure(services, weekly_enabled=True, weekly_weekday=0, weekly_time=time(10, 0))
    past = await services.schedule.add(
        GUILD,
        SessionDraft(
            date_text="2025-01-02", time_text="18:00", kind="special", title="Old", allow_past=True
        ),
        actor_id=None,
    )
    async with sqlite_db.unit() as uow:
        await uow.summaries.save(
            Summary(
                guild_id=GUILD,
                session_id=past.id,
                model="m",
                input_hash="h",
                summary="s",
                open_questions=["Does it scale?", "Why @everyone?"],
            )
        )
    first = await _add(services, "2025-01-16", title="Code Reading Group")
    await _add(services, "2025-01-23", title="Too far ahead")
    async with sqlite_db.unit() as uow:
        paper = await uow.papers.add(
            Paper(
                guild_id=GUILD,
                ref_key="arxiv:2304.08485",
                arxiv_id="2304.08485",
                url="https://arxiv.org/abs/2304.08485",
                title="Visual Instruction Tuning",
            )
        )
        await uow.sessions.set_papers(GUILD, first, [(paper, PaperRole.MAIN, None)])
    await services.reminders.rebuild()
    monday = _utc(2025, 1, 13, 9)  # 10:00 in Berlin
    assert services.reminders.next_wake() == monday
    clock.set(monday)
    outcomes = await services.reminders.run_due()
    assert [o.result for o in outcomes] == ["sent"]
    post = channels.posts[0].post
    assert post.kind == "weekly"
    assert [v.id for v in post.sessions] == [first]  # the coming week only
    assert post.sessions[0].papers[0].paper.title == "Visual Instruction Tuning"
    assert post.last_session is not None and post.last_session.id == past.id
    assert post.open_questions == ["Does it scale?", "Why @everyone?"]


async def test_a_week_without_sessions_gets_no_announcement(
    sqlite_db: Database, clock: FakeClock
) -> None:
    services, channels = _services(sqlite_db, clock)
    await _configure(services, weekly_enabled=True, lead_times_minutes=[])
    clock.set(_utc(2025, 1, 13, 9))
    outcomes = await services.reminders.run_due()
    assert [(o.result, o.detail) for o in outcomes] == [
        ("skipped", "nothing is scheduled in the coming week")
    ]
    assert channels.posts == []


async def test_crash_between_claim_and_post_is_completed_once(
    db: Database, clock: FakeClock
) -> None:
    services, channels = _services(db, clock)
    await _configure(services)
    sid = await _add(services, "2025-01-09")
    due_at = SESSION_START - timedelta(hours=1)
    clock.set(due_at)
    channels.crash_before_post = True
    with pytest.raises(Crash):
        await services.reminders.run_due()
    async with db.unit() as uow:
        row = await uow.reminders.get(GUILD, lead_key(60, sid, due_at))
        assert row is not None and row.status == DeliveryStatus.CLAIMED
    assert channels.posts == []

    # A new process on the same database: the claim is respected while its lease runs...
    restarted, _ = _services(db, clock)
    restarted.reminders.attach(channels)
    await restarted.reminders.rebuild()
    assert [o.result for o in await restarted.reminders.run_due()] == []
    assert restarted.reminders.next_wake() is not None
    # ... and completed (after a look in the channel) once it has run out.
    clock.advance(LEASE + timedelta(seconds=2))
    outcomes = await restarted.reminders.run_due()
    assert [o.result for o in outcomes] == ["sent"]
    assert channels.lookups == 1
    assert len(channels.posts) == 1
    assert await restarted.reminders.run_due() == []
    assert len(channels.posts) == 1


async def test_crash_between_post_and_mark_is_not_posted_again(
    db: Database, clock: FakeClock
) -> None:
    services, channels = _services(db, clock)
    await _configure(services)
    sid = await _add(services, "2025-01-09")
    due_at = SESSION_START - timedelta(hours=1)
    clock.set(due_at)
    channels.crash_after_post = True
    with pytest.raises(Crash):
        await services.reminders.run_due()
    assert len(channels.posts) == 1

    restarted, _ = _services(db, clock)
    restarted.reminders.attach(channels)
    clock.advance(LEASE + timedelta(seconds=2))
    outcomes = await restarted.reminders.run_due()
    assert [o.result for o in outcomes] == ["recovered"]
    assert len(channels.posts) == 1
    async with db.unit() as uow:
        row = await uow.reminders.get(GUILD, lead_key(60, sid, due_at))
        assert row is not None
        assert row.status == DeliveryStatus.SENT
        assert row.message_id == channels.posts[0].message_id


async def test_two_instances_on_one_database_post_once(db: Database, clock: FakeClock) -> None:
    clock.set(_utc(2025, 1, 5, 12))  # Sunday
    services, channels = _services(db, clock)
    await _configure(services, weekly_enabled=True)
    await _add(services, "2025-01-09")
    await _add(services, "2025-01-10", title="Second")
    other_db = await Database.open(db.url.render_as_string(hide_password=False))
    try:
        other, _ = _services(other_db, clock)
        other.reminders.attach(channels)  # both post to the same channels
        await asyncio.gather(services.reminders.rebuild(), other.reminders.rebuild())
        for moment in (
            _utc(2025, 1, 6, 9),  # the weekly announcement
            SESSION_START - timedelta(hours=1),
            SESSION_START + timedelta(days=1, hours=-1),
        ):
            clock.set(moment)
            first, second = await asyncio.gather(
                services.reminders.run_due(), other.reminders.run_due()
            )
            results = sorted(o.result for o in first + second if o.result != "held")
            assert results == ["sent"], moment
        assert len(channels.posts) == 3
        assert len(set(channels.keys())) == 3
    finally:
        await other_db.close()


async def test_catch_up_after_three_days_down(sqlite_db: Database, clock: FakeClock) -> None:
    services, channels = _services(sqlite_db, clock)
    await _configure(services, lead_times_minutes=[1440, 60], weekly_enabled=True)
    happened = await _add(services, "2025-01-07", title="Tuesday")  # during the outage
    upcoming = await _add(services, "2025-01-09", title="Thursday")  # not started yet
    # The bot was last up on Monday 09:00 UTC and comes back on Thursday 16:30 UTC.
    clock.set(_utc(2025, 1, 9, 16, 30))
    restarted, _ = _services(sqlite_db, clock)
    restarted.reminders.attach(channels)
    await restarted.reminders.rebuild()
    outcomes = {o.key: o for o in await restarted.reminders.run_due()}
    posted = [p.post for p in channels.posts]
    assert [(p.sessions[0].id, p.lead_minutes, p.late) for p in posted] == [(upcoming, 60, True)]
    start = _utc(2025, 1, 9, 17)
    superseded = outcomes[lead_key(1440, upcoming, start - timedelta(days=1))]
    assert superseded.result == "skipped"
    assert "superseded" in superseded.detail
    tuesday = _utc(2025, 1, 7, 17)
    for minutes in (1440, 60):
        missed = outcomes[lead_key(minutes, happened, tuesday - timedelta(minutes=minutes))]
        assert missed.result == "skipped"
        assert "already started" in missed.detail
    weekly = outcomes[weekly_key(_utc(2025, 1, 6, 9))]
    assert weekly.result == "skipped"
    assert "more than a day late" in weekly.detail
    # Everything is settled: nothing is reconsidered later.
    clock.advance(minutes=10)
    assert await restarted.reminders.run_due() == []
    assert len(channels.posts) == 1


async def test_a_weekly_announcement_less_than_a_day_late_is_posted_with_a_note(
    sqlite_db: Database, clock: FakeClock
) -> None:
    services, channels = _services(sqlite_db, clock)
    await _configure(services, weekly_enabled=True, lead_times_minutes=[])
    await _add(services, "2025-01-16")
    clock.set(_utc(2025, 1, 13, 15))  # six hours late
    outcomes = await services.reminders.run_due()
    assert [(o.result, o.detail) for o in outcomes] == [("sent", "late")]
    assert channels.posts[0].post.late


async def test_edit_move_and_cancel_reschedule_at_once(
    sqlite_db: Database, clock: FakeClock
) -> None:
    services, channels = _services(sqlite_db, clock)
    await _configure(services)
    sid = await _add(services, "2025-01-09")
    await services.reminders.rebuild()
    old_due = SESSION_START - timedelta(hours=1)
    assert services.reminders.next_wake() == old_due

    await services.schedule.move(
        GUILD, sid, date_text="2025-01-10", time_text="19:00", actor_id=None
    )
    new_due = _utc(2025, 1, 10, 17)
    assert services.reminders.next_wake() == new_due
    clock.set(old_due)
    assert await services.reminders.run_due() == []
    clock.set(new_due)
    assert [o.key for o in await services.reminders.run_due()] == [lead_key(60, sid, new_due)]

    # A session scheduled 30 minutes ahead gets no "1 hour before" reminder posted late.
    clock.set(_utc(2025, 1, 20, 16, 30))
    soon = await _add(services, "2025-01-20")
    async with sqlite_db.unit() as uow:
        row = await uow.reminders.get(GUILD, lead_key(60, soon, _utc(2025, 1, 20, 16)))
        assert row is not None and row.status == DeliveryStatus.SKIPPED
    assert await services.reminders.run_due() == []

    cancelled = await _add(services, "2025-01-23")
    await services.schedule.cancel(GUILD, cancelled, actor_id=None)
    assert services.reminders.next_wake() is None
    clock.set(_utc(2025, 1, 23, 16))
    assert await services.reminders.run_due() == []
    assert len(channels.posts) == 1


async def test_lead_time_changes_take_effect_at_once(sqlite_db: Database, clock: FakeClock) -> None:
    services, _channels = _services(sqlite_db, clock)
    await _configure(services)
    sid = await _add(services, "2025-01-09")
    await services.reminders.rebuild()
    await services.reminders.settings.configure(GUILD, lead_times="24h, 15m")
    upcoming = await services.reminders.upcoming(GUILD)
    assert [(d.kind, d.session_id) for d in upcoming] == [("lead:1440", sid), ("lead:15", sid)]
    assert services.reminders.next_wake() == SESSION_START - timedelta(days=1)
    await services.reminders.turn_off(GUILD)
    assert services.reminders.next_wake() is None


async def test_blocked_reminder_waits_tells_once_and_is_posted_when_allowed(
    db: Database, clock: FakeClock
) -> None:
    services, channels = _services(db, clock)
    await _configure(services)
    sid = await _add(services, "2025-01-09")
    due_at = SESSION_START - timedelta(hours=1)
    key = lead_key(60, sid, due_at)
    channels.blocked.add(CHANNEL)
    clock.set(due_at)
    assert [o.result for o in await services.reminders.run_due()] == ["blocked"]
    async with db.unit() as uow:
        row = await uow.reminders.get(GUILD, key)
        assert row is not None and row.status == DeliveryStatus.BLOCKED
        assert "missing access" in (row.detail or "")

    # The next organizer action that goes through the event bus carries the notice, once.
    with notices.collect() as first:
        await _add(services, "2025-02-06", title="Later")
    assert len(first) == 1 and "1 reminder is waiting" in first[0]
    with notices.collect() as second:
        await _add(services, "2025-02-13", title="Even later")
    assert second == []

    # Still forbidden at the next wake-ups: retried after the lease, still pending.
    clock.advance(LEASE + timedelta(seconds=2))
    assert [o.result for o in await services.reminders.run_due()] == ["blocked"]
    channels.blocked.clear()
    clock.advance(LEASE + timedelta(seconds=2))
    outcomes = await services.reminders.run_due()
    assert [(o.result, o.detail) for o in outcomes] == [("sent", "late")]
    assert len(channels.posts) == 1
    assert await services.reminders.blocked_notice(GUILD, untold_only=False) is None


async def test_a_blocked_reminder_of_a_cancelled_session_is_dropped(
    sqlite_db: Database, clock: FakeClock
) -> None:
    services, channels = _services(sqlite_db, clock)
    await _configure(services)
    sid = await _add(services, "2025-01-09")
    channels.blocked.add(CHANNEL)
    clock.set(SESSION_START - timedelta(hours=1))
    assert [o.result for o in await services.reminders.run_due()] == ["blocked"]
    await services.schedule.cancel(GUILD, sid, actor_id=None)
    async with sqlite_db.unit() as uow:
        assert await uow.reminders.blocked(GUILD) == []
    channels.blocked.clear()
    clock.advance(minutes=20)
    assert await services.reminders.run_due() == []
    assert channels.posts == []


async def test_transient_failure_is_retried_after_the_lease(
    sqlite_db: Database, clock: FakeClock
) -> None:
    services, channels = _services(sqlite_db, clock)
    await _configure(services)
    await _add(services, "2025-01-09")
    clock.set(SESSION_START - timedelta(hours=1))
    channels.fail_next = 1
    assert [o.result for o in await services.reminders.run_due()] == ["failed"]
    assert await services.reminders.run_due() == []  # the lease holds
    clock.advance(LEASE + timedelta(seconds=2))
    assert [o.result for o in await services.reminders.run_due()] == ["sent"]
    assert channels.lookups == 1  # looked for an earlier post before posting
    assert len(channels.posts) == 1


async def test_servers_are_kept_apart(sqlite_db: Database, clock: FakeClock) -> None:
    services, channels = _services(sqlite_db, clock)
    await _configure(services)
    await _configure(services, guild=OTHER, announcement_channel_id=CHANNEL + 1)
    await _add(services, "2025-01-09")
    clock.set(SESSION_START - timedelta(hours=1))
    await services.reminders.run_due()
    assert [(p.post.guild_id, p.channel_id) for p in channels.posts] == [(GUILD, CHANNEL)]
    assert await services.reminders.upcoming(OTHER) == []


async def test_preview_is_what_would_be_posted(sqlite_db: Database, clock: FakeClock) -> None:
    services, channels = _services(sqlite_db, clock)
    await _configure(services, ping_role_id=ROLE)
    sid = await _add(services, "2025-01-09")
    preview = await services.reminders.preview(GUILD, "lead")
    clock.set(SESSION_START - timedelta(hours=1))
    await services.reminders.run_due()
    posted = channels.posts[0].post
    assert (preview.key, preview.ref, preview.ping_role_id) == (posted.key, posted.ref, ROLE)
    assert [v.id for v in preview.sessions] == [v.id for v in posted.sessions] == [sid]
    test = await services.reminders.preview(GUILD, "lead", sid, test=True)
    assert test.test and test.ping_role_id is None and test.ref != posted.ref


async def test_rebuild_uses_a_constant_number_of_queries(db: Database, clock: FakeClock) -> None:
    clock.set(_utc(2025, 1, 7, 9))  # a Tuesday: one weekly announcement ahead per server
    services, _ = _services(db, clock)

    async def populate(guilds: range) -> None:
        async with db.unit() as uow:
            for guild in guilds:
                await uow.guilds.update(guild, announcement_channel_id=CHANNEL, weekly_enabled=True)
                for week in range(5):
                    await uow.sessions.add(
                        ReadingSession(
                            guild_id=guild, starts_at=SESSION_START + timedelta(weeks=week)
                        )
                    )

    def count_queries() -> tuple[list[str], object]:
        statements: list[str] = []

        def record(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(db.engine.sync_engine, "before_cursor_execute", record)
        return statements, record

    async def measure() -> tuple[int, int]:
        statements, record = count_queries()
        try:
            planned = await services.reminders.rebuild()
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", record)
        return len(statements), planned

    await populate(range(1, 3))
    few_queries, few = await measure()
    await populate(range(3, 30))
    many_queries, many = await measure()
    # Each: five lead reminders, yesterday's unsettled weekly announcement and the next one.
    assert few == 2 * (5 + 2)
    assert many == 29 * (5 + 2)
    assert few_queries == many_queries <= 4


def test_due_keys_and_references_are_stable_and_short() -> None:
    due = Due(GUILD, "lead:60", SESSION_START, 3, SESSION_START + timedelta(hours=1), 60)
    assert due.key == lead_key(60, 3, SESSION_START) == "lead:60:s3:2025-01-09T17:00:00+00:00"
    again = Due(GUILD, "lead:60", SESSION_START, 3, None, 60)
    other = Due(OTHER, "lead:60", SESSION_START, 3, None, 60)
    assert due.ref == again.ref != other.ref
    assert len(due.ref) == 12
    weekly = Due(GUILD, "weekly", SESSION_START)
    assert weekly.key == weekly_key(SESSION_START) == "weekly:guild:2025-01-09T17:00:00+00:00"
    assert Due(GUILD, "lead:60", SESSION_START, None, stored_key="kept").key == "kept"
