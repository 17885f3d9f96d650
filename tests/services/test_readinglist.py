"""The reading list: nested topics, read marks, and papers read by being discussed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import InvalidInput, NotFound
from bot.papers.arxiv import ArxivService
from bot.papers.refs import stored_ref
from bot.readinglist.service import TopicNode, clean_topic_path, shown_path
from bot.schedule.drafts import SessionDraft
from storage.db import Database
from tests.harness.arxiv import FakeArxiv
from tests.services.papers_env import (
    ALICE,
    CLIP,
    GUILD,
    LLAVA,
    OTHER_GUILD,
    SIGLIP,
    PaperEnv,
    build_env,
)


@pytest.fixture
async def env(db: Database, arxiv_service: ArxivService, fake_arxiv: FakeArxiv) -> PaperEnv:
    return await build_env(db, arxiv_service, fake_arxiv)


def flat(nodes: list[TopicNode]) -> list[tuple[str, list[tuple[str, bool]]]]:
    """(shown path, [(arXiv id or title, read)]) for every topic, depth first."""
    out = []
    for root in nodes:
        for node in root.walk():
            items = [(i.paper.arxiv_id or i.paper.title, i.read) for i in node.items]
            out.append((shown_path(node.topic.path), items))
    return out


async def stored_counts(env: PaperEnv) -> tuple[int, int, int]:
    async with env.db.unit() as uow:
        return (
            await uow.papers.count(GUILD),
            len(await uow.readinglist.topics(GUILD)),
            len(await uow.readinglist.items(GUILD)),
        )


# -- topics ------------------------------------------------------------------------------


def test_clean_topic_path() -> None:
    assert clean_topic_path("Representation Learning / Fusion") == [
        "Representation Learning",
        "Fusion",
    ]
    assert clean_topic_path("  Surveys ") == ["Surveys"]
    for bad, message in [
        ("", "Give a topic"),
        (" / / ", "Give a topic"),
        ("a/b/c/d/e", "at most 4 levels"),
        ("Fusion / @everyone", "mention"),
        ("x" * 301, "at most 300 characters"),
        ("A / " + "y" * 101, "limit is 100"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            clean_topic_path(bad)


async def test_add_creates_nested_topics_and_shows_them(env: PaperEnv) -> None:
    result = await env.reading.add(
        GUILD, [LLAVA, CLIP], "Representation Learning / Fusion", actor_id=ALICE
    )
    assert [p.arxiv_id for p in result.added] == [LLAVA, CLIP]
    assert result.already == [] and result.read == []
    assert env.arxiv.request_count == 1  # both papers in one request
    await env.reading.add(GUILD, [SIGLIP], "representation learning/Latent Space", actor_id=1)
    env.arxiv.add_entry("2209.03430", title="Foundations & Trends in Multimodal Machine Learning")
    await env.reading.add(GUILD, ["https://arxiv.org/abs/2209.03430"], "Surveys", actor_id=1)

    tree = await env.reading.tree(GUILD)

    assert flat(tree) == [
        ("Representation Learning", []),
        ("Representation Learning / Fusion", [(LLAVA, False), (CLIP, False)]),
        ("Representation Learning / Latent Space", [(SIGLIP, False)]),
        ("Surveys", [("2209.03430", False)]),
    ]
    assert tree[0].counts() == (0, 3)
    assert [n.depth for n in tree[0].walk()] == [0, 1, 1]

    fusion = await env.reading.tree(GUILD, "representation learning / fusion")
    assert flat(fusion) == [("Representation Learning / Fusion", [(LLAVA, False), (CLIP, False)])]
    with pytest.raises(NotFound, match="no topic 'Nope'"):
        await env.reading.tree(GUILD, "Nope")
    assert await env.reading.tree(OTHER_GUILD) == []


async def test_adding_again_reports_it_and_adds_nothing(env: PaperEnv) -> None:
    await env.reading.add(GUILD, [LLAVA], "Fusion", actor_id=ALICE)
    result = await env.reading.add(GUILD, [f"arXiv:{LLAVA}v1", CLIP], "fusion", actor_id=ALICE)
    assert [p.arxiv_id for p in result.already] == [LLAVA]
    assert [p.arxiv_id for p in result.added] == [CLIP]
    assert await stored_counts(env) == (2, 1, 2)


async def test_bad_input_saves_nothing(env: PaperEnv) -> None:
    with pytest.raises(InvalidInput, match="300 references at once"):
        await env.reading.add(GUILD, [f"2401.{n:05d}" for n in range(1, 301)], "T", actor_id=1)
    with pytest.raises(NotFound, match=r"arXiv has no paper 2401\.99999"):
        await env.reading.add(GUILD, [LLAVA, "2401.99999"], "Fusion", actor_id=1)
    with pytest.raises(InvalidInput, match="does not look like a paper"):
        await env.reading.add(GUILD, ["https://github.com/openai/CLIP"], "Fusion", actor_id=1)
    with pytest.raises(InvalidInput, match="mention"):
        await env.reading.add(GUILD, [LLAVA], "@here", actor_id=1)
    with pytest.raises(InvalidInput, match="Give the paper"):
        await env.reading.add(GUILD, [], "Fusion", actor_id=1)
    assert env.arxiv.request_count == 1  # only the lookup with the unknown id
    assert await stored_counts(env) == (0, 0, 0)


async def test_topic_paths_for_autocomplete(env: PaperEnv) -> None:
    await env.reading.add(GUILD, [LLAVA], "Representation Learning / Fusion", actor_id=1)
    await env.reading.add(GUILD, [CLIP], "Surveys", actor_id=1)
    assert await env.reading.topic_paths(GUILD, "fus") == ["Representation Learning / Fusion"]
    assert await env.reading.topic_paths(GUILD, "learning / fu") == [
        "Representation Learning / Fusion"
    ]
    assert await env.reading.topic_paths(GUILD) == [
        "Representation Learning",
        "Representation Learning / Fusion",
        "Surveys",
    ]
    assert await env.reading.topic_paths(OTHER_GUILD) == []
    # Typed % and _ are literal characters, not wildcards.
    await env.reading.add(GUILD, [SIGLIP], "Under_score", actor_id=1)
    assert await env.reading.topic_paths(GUILD, "_") == ["Under_score"]
    assert await env.reading.topic_paths(GUILD, "%") == []
    listed = await env.reading.listed_papers(GUILD, "visual")
    assert [p.arxiv_id for p in listed] == [LLAVA, CLIP]


async def test_remove_keeps_topics_that_still_hold_something(env: PaperEnv) -> None:
    await env.reading.add(GUILD, [LLAVA], "Representation Learning", actor_id=1)
    await env.reading.add(GUILD, [CLIP], "Representation Learning / Fusion", actor_id=1)
    await env.reading.add(GUILD, [LLAVA], "Surveys", actor_id=1)

    result = await env.reading.remove(GUILD, LLAVA, "representation learning")
    assert result.removed_from == ["Representation Learning"]
    assert result.topics_removed == []  # it still has the subtopic Fusion
    assert flat(await env.reading.tree(GUILD)) == [
        ("Representation Learning", []),
        ("Representation Learning / Fusion", [(CLIP, False)]),
        ("Surveys", [(LLAVA, False)]),
    ]
    with pytest.raises(NotFound, match="not listed under 'Nope'"):
        await env.reading.remove(GUILD, LLAVA, "Nope")
    with pytest.raises(InvalidInput):
        await env.reading.remove(GUILD, LLAVA, "a / b / c / d / e")
    assert await stored_counts(env) == (2, 3, 2)

    result = await env.reading.remove(GUILD, CLIP)
    assert result.topics_removed == ["Representation Learning / Fusion", "Representation Learning"]
    assert flat(await env.reading.tree(GUILD)) == [("Surveys", [(LLAVA, False)])]
    assert await env.reading.tree(OTHER_GUILD) == []


# -- read marks --------------------------------------------------------------------------


async def test_mark_read_and_unread_in_every_topic(env: PaperEnv) -> None:
    await env.reading.add(GUILD, [LLAVA], "Fusion", actor_id=1)
    result = await env.reading.add(GUILD, [LLAVA], "Surveys", actor_id=1)

    paper, changed, topics = await env.reading.mark(GUILD, LLAVA)
    assert (paper.arxiv_id, changed, sorted(topics)) == (LLAVA, 2, ["Fusion", "Surveys"])
    assert all(read for _, items in flat(await env.reading.tree(GUILD)) for _, read in items)
    _, changed, _ = await env.reading.mark(GUILD, stored_ref(result.added[0]), read=False)
    assert changed == 2
    assert not any(read for _, items in flat(await env.reading.tree(GUILD)) for _, read in items)


async def test_mark_a_paper_not_on_the_list(env: PaperEnv) -> None:
    with pytest.raises(NotFound, match="not on the reading list"):
        await env.reading.mark(GUILD, LLAVA)
    await env.papers.find(GUILD, CLIP)  # stored, but not listed
    with pytest.raises(NotFound, match="is not on the reading list"):
        await env.reading.mark(GUILD, CLIP)


# -- read by being discussed ---------------------------------------------------------------


async def test_a_discussed_paper_is_read_once_its_session_started(env: PaperEnv) -> None:
    await env.reading.add(GUILD, [LLAVA, CLIP], "Fusion", actor_id=1)
    view = await env.schedule.add(
        GUILD, SessionDraft(date_text="2025-02-06", paper_refs=[LLAVA]), actor_id=1
    )
    assert flat(await env.reading.tree(GUILD)) == [("Fusion", [(LLAVA, False), (CLIP, False)])]

    env.clock.set(view.starts_at + timedelta(minutes=1))

    assert flat(await env.reading.tree(GUILD)) == [("Fusion", [(LLAVA, True), (CLIP, False)])]
    # Derived, not written: reading the list changes nothing stored.
    async with env.db.unit() as uow:
        item = (await uow.readinglist.items_for_paper(GUILD, view.papers[0].paper.id))[0]  # type: ignore[arg-type]
        assert (item.read, item.read_at) == (False, None)


async def test_a_cancelled_session_does_not_count(env: PaperEnv) -> None:
    await env.reading.add(GUILD, [LLAVA], "Fusion", actor_id=1)
    view = await env.schedule.add(
        GUILD, SessionDraft(date_text="2025-02-06", paper_refs=[LLAVA]), actor_id=1
    )
    await env.schedule.cancel(GUILD, view.id, actor_id=1)
    env.clock.set(datetime(2025, 3, 1, tzinfo=UTC))
    assert flat(await env.reading.tree(GUILD)) == [("Fusion", [(LLAVA, False)])]


async def test_entering_a_past_session_marks_at_once(env: PaperEnv) -> None:
    await env.reading.add(GUILD, [CLIP], "Fusion", actor_id=1)

    await env.schedule.add(
        GUILD,
        SessionDraft(date_text="2024-02-22", paper_refs=[CLIP], allow_past=True),
        actor_id=1,
    )

    # Read at once, by every reader, with nothing run in between.
    assert flat(await env.reading.tree(GUILD)) == [("Fusion", [(CLIP, True)])]
    details = await env.papers.details(GUILD, await env.papers.find(GUILD, CLIP))
    assert details.reading == [("Fusion", True)]


async def test_adding_an_already_discussed_paper_adds_it_read(env: PaperEnv) -> None:
    await env.schedule.add(
        GUILD,
        SessionDraft(date_text="2024-03-14", paper_refs=[SIGLIP], allow_past=True),
        actor_id=1,
    )
    result = await env.reading.add(GUILD, [SIGLIP, LLAVA], "Fusion", actor_id=1)
    assert [p.arxiv_id for p in result.read] == [SIGLIP]
    assert flat(await env.reading.tree(GUILD)) == [("Fusion", [(SIGLIP, True), (LLAVA, False)])]


async def test_marked_unread_stays_unread_until_discussed_again(env: PaperEnv) -> None:
    await env.reading.add(GUILD, [LLAVA], "Fusion", actor_id=1)
    first = await env.schedule.add(
        GUILD, SessionDraft(date_text="2025-01-09", paper_refs=[LLAVA]), actor_id=1
    )
    env.clock.set(first.starts_at + timedelta(hours=2))
    assert flat(await env.reading.tree(GUILD)) == [("Fusion", [(LLAVA, True)])]

    await env.reading.mark(GUILD, LLAVA, read=False)
    assert flat(await env.reading.tree(GUILD)) == [("Fusion", [(LLAVA, False)])]

    second = await env.schedule.add(
        GUILD, SessionDraft(date_text="2025-01-16", kind="continue"), actor_id=1
    )
    env.clock.set(second.starts_at + timedelta(hours=2))
    assert flat(await env.reading.tree(GUILD)) == [("Fusion", [(LLAVA, False)])]  # no paper

    await env.schedule.add(
        GUILD, SessionDraft(date_text="2025-01-23", paper_refs=[LLAVA]), actor_id=1
    )
    env.clock.set(datetime(2025, 1, 24, tzinfo=UTC))
    assert flat(await env.reading.tree(GUILD)) == [("Fusion", [(LLAVA, True)])]


async def test_other_guilds_sessions_do_not_mark(env: PaperEnv) -> None:
    await env.reading.add(GUILD, [LLAVA], "Fusion", actor_id=1)
    await env.schedule.add(
        OTHER_GUILD,
        SessionDraft(date_text="2024-06-06", paper_refs=[LLAVA], allow_past=True),
        actor_id=1,
    )
    assert flat(await env.reading.tree(GUILD)) == [("Fusion", [(LLAVA, False)])]
