"""Rendering papers, proposals and the reading list: escaped, and within Discord's limits."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.papers.proposals import ProposalInfo
from bot.readinglist.service import TopicNode
from bot.schedule.presenters import PresenterSuggestion
from bot.ui.paper_render import (
    FIELD_VALUE,
    fit,
    paper_choice,
    proposal_choice,
    proposal_embed,
    reading_pages,
    rotation_text,
)
from storage.models import GuildConfig, Paper, Proposal, ReadingItem, ReadingTopic
from storage.repositories.readinglist import ListedItem

NOW = datetime(2025, 1, 6, tzinfo=UTC)


def _paper(**kw: object) -> Paper:
    values: dict[str, object] = {
        "id": 7,
        "guild_id": 1,
        "ref_key": "arxiv:2304.08485",
        "arxiv_id": "2304.08485",
        "arxiv_version": 1,
        "url": "https://arxiv.org/abs/2304.08485",
        "title": "Visual Instruction Tuning",
    }
    values.update(kw)
    return Paper(**values)  # type: ignore[arg-type]


def _view(paper: Paper, **kw: object) -> ProposalInfo:
    proposal = Proposal(
        id=3, number=3, guild_id=1, paper_id=7, proposer_id=11, created_at=NOW, **kw
    )  # type: ignore[arg-type]
    return ProposalInfo(proposal, paper, 4)


def test_a_huge_paper_fits_one_embed() -> None:
    paper = _paper(
        title="@everyone " + "T" * 400,
        abstract="An *abstract* with <@123456789012345678> " * 600,
        authors=[f"Author Number{n}" for n in range(300)],
        categories=[f"cs.X{n}" for n in range(50)],
        code_links=[["GitHub", f"https://github.com/owner/repo{n}" + "x" * 80] for n in range(30)],
        demo_links=[
            ["Demo", "javascript:alert(1)"],
            ["Colab", "https://colab.research.google.com/x"],
        ],
    )
    embed = proposal_embed(_view(paper, note="Note " * 100))

    assert len(embed) <= 6000
    assert len(embed.title or "") <= 256
    assert len(embed.description or "") <= 4096
    assert all(len(f.value or "") <= FIELD_VALUE for f in embed.fields)
    assert "@everyone" not in (embed.title or "").replace("@\u200beveryone", "")
    assert "<@123456789012345678>" not in (embed.description or "")
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Code"].endswith(" …")  # whole links only
    assert "javascript" not in fields["Demo"]
    assert fields["Votes"] == "4"


def test_fit_never_cuts_an_escape_in_half() -> None:
    text = "*" * 300
    fitted = fit(text, 101)
    assert len(fitted) <= 101
    assert not fitted.endswith("\\")


def test_choice_names_are_at_most_100_characters() -> None:
    paper = _paper(title="Long " * 60)
    assert len(paper_choice(paper)) <= 100
    assert paper_choice(paper).endswith(" · 2304.08485")
    assert len(proposal_choice(_view(paper))) <= 100


def test_rotation_text() -> None:
    config = GuildConfig(guild_id=1, timezone="Europe/Berlin", date_format="DD.MM.YYYY")
    assert rotation_text([], config) is None
    text = rotation_text(
        [
            PresenterSuggestion(5, None, NOW),
            PresenterSuggestion(6, datetime(2024, 12, 31, 23, 30, tzinfo=UTC)),
        ],
        config,
    )
    assert text == (
        "🎤 Next presenter by fair rotation: <@5> (never presented), "
        "<@6> (last presented 01.01.2025)"  # local date in Berlin
    )


def _node(topic_id: int, path: str, count: int, parent: int | None = None) -> TopicNode:
    topic = ReadingTopic(
        id=topic_id, guild_id=1, parent_id=parent, name=path.split("/")[-1], path=path
    )
    items = [
        ListedItem(
            ReadingItem(id=n, guild_id=1, topic_id=topic_id, paper_id=n, read=n % 2 == 0),
            _paper(id=n, title=f"Paper {n} " + "w" * 150, authors=["A B", "C D"]),
        )
        for n in range(topic_id * 1000, topic_id * 1000 + count)
    ]
    return TopicNode(topic, items)


def test_reading_pages_keep_the_budget_and_repeat_the_topic() -> None:
    root = _node(1, "Representation Learning", 3)
    child = _node(2, "Representation Learning/Fusion", 60, parent=1)
    root.children.append(child)

    pages = reading_pages([root], budget=1500)

    assert len(pages) > 3
    assert all(len(page) <= 1500 for page in pages)
    assert pages[0].startswith("**Representation Learning** · 32/63")
    assert "\u2003**Fusion** · 30/60" in pages[0]
    assert pages[1].startswith("**Representation Learning / Fusion** (continued)")
    assert sum(page.count("✅") + page.count("⬜") for page in pages) == 63
