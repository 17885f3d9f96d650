"""Reminders end to end: the real bot, the fake Discord, a clock the test moves by hand.

The scheduler only wakes the bot; tests move the clock and call the same entry point the
wake-up calls (``services.reminders.run_due``), so nothing sleeps. Every request body the
bot sends is checked against Discord's OpenAPI document by the fake.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest

from bot.reminders.delivery import LEASE
from bot.reminders.plan import lead_key, weekly_key
from bot.reminders.posts import ReminderPost
from cogs.reminders import WAKE_JOB
from storage.models import DeliveryStatus
from tests.e2e.conftest import App
from tests.harness.reminders import Crash

SUNDAY = datetime(2025, 1, 5, 12, 0, tzinfo=UTC)
THURSDAY_18 = datetime(2025, 1, 9, 17, 0, tzinfo=UTC)  # 18:00 in Berlin
LATER = LEASE + timedelta(seconds=2)


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def posts(app: App) -> list[dict[str, Any]]:
    return app.discord.channel_messages(app.announcements)


async def run(app: App) -> list[Any]:
    return await app.services.reminders.run_due()


async def ok(reply: Any) -> Any:
    await reply.final()
    return reply


async def add_session(app: App, date: str, title: str = "Code Reading Group", **options: Any):
    reply = await ok(
        await app.slash(
            app.organizer, "session add", date=date, kind="special", title=title, **options
        )
    )
    assert "Scheduled session" in reply.text, reply.text
    return reply


def ping_role(app: App) -> Any:
    return app.guild.add_role(
        "Reading pings", permissions=discord.Permissions.none(), mentionable=True
    )


def footer(message: dict[str, Any]) -> str:
    return message["embeds"][0]["footer"]["text"]


class CrashingSender:
    """Wraps the bot's real sender and "kills the process" around the post."""

    def __init__(self, real: Any, *, after_post: bool) -> None:
        self.real = real
        self.after_post = after_post

    async def send(self, post: ReminderPost, channel_id: int) -> int:
        if not self.after_post:
            raise Crash("killed between claim and post")
        await self.real.send(post, channel_id)
        raise Crash("killed between post and mark")

    async def find_posted(self, *args: Any) -> int | None:
        return await self.real.find_posted(*args)


# --------------------------------------------------------------------------------------


async def test_a_reminder_fires_once_at_its_time_and_pings_only_the_opt_in_role(app: App) -> None:
    role = ping_role(app)
    reply = await ok(await app.slash(app.organizer, "reminders set", ping_role=role))
    assert "Saved." in reply.text
    await add_session(app, "2025-01-09", presenter=app.member)
    due = THURSDAY_18 - timedelta(hours=1)
    assert app.bot.scheduler.get_job(WAKE_JOB) is not None  # the wake-up is armed

    app.clock.set(due - timedelta(seconds=1))
    await run(app)
    assert posts(app) == []
    app.clock.set(due)
    await run(app)
    for _ in range(3):
        app.clock.advance(minutes=5)
        await run(app)
    messages = posts(app)
    assert len(messages) == 1
    message = messages[0]
    assert message["content"].startswith(f"<@&{role.id}> ⏰ Session #1 starts <t:1736442000:R>")
    embed = message["embeds"][0]
    assert embed["title"] == "#1 · Code Reading Group"
    assert f"<@{app.member.id}>" in str(embed["fields"])
    assert "Reminder 1h before · ref" in footer(message)
    assert message["components"][0]["components"][0]["custom_id"] == "reminders:ping-toggle"
    body = app.discord.requests_matching("POST", rf"/channels/{app.announcements.id}/messages")[0]
    assert body.json["allowed_mentions"] == {"parse": [], "roles": [role.id]}
    async with app.services.db.unit() as uow:
        row = await uow.reminders.get(app.guild.id, lead_key(60, 1, due))
        assert row is not None and row.status == DeliveryStatus.SENT
        assert row.message_id == int(message["id"])


async def test_members_opt_in_and_out_with_the_button_and_the_command(app: App) -> None:
    role = ping_role(app)
    await ok(await app.slash(app.organizer, "reminders set", ping_role=role))
    await add_session(app, "2025-01-09")
    app.clock.set(THURSDAY_18 - timedelta(hours=1))
    await run(app)
    message = posts(app)[0]

    clicked = await app.discord.click(app.member, message, custom_id="reminders:ping-toggle")
    await clicked.final()
    assert "reminders will ping you" in clicked.text
    assert role.id in app.guild.members[app.member.id].role_ids
    off = await ok(await app.slash(app.member, "reminders ping", state="off"))
    assert "no longer ping you" in off.text
    assert role.id not in app.guild.members[app.member.id].role_ids

    # The button of a message posted before a restart still works.
    await app.restart()
    again = await app.discord.click(app.member, message, custom_id="reminders:ping-toggle")
    await again.final()
    assert "reminders will ping you" in again.text
    assert role.id in app.guild.members[app.member.id].role_ids


async def test_kill_between_claim_and_post_then_restart_posts_exactly_once(app: App) -> None:
    await add_session(app, "2025-01-09")
    app.clock.set(THURSDAY_18 - timedelta(hours=1))
    real = app.services.reminders.sender
    app.services.reminders.sender = CrashingSender(real, after_post=False)
    with pytest.raises(Crash):
        await run(app)
    assert posts(app) == []

    await app.restart()
    # The restarted bot holds the dead one's instance slot: it takes the claim over at once,
    # after looking in the channel for the reminder's reference.
    await run(app)  # (or the wake-up armed at start-up did it already)
    assert app.discord.requests_matching("GET", rf"/channels/{app.announcements.id}/messages")
    assert len(posts(app)) == 1
    app.clock.advance(LATER)
    await run(app)
    assert len(posts(app)) == 1


async def test_a_live_instance_keeps_its_claim_until_the_lease_ends(app: App) -> None:
    await add_session(app, "2025-01-09")
    app.clock.set(THURSDAY_18 - timedelta(hours=1))
    real = app.services.reminders.sender
    app.services.reminders.sender = CrashingSender(real, after_post=False)
    with pytest.raises(Crash):
        await run(app)  # the first instance is stuck with its claim but still running

    other = await app.start_another()
    assert await other.services.reminders.run_due() == []
    assert posts(app) == []  # another live instance's claim is respected ...
    app.clock.advance(LATER)
    await other.services.reminders.run_due()
    assert len(posts(app)) == 1  # ... until its lease ends


async def test_kill_between_post_and_mark_then_restart_does_not_post_again(app: App) -> None:
    await add_session(app, "2025-01-09")
    due = THURSDAY_18 - timedelta(hours=1)
    app.clock.set(due)
    real = app.services.reminders.sender
    app.services.reminders.sender = CrashingSender(real, after_post=True)
    with pytest.raises(Crash):
        await run(app)
    assert len(posts(app)) == 1

    await app.restart()
    app.clock.advance(LATER)
    await run(app)
    assert len(posts(app)) == 1  # found in the channel's history by its reference
    history = app.discord.requests_matching("GET", rf"/channels/{app.announcements.id}/messages")
    assert history
    async with app.services.db.unit() as uow:
        row = await uow.reminders.get(app.guild.id, lead_key(60, 1, due))
        assert row is not None and row.status == DeliveryStatus.SENT
        assert row.message_id == int(posts(app)[0]["id"])


async def test_two_bot_instances_on_one_database_post_once(app: App) -> None:
    await add_session(app, "2025-01-09")
    other = await app.start_another()
    app.clock.set(THURSDAY_18 - timedelta(hours=1))
    await asyncio.gather(run(app), other.services.reminders.run_due())
    await asyncio.gather(run(app), other.services.reminders.run_due())
    assert len(posts(app)) == 1


@pytest.mark.parametrize(
    ("zone", "setup_at", "weeklies", "sessions", "leads"),
    [
        (
            # Berlin springs forward on Sunday 30 March 2025.
            "Europe/Berlin",
            _utc(2025, 3, 20, 12),
            [_utc(2025, 3, 24, 9), _utc(2025, 3, 31, 8)],
            ["2025-03-27", "2025-04-03"],
            [_utc(2025, 3, 27, 16), _utc(2025, 4, 3, 15)],
        ),
        (
            # New York springs forward on Sunday 9 March 2025.
            "America/New_York",
            _utc(2025, 2, 27, 12),
            [_utc(2025, 3, 3, 15), _utc(2025, 3, 10, 14)],
            ["2025-03-06", "2025-03-13"],
            [_utc(2025, 3, 6, 22), _utc(2025, 3, 13, 21)],
        ),
    ],
)
async def test_the_week_of_a_dst_change(
    app: App,
    zone: str,
    setup_at: datetime,
    weeklies: list[datetime],
    sessions: list[str],
    leads: list[datetime],
) -> None:
    app.clock.set(setup_at)
    await ok(await app.slash(app.organizer, "setup", timezone=zone))
    reply = await ok(
        await app.slash(app.organizer, "reminders set", weekly=True, day=0, time="10:00")
    )
    assert "Saved." in reply.text
    for date in sessions:
        await add_session(app, date, title=f"Session on {date}")
    expected = sorted([(w, "Weekly announcement") for w in weeklies] + [(d, "1h") for d in leads])
    for moment, what in expected:
        before = len(posts(app))
        app.clock.set(moment - timedelta(minutes=1))
        await run(app)
        assert len(posts(app)) == before, f"posted early, before {moment}"
        app.clock.set(moment)
        await run(app)
        assert len(posts(app)) == before + 1, f"nothing posted at {moment}"
        assert what in footer(posts(app)[-1])
    # Each weekly announcement says 10:00 local and lists that week's session.
    first_weekly = posts(app)[0]
    assert "Session on" in first_weekly["embeds"][0]["fields"][0]["name"]
    assert "18:00" in first_weekly["embeds"][0]["fields"][0]["value"]


async def test_edit_move_and_cancel_reschedule_the_reminders(app: App) -> None:
    await add_session(app, "2025-01-09", title="First title")
    await add_session(app, "2025-01-16", title="To be cancelled")
    edited = await ok(await app.slash(app.organizer, "session edit", session=1, title="New title"))
    assert "Updated session #1" in edited.text
    moved = await ok(
        await app.slash(app.organizer, "session move", session=1, date="2025-01-10", time="19:00")
    )
    assert "Moved session #1" in moved.text
    ask = await app.slash(app.organizer, "session cancel", session=2)
    await app.discord.click(app.organizer, ask, label="Cancel the session")
    await app.until(lambda: "Cancelled session #2" in (ask.content or ""), "the cancellation")

    show = await app.slash(app.organizer, "reminders show")
    upcoming = {f["name"]: f["value"] for f in show.embeds[0]["fields"]}["Next reminders"]
    assert upcoming.count("\n") == 0 and "session #1" in upcoming
    assert "<t:1736528400:f>" in upcoming  # Friday 17:00 UTC: one hour before 19:00 Berlin

    app.clock.set(THURSDAY_18 - timedelta(hours=1))  # the old time: nothing
    await run(app)
    assert posts(app) == []
    app.clock.set(_utc(2025, 1, 10, 17))
    await run(app)
    assert [m["embeds"][0]["title"] for m in posts(app)] == ["#1 · New title"]
    app.clock.set(_utc(2025, 1, 16, 16))  # the cancelled session's time: nothing
    await run(app)
    assert len(posts(app)) == 1


async def test_catch_up_after_three_days_down(app: App, caplog: pytest.LogCaptureFixture) -> None:
    app.clock.set(SUNDAY)
    await ok(
        await app.slash(
            app.organizer, "reminders set", weekly=True, day=0, time="10:00", lead_times="24h, 1h"
        )
    )
    await add_session(app, "2025-01-07", title="Tuesday")  # happens while the bot is down
    await add_session(app, "2025-01-09", title="Thursday")
    await app.running.stop()  # down from Sunday noon ...
    app.clock.set(_utc(2025, 1, 9, 16, 30))  # ... until Thursday, half an hour before 18:00
    caplog.set_level(logging.INFO, logger="bot.reminders.delivery")
    await app.restart()
    # No test call: the wake-up armed at start-up catches up by itself.
    message = await app.discord.wait_for_message(app.announcements, timeout=5)
    assert message["embeds"][0]["title"] == "#2 · Thursday"
    assert "Posted late" in message["content"]
    await run(app)
    assert len(posts(app)) == 1
    async with app.services.db.unit() as uow:
        skipped = {
            r.dedupe_key: r.detail
            for r in await uow.reminders.ledger_since(SUNDAY, [app.guild.id])
            if r.status == DeliveryStatus.SKIPPED
        }
    assert "already started" in skipped[lead_key(60, 1, _utc(2025, 1, 7, 16))]
    assert "already started" in skipped[lead_key(1440, 1, _utc(2025, 1, 6, 17))]
    assert "superseded" in skipped[lead_key(1440, 2, _utc(2025, 1, 8, 17))]
    assert "more than a day late" in skipped[weekly_key(_utc(2025, 1, 6, 9))]
    assert sum("skipped" in r.getMessage() for r in caplog.records) >= 4


async def test_403_keeps_the_reminder_pending_and_posts_it_once_permission_is_granted(
    app: App,
) -> None:
    await add_session(app, "2025-01-09")
    send = discord.Permissions(send_messages=True)
    app.discord.set_bot_permissions(app.guild, app.announcements, deny=send)
    app.clock.set(THURSDAY_18 - timedelta(hours=1))
    outcomes = await run(app)
    assert [o.result for o in outcomes] == ["blocked"]
    assert posts(app) == []

    # Organizers are told once, in the reply of their next command.
    told = await add_session(app, "2025-01-16", title="Next week")
    assert "1 reminder is waiting" in told.text and "Send Messages" in told.text
    quiet = await add_session(app, "2025-01-23", title="Week after")
    assert "waiting" not in quiet.text
    show = await app.slash(app.organizer, "reminders show")
    assert "⚠️ Waiting" in {f["name"] for f in show.embeds[0]["fields"]}

    app.clock.advance(LATER)
    await run(app)
    assert posts(app) == []  # still forbidden, still pending
    app.discord.set_bot_permissions(app.guild, app.announcements, allow=send)
    app.clock.advance(LATER)
    await run(app)
    await run(app)
    messages = posts(app)
    assert len(messages) == 1
    assert "Posted late" in messages[0]["content"]
    show = await app.slash(app.organizer, "reminders show")
    assert "⚠️ Waiting" not in {f["name"] for f in show.embeds[0]["fields"]}


async def test_server_errors_are_retried_and_rate_limits_waited_out(app: App) -> None:
    app.services.reminders.sender.backoff = 0.01
    await add_session(app, "2025-01-09")
    await add_session(app, "2025-01-16", title="Second")
    path = f"/channels/{app.announcements.id}/messages"
    unavailable = app.discord.faults.add("POST", path, status=503, times=2)
    app.clock.set(THURSDAY_18 - timedelta(hours=1))
    await run(app)
    assert unavailable.hits == 2
    assert len(posts(app)) == 1
    # Before each retry the bot looked whether the failed post had arrived after all.
    assert len(app.discord.requests_matching("GET", path)) == 2

    limited = app.discord.faults.add("POST", path, status=429, retry_after=0.05, times=1)
    app.clock.set(_utc(2025, 1, 16, 16))
    await run(app)
    assert limited.hits == 1
    assert len(posts(app)) == 2


async def test_preview_shows_exactly_what_is_posted_and_test_posts_it_now(app: App) -> None:
    role = ping_role(app)
    await ok(await app.slash(app.organizer, "reminders set", ping_role=role))
    await add_session(app, "2025-01-09")
    preview = await app.slash(app.organizer, "reminders preview", kind="lead")
    assert preview.ephemeral
    assert "Preview of the post due <t:1736438400:F>" in preview.content

    test = await ok(await app.slash(app.organizer, "reminders test", kind="lead"))
    assert "Posted a test" in test.text
    test_post = posts(app)[0]
    assert "Test post" in test_post["content"] and f"<@&{role.id}>" not in test_post["content"]
    body = app.discord.requests_matching("POST", rf"/channels/{app.announcements.id}/messages")[0]
    assert body.json["allowed_mentions"] == {"parse": []}

    app.clock.set(THURSDAY_18 - timedelta(hours=1))
    await run(app)
    real = posts(app)[1]
    assert real["embeds"] == preview.embeds
    assert real["content"] in preview.content
    assert footer(real) != footer(test_post)

    weekly = await app.slash(app.organizer, "reminders preview", kind="weekly")
    assert "Nothing is scheduled in the coming week" in weekly.embeds[0]["description"]


async def test_settings_are_for_organizers_and_refuse_unsafe_roles(app: App) -> None:
    denied = await app.slash(app.member, "reminders set", lead_times="15m")
    assert "Only organizers can do this" in denied.content
    everyone = await app.slash(app.organizer, "reminders set", ping_role=app.guild.everyone_role)
    assert "never ping everyone" in everyone.content
    mods = app.guild.add_role("Mods", permissions=discord.Permissions(kick_members=True))
    refused = await app.slash(app.organizer, "reminders set", ping_role=mods)
    assert "moderator permissions" in refused.content
    bad = await ok(await app.slash(app.organizer, "reminders set", lead_times="soon"))
    assert "could not read the lead time" in bad.text
    config = await app.services.guilds.fresh(app.guild.id)
    assert config.ping_role_id is None and config.lead_times_minutes == [60]

    saved = await ok(await app.slash(app.organizer, "reminders set", lead_times="24h, 15m"))
    fields = {f["name"]: f["value"] for f in saved.embeds[0]["fields"]}
    assert fields["Before each session"] == "24h, 15m"
    off = await app.slash(app.organizer, "reminders off")
    fields = {f["name"]: f["value"] for f in off.embeds[0]["fields"]}
    assert fields["Before each session"] == "off" and fields["Weekly announcement"] == "off"
    nothing = await app.slash(app.member, "reminders ping", state="on")
    await nothing.final()
    assert "no reminder role yet" in nothing.text


async def test_a_reminder_opens_the_session_thread_when_threads_are_on(app: App) -> None:
    on = await app.slash(app.organizer, "comment threads", enabled=True)
    assert "Per-session threads are on" in on.content
    await add_session(app, "2025-01-09")
    app.clock.set(THURSDAY_18 - timedelta(hours=1))
    await run(app)
    message = posts(app)[0]
    view = await app.services.schedule.get(app.guild.id, 1)
    assert view.session.thread_id == int(message["id"])  # the thread hangs off the reminder
    assert app.guild.channels[int(message["id"])].parent_id == app.announcements.id
