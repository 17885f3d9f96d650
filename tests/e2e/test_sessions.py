"""/session and /setup end to end: the real bot, the fake Discord, the fake arXiv."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import discord
import pytest
from icalendar import Calendar

from bot.schedule.service import headline
from storage.models import SessionKind, SessionStatus
from tests.e2e.conftest import App
from tests.harness.discord import CommandUnavailable


def _arxiv(app: App) -> None:
    app.arxiv.add_entry(
        "2304.08485",
        title="Visual Instruction Tuning",
        authors=["Haotian Liu", "Chunyuan Li", "Qingyang Wu", "Yong Jae Lee"],
        abstract="We present LLaVA. Code: https://github.com/haotian-liu/LLaVA",
    )
    app.arxiv.add_entry(
        "2103.00020", title="Learning Transferable Visual Models From Natural Language Supervision"
    )
    app.arxiv.add_entry("2009.01325", title="Learning to summarize from human feedback")
    app.arxiv.add_entry(
        "2203.02155", title="Training language models to follow instructions with human feedback"
    )


async def test_add_a_paper_session_mirrors_an_event(app: App) -> None:
    _arxiv(app)
    reply = await app.slash(
        app.organizer,
        "session add",
        date="2025-02-06",
        paper="https://arxiv.org/abs/2304.08485",
        presenter=app.member,
    )
    await reply.final()
    assert reply.ephemeral
    assert reply.deferred
    assert "Scheduled session #1" in reply.text
    embed = reply.embeds[0]
    assert embed["title"] == "#1 · Visual Instruction Tuning"
    assert "<t:1738861200:F>" in embed["description"]  # 2025-02-06 17:00 UTC = 18:00 Berlin
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Presenter"] == f"<@{app.member.id}>"
    assert "[Visual Instruction Tuning](https://arxiv.org/abs/2304.08485)" in fields["Papers"]
    assert "H. Liu, C. Li, Q. Wu, Y. J. Lee" in fields["Papers"]

    events = app.discord.scheduled_events(app.guild)
    assert len(events) == 1
    assert events[0]["name"] == "Visual Instruction Tuning"
    assert events[0]["scheduled_start_time"].startswith("2025-02-06T17:00:00")
    view = await app.services.schedule.get(app.guild.id, 1)
    assert view.session.discord_event_id == int(events[0]["id"])

    shown = await app.slash(app.member, "session show", session=1)
    assert not shown.ephemeral
    assert shown.embeds[0]["title"] == "#1 · Visual Instruction Tuning"
    nxt = await app.slash(app.member, "session next")
    assert nxt.embeds[0]["title"] == "#1 · Visual Instruction Tuning"


async def test_members_cannot_change_the_schedule(app: App) -> None:
    for command, options in [
        ("session add", {"date": "2025-02-06", "kind": "tba"}),
        ("session move", {"session": 1, "date": "2025-02-13"}),
        ("session cancel", {"session": 1}),
        ("session edit", {"session": 1, "title": "x"}),
        ("setup", {"timezone": "UTC"}),
    ]:
        reply = await app.slash(app.member, command, **options)
        assert reply.ephemeral
        assert "Only organizers can do this" in reply.content, command
    async with app.services.db.unit() as uow:
        assert await uow.sessions.count(app.guild.id, include_cancelled=True) == 0
    # Manage Server is enough even without the organizer role.
    reply = await app.slash(app.admin, "session add", date="2025-02-06", kind="tba")
    await reply.final()
    assert "Scheduled session #1" in reply.text


async def test_bad_input_gets_a_clear_ephemeral_message_and_saves_nothing(app: App) -> None:
    cases = [
        ({"date": "03/04/2025", "kind": "tba"}, "ambiguous"),
        ({"date": "2024-05-01", "kind": "tba"}, "in the past"),
        ({"date": "2025-02-06", "kind": "continue"}, "nothing to continue"),
        ({"date": "2025-02-06", "kind": "special", "title": "@everyone come"}, "mention"),
        ({"date": "2025-02-06", "kind": "paper", "paper": "2501.99999"}, "no paper 2501.99999"),
        ({"date": "2025-02-06", "kind": "paper", "paper": "2313.00001"}, "month"),
        ({"date": "2025-02-06", "kind": "paper", "paper": "abc/1234567"}, "arXiv"),
        ({"date": "2025-02-06", "kind": "tba", "time": "25:99"}, "time"),
    ]
    for options, fragment in cases:
        reply = await app.slash(app.organizer, "session add", **options)
        await reply.final()
        assert reply.ephemeral, options
        assert fragment in reply.text, (options, reply.text)
    with pytest.raises(CommandUnavailable, match="maximum 200"):  # Discord's client stops it
        await app.slash(
            app.organizer, "session add", date="2025-02-06", kind="special", title="x" * 5000
        )
    await (await app.slash(app.organizer, "session add", date="2025-02-06", kind="tba")).final()
    clash = await app.slash(
        app.organizer, "session add", date="2025-02-06", time="18:30", kind="tba"
    )
    await clash.final()
    assert "already takes that time" in clash.text
    async with app.services.db.unit() as uow:
        assert await uow.sessions.count(app.guild.id, include_cancelled=True) == 1
        assert await uow.papers.count(app.guild.id) == 0


async def test_titles_with_pipes_and_markdown_are_shown_escaped(app: App) -> None:
    reply = await app.slash(
        app.organizer, "session add", date="2025-02-06", kind="special", title="A | B **bold** _x_"
    )
    await reply.final()
    title = reply.embeds[0]["title"]
    assert title == "#1 · A \\| B \\*\\*bold\\*\\* \\_x\\_"


async def test_edit_move_cancel_follow_the_event(app: App) -> None:
    _arxiv(app)
    await (await app.slash(app.organizer, "session add", date="2025-02-06", kind="tba")).final()
    edited = await app.slash(
        app.organizer, "session edit", session=1, kind="paper", paper="2304.08485"
    )
    await edited.final()
    assert "Updated session #1" in edited.text
    assert app.discord.scheduled_events(app.guild)[0]["name"] == "Visual Instruction Tuning"

    moved = await app.slash(app.organizer, "session move", session=1, date="2025-02-13")
    await moved.final()
    assert "Moved session #1" in moved.text
    event = app.discord.scheduled_events(app.guild)[0]
    assert event["scheduled_start_time"].startswith("2025-02-13T17:00:00")

    ask = await app.slash(app.organizer, "session cancel", session=1)
    assert ask.ephemeral
    assert "Cancel session #1?" in ask.content
    done = await app.discord.click(app.organizer, ask, label="Cancel the session")
    assert done is not None
    await app.until(lambda: "Cancelled session #1" in (ask.content or ""), "the confirmation")
    view = await app.services.schedule.get(app.guild.id, 1)
    assert view.session.status == SessionStatus.CANCELLED
    assert app.discord.scheduled_events(app.guild)[0]["status"] in (4, 3)  # canceled


async def test_cancel_can_be_declined(app: App) -> None:
    await (await app.slash(app.organizer, "session add", date="2025-02-06", kind="tba")).final()
    ask = await app.slash(app.organizer, "session cancel", session=1)
    await app.discord.click(app.organizer, ask, label="Keep it")
    await app.until(lambda: ask.content == "Nothing changed.", "the decline")
    view = await app.services.schedule.get(app.guild.id, 1)
    assert view.session.status == SessionStatus.SCHEDULED


async def test_missing_manage_events_saves_and_tells_once(app: App) -> None:
    events_permissions = discord.Permissions(manage_events=True, create_events=True)
    app.discord.set_bot_permissions(app.guild, deny=events_permissions)
    first = await app.slash(app.organizer, "session add", date="2025-02-06", kind="tba")
    await first.final()
    assert "Scheduled session #1" in first.text
    assert "Manage Events" in first.text
    second = await app.slash(app.organizer, "session add", date="2025-02-13", kind="tba")
    await second.final()
    assert "Scheduled session #2" in second.text
    assert "Manage Events" not in second.text  # told once
    assert app.discord.scheduled_events(app.guild) == []
    app.discord.set_bot_permissions(app.guild, allow=events_permissions)
    third = await app.slash(app.organizer, "session edit", session=2, title="Now visible")
    await third.final()
    assert [e["name"] for e in app.discord.scheduled_events(app.guild)] == ["Now visible"]


async def test_continue_and_block_parts_by_command(app: App) -> None:
    _arxiv(app)
    await (
        await app.slash(app.organizer, "session add", date="2025-02-06", paper="2103.00020")
    ).final()
    cont = await app.slash(app.organizer, "session continue")
    await cont.final()
    assert "Continue: Learning Transferable Visual Models" in cont.embeds[0]["title"]
    view = await app.services.schedule.get(app.guild.id, 2)
    assert view.starts_at == datetime(2025, 2, 13, 17, tzinfo=UTC)  # next Thursday 18:00
    for day in ("2025-02-20", "2025-02-27"):
        reply = await app.slash(
            app.organizer,
            "session add",
            date=day,
            kind="block_part",
            block="RLHF Block",
            title="Motivation and the RLHF fine-tuning",
        )
        await reply.final()
    part2 = await app.services.schedule.get(app.guild.id, 4)
    assert headline(part2) == "RLHF Block. Part 2. Motivation and the RLHF fine-tuning"
    clash = await app.slash(
        app.organizer,
        "session add",
        date="2025-03-06",
        kind="block_part",
        block="rlhf block",
        part=1,
    )
    await clash.final()
    assert "already has a part 1" in clash.text
    choices = await app.discord.autocomplete(
        app.organizer, "session add", focused="block", value="rl", date="x"
    )
    assert [c["value"] for c in choices] == ["RLHF Block"]
    listing = await app.slash(app.member, "session list", block="RLHF Block")
    assert "RLHF Block: all parts" in listing.embeds[0]["title"]
    assert listing.embeds[0]["description"].count("RLHF Block. Part") == 2


async def test_session_autocomplete_is_scoped_to_the_server(app: App) -> None:
    await (
        await app.slash(
            app.organizer,
            "session add",
            date="2025-02-06",
            kind="special",
            title="Code Reading Group",
        )
    ).final()
    other = app.discord.add_guild("Other group")
    stranger = other.add_member("eve", permissions=discord.Permissions(manage_guild=True))
    choices = await app.discord.autocomplete(
        app.member, "session show", focused="session", value="code"
    )
    assert [c["value"] for c in choices] == [1]
    assert choices[0]["name"] == "#1 · 06.02.2025 · Code Reading Group"
    assert (
        await app.discord.autocomplete(stranger, "session show", focused="session", value="code")
        == []
    )
    reply = await app.slash(stranger, "session show", session=1)
    assert "no session #1" in reply.content


async def test_list_of_200_sessions_pages_within_limits(app: App) -> None:
    start = datetime(2025, 1, 9, 17, tzinfo=UTC)
    from bot.schedule.drafts import SessionDraft

    for week in range(200):
        day = (start + timedelta(weeks=week)).date().isoformat()
        await app.services.schedule.add(
            app.guild.id,
            SessionDraft(
                date_text=day, kind="special", title=f"Session number {week} " + "x" * 150
            ),
            actor_id=None,
        )
    reply = await app.slash(app.member, "session list")
    embed = reply.embeds[0]
    assert embed["footer"]["text"].startswith("Page 1 of 20 · 200 sessions")
    assert len(embed["description"]) <= 4096
    page = reply
    for expected in range(2, 21):
        page = await app.discord.click(app.member, reply, label="Next ▶")
        assert reply.embeds[0]["footer"]["text"].startswith(f"Page {expected} of 20")
    nxt = reply.component(label="Next ▶")
    assert nxt["disabled"] is True
    stranger_click = await app.discord.click(app.organizer, reply, label="◀ Previous")
    assert "someone else's command" in stranger_click.content
    assert page is not None


async def test_dst_week_keeps_the_wall_clock(app: App) -> None:
    # Europe/Berlin switches to summer time on 30 March 2025.
    for day in ("2025-03-27", "2025-04-03"):
        await (await app.slash(app.organizer, "session add", date=day, kind="tba")).final()
    before = await app.services.schedule.get(app.guild.id, 1)
    after = await app.services.schedule.get(app.guild.id, 2)
    assert before.starts_at == datetime(2025, 3, 27, 17, tzinfo=UTC)  # 18:00 CET
    assert after.starts_at == datetime(2025, 4, 3, 16, tzinfo=UTC)  # 18:00 CEST
    await app.services.guilds.update(app.guild.id, timezone="America/New_York")
    # New York switches on 9 March; a 02:30 session that night does not exist.
    gap = await app.slash(app.organizer, "session add", date="2025-03-09", time="02:30", kind="tba")
    await gap.final()
    assert "does not exist" in gap.text


async def test_setup_shows_and_changes_settings(app: App) -> None:
    choices = await app.discord.autocomplete(
        app.organizer, "setup", focused="timezone", value="new_y"
    )
    assert choices[0]["value"] == "America/New_York"
    reply = await app.slash(
        app.organizer,
        "setup",
        timezone="America/New_York",
        meeting_day=1,
        meeting_time="6:30pm",
        date_format="YYYY-MM-DD",
        group_name="multimodal-reading-group",
    )
    assert reply.ephemeral
    assert reply.content.startswith("Saved.")
    config = await app.services.guilds.get(app.guild.id)
    assert (config.timezone, config.meeting_weekday, config.meeting_time) == (
        "America/New_York",
        1,
        time(18, 30),
    )
    assert config.date_format == "YYYY-MM-DD"
    bad = await app.slash(app.organizer, "setup", timezone="Mars/Olympus")
    assert "Unknown time zone" in bad.content
    assert (await app.services.guilds.get(app.guild.id)).timezone == "America/New_York"


async def test_export_calendar_attachment(app: App) -> None:
    await (
        await app.slash(
            app.organizer,
            "session add",
            date="2025-02-06",
            kind="special",
            title="Code Reading Group",
        )
    ).final()
    reply = await app.slash(app.member, "session export-calendar")
    await reply.final()
    files = reply.files or [f for m in reply.followups for f in m.get("attachments", [])]
    assert reply.files, reply.followups
    calendar = Calendar.from_ical(reply.files[0].data)
    events = list(calendar.walk("VEVENT"))
    assert [str(e["summary"]) for e in events] == ["Code Reading Group"]
    assert files


README_HISTORY = [
    # date, options — the group's real history, entered through commands (back-filled)
    ("01.02.2024", {"paper": "2304.08485"}),
    ("22.02.2024", {"paper": "2103.00020"}),
    ("29.02.2024", {"kind": "continue"}),
    ("07.03.2024", {"kind": "continue", "title": "Still (sic!) continue"}),
    ("02.07.2024", {"kind": "special", "title": "Code Reading Group"}),
    (
        "09.07.2024",
        {
            "kind": "topic",
            "title": "Knowledge Distillation",
            "paper": "https://storage.googleapis.com/deepmind-media/gemma/gemma-2-report.pdf 2402.14905",
        },
    ),
    ("15.10.2024", {"kind": "tba"}),
    (
        "07.02.2025",
        {
            "kind": "block_part",
            "block": "RLHF Block",
            "title": "Motivation and the RLHF fine-tuning",
            "paper": "2009.01325 2203.02155",
        },
    ),
    (
        "14.02.2025",
        {
            "kind": "block_part",
            "block": "RLHF Block",
            "title": "Motivation and the RLHF fine-tuning",
        },
    ),
]


async def test_the_readme_history_entered_by_command_reproduces_its_rows(app: App) -> None:
    _arxiv(app)
    app.arxiv.add_entry("2402.14905", title="MobileLLM")
    app.clock.set(datetime(2025, 3, 1, 12, tzinfo=UTC))
    for date_text, options in README_HISTORY:
        reply = await app.slash(
            app.organizer, "session add", date=date_text, backfill=True, **options
        )
        if reply.modal is not None:  # the PDF: a form asks for its title and authors
            details = {"paper:title": "Gemma 2 (pdf)", "paper:authors": "Gemma Team"}
            reply = await app.discord.submit_modal(app.organizer, reply, details)
        await reply.final()
        assert "Scheduled session" in reply.text, (date_text, reply.text)
    views = await app.services.schedule.everything(app.guild.id)
    rows = [(v.starts_at.date().isoformat(), headline(v), v.session.kind) for v in views]
    assert rows == [
        ("2024-02-01", "Visual Instruction Tuning", SessionKind.PAPER),
        (
            "2024-02-22",
            "Learning Transferable Visual Models From Natural Language Supervision",
            SessionKind.PAPER,
        ),
        (
            "2024-02-29",
            "Continue: Learning Transferable Visual Models From Natural Language Supervision",
            SessionKind.CONTINUE,
        ),
        ("2024-03-07", "Still (sic!) continue", SessionKind.CONTINUE),
        ("2024-07-02", "Code Reading Group", SessionKind.SPECIAL),
        ("2024-07-09", "Knowledge Distillation", SessionKind.TOPIC),
        ("2024-10-15", "TBA", SessionKind.TBA),
        (
            "2025-02-07",
            "RLHF Block. Part 1. Motivation and the RLHF fine-tuning",
            SessionKind.BLOCK_PART,
        ),
        (
            "2025-02-14",
            "RLHF Block. Part 2. Motivation and the RLHF fine-tuning",
            SessionKind.BLOCK_PART,
        ),
    ]
    still = views[3]
    assert still.continues is not None
    assert still.continues.starts_at.date().isoformat() == "2024-02-22"
    kd = views[5]
    assert [lp.paper.title for lp in kd.papers] == ["Gemma 2 (pdf)", "MobileLLM"]
    assert [lp.paper.url for lp in kd.papers] == [
        "https://storage.googleapis.com/deepmind-media/gemma/gemma-2-report.pdf",
        "https://arxiv.org/abs/2402.14905",
    ]
    # Past sessions are not mirrored as Discord events (Discord refuses the past).
    assert app.discord.scheduled_events(app.guild) == []
    past = await app.slash(app.member, "session list", scope="past")
    assert past.embeds[0]["footer"]["text"].startswith("Page 1 of 1 · 9 sessions")


@pytest.mark.parametrize("private", [True, False])
async def test_reads_can_be_private(app: App, private: bool) -> None:
    await (await app.slash(app.organizer, "session add", date="2025-02-06", kind="tba")).final()
    reply = await app.slash(app.member, "session list", private=private)
    assert reply.ephemeral is private


async def test_list_buttons_work_after_a_restart_and_keep_the_block_filter(app: App) -> None:
    from bot.schedule.drafts import SessionDraft

    start = datetime(2025, 1, 9, 17, tzinfo=UTC)
    for week in range(24):
        day = (start + timedelta(weeks=week)).date().isoformat()
        draft = (
            SessionDraft(date_text=day, kind="block_part", block_name="RLHF Block")
            if week % 2 == 0
            else SessionDraft(date_text=day, kind="special", title=f"Other session {week}")
        )
        await app.services.schedule.add(app.guild.id, draft, actor_id=None)

    reply = await app.slash(app.member, "session list", block="rlhf block.", private=True)
    assert reply.embeds[0]["footer"]["text"].startswith("Page 1 of 2")
    custom_ids = [c["custom_id"] for c in reply.components[0]["components"]]
    assert all(len(custom_id) <= 100 for custom_id in custom_ids)

    # A new process: nothing of the list is left in memory, the button still pages.
    await app.restart()
    await app.discord.click(app.member, reply, label="Next ▶")
    embed = reply.embeds[0]
    assert embed["footer"]["text"].startswith("Page 2 of 2")
    assert "Other session" not in embed["description"]
    assert embed["description"].count("RLHF Block") == 2
    assert reply.component(label="Next ▶")["disabled"] is True

    stranger = await app.discord.click(app.organizer, reply, label="◀ Previous")
    assert "someone else's command" in stranger.content
    assert reply.embeds[0]["footer"]["text"].startswith("Page 2 of 2")

    # The block is gone: the button says so and changes nothing.
    for view in await app.services.schedule.everything(app.guild.id):
        if view.session.block_name:
            await app.services.schedule.cancel(app.guild.id, view.id, actor_id=None)
    gone = await app.discord.click(app.member, reply, label="◀ Previous")
    assert gone.ephemeral
    assert "That block has no sessions any more" in gone.content
    assert reply.embeds[0]["footer"]["text"].startswith("Page 2 of 2")


async def test_a_list_that_shrank_to_one_page_loses_its_buttons(app: App) -> None:
    from bot.schedule.drafts import SessionDraft

    start = datetime(2025, 1, 9, 17, tzinfo=UTC)
    for week in range(11):
        day = (start + timedelta(weeks=week)).date().isoformat()
        draft = SessionDraft(date_text=day, kind="special", title=f"Session {week}")
        await app.services.schedule.add(app.guild.id, draft, actor_id=None)
    reply = await app.slash(app.member, "session list", scope="all")
    assert reply.embeds[0]["footer"]["text"].startswith("Page 1 of 2")

    await app.services.schedule.cancel(app.guild.id, 11, actor_id=None)
    await app.discord.click(app.member, reply, label="Next ▶")
    assert reply.embeds[0]["footer"]["text"].startswith("Page 1 of 1")
    assert reply.components == []
