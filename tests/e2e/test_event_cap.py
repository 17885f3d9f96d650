"""Discord's cap of scheduled events per server: the nearest sessions keep their events.

The fake Discord refuses a scheduled event beyond the cap as Discord does (400, code 30038);
the cap is lowered to three here so the test stays short (Discord's is 100).
"""

from __future__ import annotations

from typing import Any

from storage.models import SessionStatus
from tests.e2e.conftest import App


async def add(app: App, date: str) -> Any:
    reply = await app.slash(app.organizer, "session add", date=date, kind="tba")
    await reply.final()
    assert "Scheduled session" in reply.text, reply.text  # never refused for the cap
    return reply


async def mirrored(app: App) -> dict[int, int]:
    """Session id → event id of every session that has a live Discord event."""
    live = {int(e["id"]) for e in app.discord.scheduled_events(app.guild) if e["status"] in (1, 2)}
    page = await app.services.schedule.page(app.guild.id, scope="all", per_page=50)
    return {
        v.id: v.session.discord_event_id for v in page.items if v.session.discord_event_id in live
    }


async def test_the_nearest_sessions_keep_their_events_within_the_cap(app: App) -> None:
    app.discord.max_scheduled_events = 3
    for date in ("2025-01-09", "2025-01-16", "2025-01-23"):
        reply = await add(app, date)
        assert "⚠️" not in reply.text
    assert set(await mirrored(app)) == {1, 2, 3}

    # Beyond the cap and farther than every mirrored session: saved, without an event.
    later = await add(app, "2025-02-06")
    assert "Scheduled session #4" in later.text
    assert "⚠️ Session #4 is saved without a Discord event" in later.text
    assert "limit of 100 scheduled events" in later.text
    assert set(await mirrored(app)) == {1, 2, 3}
    assert len(app.discord.scheduled_events(app.guild)) == 3
    await add(app, "2025-01-30")  # #5, also farther than the mirrored ones
    assert set(await mirrored(app)) == {1, 2, 3}

    # A nearer session takes the event of the farthest mirrored one.
    nearer = await add(app, "2025-01-07")
    assert "Scheduled session #6" in nearer.text
    assert "session #3 (<t:" in nearer.text and "gave its Discord event" in nearer.text
    assert set(await mirrored(app)) == {1, 2, 6}
    third = await app.services.schedule.get(app.guild.id, 3)
    assert third.session.discord_event_id is None
    assert len(app.discord.scheduled_events(app.guild)) == 3  # its event was deleted

    # A cancelled session frees a place: the nearest session without an event gets it.
    ask = await app.slash(app.organizer, "session cancel", session=1)
    await app.discord.click(app.organizer, ask, label="Cancel the session")
    await app.until(lambda: "Cancelled session #1" in (ask.content or ""), "the confirmation")
    cancelled = await app.services.schedule.get(app.guild.id, 1)
    assert cancelled.session.status == SessionStatus.CANCELLED
    assert set(await mirrored(app)) == {2, 3, 6}
    assert app.discord.violations == []


async def test_an_import_beyond_the_cap_mirrors_the_nearest_sessions(app: App) -> None:
    app.discord.max_scheduled_events = 2
    rows = "\n".join(
        f"| {day}.02.2025 | Talk {n} | | | | |" for n, day in enumerate(("27", "06", "20", "13"))
    )
    text = (
        "# Group\n\n---\n| Date | Paper | Authors | Code | Demo | Comments |\n"
        f"| :--- | :---- | :------ | :--- | :--- | :------- |\n{rows}\n---\n"
    )
    report = await app.services.markdown.import_text(app.guild.id, text)
    assert len(report.created) == 4, report
    views = (await app.services.schedule.page(app.guild.id, scope="all", per_page=10)).items
    starts = {v.id: v.starts_at.date().isoformat() for v in views}
    kept = {starts[s] for s in await mirrored(app)}
    assert kept == {"2025-02-06", "2025-02-13"}  # the two nearest, whatever the file's order
    assert len(app.discord.scheduled_events(app.guild)) == 2
