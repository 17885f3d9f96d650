"""Times the clocks make special, end to end: a time that happens twice (clocks go back) is
named in the reply with the choice made; a time that does not exist (clocks jump forward)
is refused with what to pick instead. The server's zone is Europe/Berlin."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.e2e.conftest import App

TWICE = "02:30 happens twice on 26 Oct 2025 (the clocks go back); I used the first (CEST, UTC+2)"


async def _final(reply: Any) -> Any:
    await reply.final()
    return reply


async def _start_of(app: App, session_id: int) -> datetime:
    return (await app.services.schedule.get(app.guild.id, session_id)).session.starts_at


async def test_session_add_names_which_of_two_0230s_it_took(app: App) -> None:
    reply = await _final(
        await app.slash(app.organizer, "session add", date="2025-10-26", time="02:30", kind="tba")
    )
    assert "Scheduled session #1" in reply.text
    assert TWICE in reply.text
    assert "not the second (CET, UTC+1)" in reply.text
    assert await _start_of(app, 1) == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)

    # An ordinary time that night says nothing about the clocks.
    plain = await _final(
        await app.slash(app.organizer, "session add", date="2025-10-26", time="18:00", kind="tba")
    )
    assert "Scheduled session #2" in plain.text
    assert "twice" not in plain.text


async def test_the_zone_after_the_time_picks_the_second(app: App) -> None:
    first = await _final(
        await app.slash(app.organizer, "session add", date="2025-10-26", time="02:30", kind="tba")
    )
    assert "For the second, write the time as 02:30 CET." in first.text
    second = await _final(
        await app.slash(
            app.organizer, "session add", date="2025-10-26", time="02:30 CET", kind="tba"
        )
    )
    assert "as asked, I used the second (CET, UTC+1)" in second.text
    assert await _start_of(app, 2) == datetime(2025, 10, 26, 1, 30, tzinfo=UTC)
    inline = await _final(
        await app.slash(app.organizer, "session move", session=2, date="26.10.2025 2:30 UTC+1")
    )
    assert "Moved session #2" in inline.text and "as asked" in inline.text

    wrong = await _final(
        await app.slash(app.organizer, "session add", date="2025-10-26", time="2:30 PST")
    )
    assert "02:30 on 26 Oct 2025 in Europe/Berlin is CEST (UTC+2) or CET (UTC+1), not PST" in (
        wrong.text
    )
    async with app.services.db.unit() as uow:
        assert await uow.sessions.count(app.guild.id, include_cancelled=True) == 2


async def test_the_time_in_the_date_option_gets_the_note_too(app: App) -> None:
    reply = await _final(
        await app.slash(app.organizer, "session add", date="26.10.2025 02:30", kind="tba")
    )
    assert TWICE in reply.text


async def test_session_move_names_the_choice(app: App) -> None:
    await _final(await app.slash(app.organizer, "session add", date="2025-10-23", kind="tba"))
    moved = await _final(
        await app.slash(app.organizer, "session move", session=1, date="2025-10-26", time="2:30")
    )
    assert "Moved session #1" in moved.text
    assert TWICE in moved.text
    assert await _start_of(app, 1) == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)


async def test_a_time_the_clocks_skip_is_refused_with_what_to_pick(app: App) -> None:
    reply = await _final(
        await app.slash(app.organizer, "session add", date="2025-03-30", time="02:30", kind="tba")
    )
    assert reply.ephemeral
    assert "02:30 does not exist on 30 Mar 2025 in Europe/Berlin" in reply.text
    assert "jump forward an hour that night (CET → CEST)" in reply.text
    assert "e.g. 03:30" in reply.text
    async with app.services.db.unit() as uow:
        assert await uow.sessions.count(app.guild.id, include_cancelled=True) == 0


async def test_weekly_announcement_at_0230_on_sundays_names_both_changes(app: App) -> None:
    reply = await _final(
        await app.slash(app.organizer, "reminders set", weekly=True, day=6, time="02:30")
    )
    assert "Saved." in reply.text
    # From Monday 6 January 2025: the spring change comes first, then the autumn one.
    skipped = (
        "02:30 on Sundays does not exist on 30 Mar 2025 (the clocks jump forward): "
        "the weekly announcement then goes out at 03:30 (CEST, UTC+2)."
    )
    twice = (
        "02:30 on Sundays happens twice on 26 Oct 2025 (the clocks go back): "
        "the weekly announcement then goes out at the first (CEST, UTC+2)."
    )
    assert skipped in reply.text and twice in reply.text
    assert reply.text.index(skipped) < reply.text.index(twice)

    usual = await _final(await app.slash(app.organizer, "reminders set", time="10:00"))
    assert "clocks" not in usual.text


async def test_weekly_digest_time_names_the_change(app: App) -> None:
    reply = await app.slash(
        app.organizer,
        "candidates set",
        options={"channel": app.announcements},
        day=6,
        time="02:45",
    )
    assert "Saved." in reply.text
    assert "02:45 on Sundays happens twice on 26 Oct 2025 (the clocks go back): the digest " in (
        reply.text
    )
    assert "02:45 on Sundays does not exist on 30 Mar 2025" in reply.text
