"""Numbers per server: each server's first session, proposal and comment is #1, and a
number typed in one server reaches that server's row, never another server's."""

from __future__ import annotations

from typing import Any

import discord
from icalendar import Calendar

from tests.e2e.conftest import App

LLAVA = "2304.08485"
CLIP = "2103.00020"


def _other(app: App) -> tuple[Any, Any]:
    """A second server and a member who may organise it."""
    other = app.discord.add_guild("Other group")
    return other, other.add_member("eve", permissions=discord.Permissions(manage_guild=True))


async def _add(app: App, member: Any, day: str, title: str) -> str:
    reply = await app.slash(
        member, "session add", date=day, time="18:00", kind="special", title=title
    )
    await reply.final()
    return str(reply.text)


async def test_each_server_counts_sessions_from_one(app: App) -> None:
    other, eve = _other(app)
    # Interleaved, so that the global ids (1, 2, 3, 4) differ from each server's numbers.
    assert "Scheduled session #1." in await _add(app, app.organizer, "2025-02-06", "A one")
    assert "Scheduled session #1." in await _add(app, eve, "2025-02-07", "B one")
    assert "Scheduled session #2." in await _add(app, app.organizer, "2025-02-13", "A two")
    assert "Scheduled session #2." in await _add(app, eve, "2025-02-14", "B two")

    shown = await app.slash(eve, "session show", session=1)
    assert shown.embeds[0]["title"] == "#1 · B one"
    shown = await app.slash(app.member, "session show", session=1)
    assert shown.embeds[0]["title"] == "#1 · A one"
    # A's "A two" is the third row overall: in B, #3 is nothing.
    missing = await app.slash(eve, "session show", session=3)
    assert missing.ephemeral and "There is no session #3 in this server." in missing.text

    edited = await app.slash(eve, "session edit", session=1, title="B one, renamed")
    await edited.final()
    assert "Updated session #1." in edited.text
    assert (await app.services.schedule.by_number(app.guild.id, 1)).session.title == "A one"
    assert (await app.services.schedule.by_number(other.id, 1)).session.title == ("B one, renamed")

    later = await app.slash(
        eve, "session add", date="2025-02-21", time="18:00", kind="continue", continues=1
    )
    await later.final()
    assert "Scheduled session #3." in later.text
    fields = {f["name"]: f["value"] for f in later.embeds[0]["fields"]}
    assert fields["Continues"].startswith("#1 of 07.02.2025")

    # Calendar subscribers keep their events: UIDs still carry the internal key.
    exported = await app.slash(eve, "session export-calendar")
    await exported.final()
    events = Calendar.from_ical(exported.files[0].data).walk("VEVENT")
    b_one = await app.services.schedule.by_number(other.id, 1)
    assert b_one.id == 2
    assert str(events[0]["uid"]) == f"session-2-guild-{other.id}@reading-group-bot"

    listing = await app.slash(eve, "session list")
    description = listing.embeds[0]["description"]
    assert "`#1`" in description and "`#3`" in description and "`#4`" not in description
    choices = await app.discord.autocomplete(eve, "session show", focused="session", value="")
    assert sorted(c["value"] for c in choices) == [1, 2, 3]
    assert {c["name"].split(" · ")[0] for c in choices} == {"#1", "#2", "#3"}


async def test_each_server_counts_proposals_and_comments_from_one(app: App) -> None:
    app.arxiv.add_entry(LLAVA, title="Visual Instruction Tuning", authors=["Haotian Liu"])
    app.arxiv.add_entry(CLIP, title="Learning Transferable Visual Models", authors=["A Radford"])
    other, eve = _other(app)
    general = other.channel_named("general")

    mine = await app.slash(app.member, "paper propose", ref=LLAVA)
    await mine.final()
    assert "as #1:" in mine.text
    theirs = await app.slash(eve, "paper propose", ref=CLIP, channel=general)
    await theirs.final()
    assert "as #1:" in theirs.text
    withdrawn = await app.slash(eve, "paper withdraw", proposal=1, channel=general)
    assert "Withdrew proposal #1 (Learning Transferable Visual Models)" in withdrawn.text
    queue = await app.services.proposals.queue(app.guild.id)
    assert [(v.number, v.paper.title) for v in queue.items] == [(1, "Visual Instruction Tuning")]

    await _add(app, app.organizer, "2025-02-06", "A one")
    await _add(app, eve, "2025-02-07", "B one")
    logged = await app.slash(app.member, "comment add", text="Why a linear projection?", session=1)
    assert "Logged comment #1 on session #1" in logged.text
    logged = await app.slash(eve, "comment add", text="Nice figures", session=1, channel=general)
    assert "Logged comment #1 on session #1" in logged.text
    removed = await app.slash(eve, "comment remove", comment=1, channel=general)
    assert "Removed comment #1:\n> Nice figures" in removed.text
    remaining = await app.services.discussion.search(app.guild.id)
    assert [(c.number, c.text) for c in remaining] == [(1, "Why a linear projection?")]
    gone = await app.slash(eve, "comment pin", comment=1, channel=general)
    assert "There is no comment #1 in this server." in gone.text
