"""/readinglist end to end: nested topics, read marks, papers read by being discussed."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from bot.container import Services
from tests.e2e.conftest import App
from tests.test_cli import run_bot

LLAVA = "2304.08485"
CLIP = "2103.00020"
SURVEY = "2209.03430"


def _arxiv(app: App) -> None:
    app.arxiv.add_entry(
        LLAVA, title="Visual Instruction Tuning", authors=["Haotian Liu", "Chunyuan Li"]
    )
    app.arxiv.add_entry(
        CLIP,
        title="Learning Transferable Visual Models From Natural Language Supervision",
        authors=["Alec Radford", "Jong Wook Kim"],
    )
    app.arxiv.add_entry(
        SURVEY,
        title="Foundations & Trends in Multimodal Machine Learning",
        authors=["Paul Pu Liang", "Amir Zadeh"],
    )


async def _add(app: App, member: object, ref: str, topic: str) -> object:
    reply = await app.slash(member, "readinglist add", ref=ref, topic=topic)
    await reply.final()
    return reply


async def test_add_show_and_mark(app: App) -> None:
    _arxiv(app)
    added = await _add(app, app.member, f"{LLAVA} {CLIP}", "Representation Learning / Fusion")
    assert added.ephemeral  # type: ignore[attr-defined]
    assert "Added to **Representation Learning / Fusion**" in added.content  # type: ignore[attr-defined]
    assert app.arxiv.request_count == 1
    await _add(app, app.member, f"https://arxiv.org/abs/{SURVEY}", "Surveys")

    shown = await app.slash(app.member, "readinglist show")
    embed = shown.embeds[0]
    assert not shown.ephemeral
    assert embed["description"].splitlines() == [
        "**Representation Learning** · 0/2",
        "\u2003**Fusion** · 0/2",
        "\u2003\u2003⬜ Liu et al. [Visual Instruction Tuning](https://arxiv.org/abs/2304.08485)",
        "\u2003\u2003⬜ Radford et al. [Learning Transferable Visual Models From Natural "
        "Language Supervision](https://arxiv.org/abs/2103.00020)",
        "**Surveys** · 0/1",
        "\u2003⬜ Liang et al. [Foundations & Trends in Multimodal Machine Learning]"
        "(https://arxiv.org/abs/2209.03430)",
    ]
    assert embed["footer"]["text"] == "Page 1 of 1 · 0 of 3 read · ✅ read, ⬜ unread"

    refused = await app.slash(app.member, "readinglist mark-read", ref=LLAVA)
    assert "Only organizers can do this" in refused.content
    marked = await app.slash(app.organizer, "readinglist mark-read", ref=LLAVA)
    assert marked.ephemeral
    assert "Visual Instruction Tuning is now read ✅ (in Representation Learning / Fusion)" in (
        marked.content
    )
    fusion = await app.slash(app.member, "readinglist show", topic="representation learning/fusion")
    lines = fusion.embeds[0]["description"].splitlines()
    assert lines[0] == "**Fusion** · 1/2"
    assert lines[1].startswith("\u2003✅ Liu et al.")
    assert fusion.embeds[0]["title"] == "Reading list: Representation Learning / Fusion"

    unread = await app.slash(
        app.organizer, "readinglist mark-read", ref=LLAVA, options={"unread": True}
    )
    assert "is now unread ⬜" in unread.content
    again = await app.slash(app.member, "readinglist show", topic="Surveys")
    assert again.embeds[0]["description"].startswith("**Surveys** · 0/1")


async def test_autocomplete_of_topics_and_listed_papers(app: App) -> None:
    _arxiv(app)
    await _add(app, app.member, LLAVA, "Representation Learning / Fusion")
    choices = await app.discord.autocomplete(
        app.member, "readinglist add", focused="topic", value="fus", ref=CLIP
    )
    assert [c["value"] for c in choices] == ["fus", "Representation Learning / Fusion"]
    assert choices[0]["name"] == "fus (new topic)"
    exact = await app.discord.autocomplete(
        app.member, "readinglist show", focused="topic", value="Representation Learning"
    )
    assert [c["value"] for c in exact] == [
        "Representation Learning",
        "Representation Learning / Fusion",
    ]
    papers = await app.discord.autocomplete(
        app.organizer, "readinglist mark-read", focused="ref", value="visual"
    )
    assert [c["value"] for c in papers] == ["paper:1"]
    marked = await app.slash(app.organizer, "readinglist mark-read", ref="paper:1")
    assert "is now read ✅" in marked.content


async def test_bad_input_is_refused_and_nothing_saved(app: App) -> None:
    _arxiv(app)
    cases = [
        (" ".join(f"2401.{n:05d}" for n in range(1, 301)), "Fusion", "300 references at once"),
        (f"{LLAVA} 2401.99999", "Fusion", "arXiv has no paper 2401.99999"),
        ("2313.00001", "Fusion", "month 13 does not exist"),
        ("https://github.com/openai/CLIP", "Fusion", "does not look like a paper"),
        (LLAVA, "Fusion / @everyone", "mention"),
        (LLAVA, "a / b / c / d / e", "at most 4 levels"),
    ]
    for ref, topic, fragment in cases:
        reply = await _add(app, app.member, ref, topic)
        assert reply.ephemeral, ref  # type: ignore[attr-defined]
        assert fragment in reply.text, (ref, reply.text)  # type: ignore[attr-defined]
    async with app.services.db.unit() as uow:
        assert await uow.readinglist.topics(app.guild.id) == []
        assert await uow.papers.count(app.guild.id) == 0
    unknown = await app.slash(app.organizer, "readinglist mark-read", ref=LLAVA)
    assert "not on the reading list" in unknown.content
    missing = await app.slash(app.member, "readinglist show", topic="Nope")
    assert "no topic 'Nope'" in missing.content
    empty = await app.slash(app.member, "readinglist show")
    assert "The reading list is empty" in empty.embeds[0]["description"]


async def test_a_discussed_paper_is_marked_read_once_its_session_started(app: App) -> None:
    _arxiv(app)
    await _add(app, app.member, f"{LLAVA} {CLIP}", "Fusion")
    session = await app.slash(app.organizer, "session add", date="2025-01-09", paper=LLAVA)
    await session.final()

    before = await app.slash(app.member, "readinglist show")
    assert "0/2" in before.embeds[0]["description"]

    view = await app.services.schedule.get(app.guild.id, 1)
    app.clock.set(view.starts_at + timedelta(minutes=5))
    after = await app.slash(app.member, "readinglist show")
    lines = after.embeds[0]["description"].splitlines()
    assert lines[0] == "**Fusion** · 1/2"
    assert lines[1].startswith("\u2003✅ Liu et al.")
    assert lines[2].startswith("\u2003⬜ Radford et al.")

    # A session entered after the fact marks at once, and adding it later says so.
    past = await app.slash(
        app.organizer, "session add", date="2024-02-22", paper=CLIP, options={"backfill": True}
    )
    await past.final()
    shown = await app.slash(app.member, "readinglist show")
    assert "**Fusion** · 2/2" in shown.embeds[0]["description"]
    added = await _add(app, app.member, CLIP, "Surveys")
    assert "Already discussed in a session, so marked read" in added.content  # type: ignore[attr-defined]


async def test_every_export_derives_the_read_mark_with_nothing_run_first(
    app: App, tmp_path: Path
) -> None:
    """The command-line export is the first thing to read the list after the session
    started: it shows the paper read, as do /export markdown and /readinglist show."""
    _arxiv(app)
    await _add(app, app.member, f"{LLAVA} {CLIP}", "Fusion")
    session = await app.slash(app.organizer, "session add", date="2025-01-09", paper=LLAVA)
    await session.final()
    llava = "- [{}] [Visual Instruction Tuning](https://arxiv.org/abs/2304.08485)"

    # On the harness clock the session has not started: unread.
    early = Services(settings=app.settings, db=app.services.db, clock=app.clock)
    assert llava.format(" ") in (await early.markdown.export(app.guild.id)).text

    view = await app.services.schedule.by_number(app.guild.id, 1)
    app.clock.set(view.starts_at + timedelta(minutes=5))
    assert llava.format("x") in (await early.markdown.export(app.guild.id)).text

    exported = await asyncio.to_thread(
        run_bot,
        tmp_path,
        "export",
        "--guild",
        str(app.guild.id),
        DATABASE_URL=app.settings.database_url,
        LOG_LEVEL="WARNING",
    )
    assert exported.returncode == 0, exported.stderr
    assert llava.format("x") in exported.stdout
    assert "- [ ] [Learning Transferable" in exported.stdout  # not discussed: unread

    reply = await app.slash(app.member, "export markdown")
    await reply.final()
    assert llava.format("x") in reply.files[0].data.decode()
    shown = await app.slash(app.member, "readinglist show")
    assert "**Fusion** · 1/2" in shown.embeds[0]["description"]
    async with app.services.db.unit() as uow:  # derived, never written
        assert not any(listed.item.read for listed in await uow.readinglist.items(app.guild.id))


async def test_a_long_reading_list_is_paginated_within_limits(app: App) -> None:
    ids = [f"2402.{n:05d}" for n in range(1, 181)]
    for arxiv_id in ids:
        app.arxiv.add_entry(
            arxiv_id, title=f"A rather long paper title about subject {arxiv_id} " + "z" * 80
        )
    for start, topic in ((0, "Representation Learning / Fusion"), (90, "Surveys / Deep")):
        chunk = " ".join(ids[start : start + 90])
        reply = await _add(app, app.member, chunk, topic)
        assert "Added to" in reply.content  # type: ignore[attr-defined]

    shown = await app.slash(app.member, "readinglist show", private=True)
    footer = shown.embeds[0]["footer"]["text"]
    pages = int(footer.split(" of ")[1].split(" ")[0])
    assert pages > 5
    seen = shown.embeds[0]["description"]
    for number in range(2, pages + 1):
        await app.discord.click(app.member, shown, label="Next ▶")
        embed = shown.embeds[0]
        assert embed["footer"]["text"].startswith(f"Page {number} of {pages}")
        assert len(embed["description"]) <= 4096
        assert len(embed["description"]) + len(embed["title"]) + len(footer) <= 6000
        seen += "\n" + embed["description"]
    assert seen.count("⬜") == 180
    assert "**Surveys / Deep** (continued)" in seen


async def test_a_topic_pages_after_a_restart_until_the_topic_is_gone(app: App) -> None:
    ids = [f"2402.{n:05d}" for n in range(1, 61)]
    for arxiv_id in ids:
        app.arxiv.add_entry(arxiv_id, title=f"Paper {arxiv_id} " + "z" * 120)
    await _add(app, app.member, " ".join(ids[:50]), "Surveys / Deep")
    await _add(app, app.member, " ".join(ids[50:]), "Fusion")

    shown = await app.slash(app.member, "readinglist show", topic="Surveys / Deep")
    pages = int(shown.embeds[0]["footer"]["text"].split(" of ")[1].split(" ")[0])
    assert pages >= 2
    await app.restart()
    await app.discord.click(app.member, shown, label="Next ▶")
    embed = shown.embeds[0]
    assert embed["title"] == "Reading list: Surveys / Deep"
    assert embed["footer"]["text"].startswith(f"Page 2 of {pages}")
    assert "Fusion" not in embed["description"]

    # Marks made meanwhile show on the next click: the page is read fresh.
    await app.slash(app.organizer, "readinglist mark-read", ref=ids[0])
    await app.discord.click(app.member, shown, label="◀ Previous")
    assert "✅" in shown.embeds[0]["description"]

    for arxiv_id in ids[:50]:
        await app.slash(app.organizer, "readinglist remove", ref=arxiv_id)
    gone = await app.discord.click(app.member, shown, label="Next ▶")
    assert "That topic is no longer on the reading list" in gone.content


async def test_remove_a_paper_from_one_topic_or_all_and_prune_empty_topics(app: App) -> None:
    _arxiv(app)
    await _add(app, app.member, f"{LLAVA} {CLIP}", "Representation Learning / Fusion")
    await _add(app, app.member, LLAVA, "Surveys")

    refused = await app.slash(app.member, "readinglist remove", ref=LLAVA)
    assert refused.ephemeral and "organizer" in refused.content.lower()
    wrong_topic = await app.slash(app.organizer, "readinglist remove", ref=CLIP, topic="Surveys")
    assert "is not listed under 'Surveys'" in wrong_topic.content
    assert "Representation Learning / Fusion" in wrong_topic.content
    unknown = await app.slash(app.organizer, "readinglist remove", ref=SURVEY)
    assert "not on the reading list" in unknown.content

    one = await app.slash(app.organizer, "readinglist remove", ref=LLAVA, topic="surveys")
    assert "Removed Visual Instruction Tuning from **Surveys**." in one.content
    assert "Left empty and removed: **Surveys**." in one.content
    shown = await app.slash(app.member, "readinglist show")
    description = shown.embeds[0]["description"]
    assert "Surveys" not in description
    assert description.count("Liu et al.") == 1

    everywhere = await app.slash(app.organizer, "readinglist remove", ref=LLAVA)
    assert "from **Representation Learning / Fusion**." in everywhere.content
    assert "Left empty" not in everywhere.content  # CLIP is still listed there
    last = await app.slash(app.organizer, "readinglist remove", ref=CLIP)
    assert "Left empty and removed: **Representation Learning / Fusion**, " in last.content
    assert "**Representation Learning**." in last.content
    async with app.services.db.unit() as uow:
        assert await uow.readinglist.topics(app.guild.id) == []
        assert await uow.papers.count(app.guild.id) == 2  # the papers themselves stay
    empty = await app.slash(app.member, "readinglist show")
    assert "The reading list is empty" in empty.embeds[0]["description"]
