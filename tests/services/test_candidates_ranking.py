"""The ranking of candidates for a group, as pure functions (no database, no network)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from bot.candidates.feed import FeedItem
from bot.candidates.ranking import (
    Signal,
    by_upvotes,
    cosine_similarity,
    lexical_similarity,
    rank,
    signals_from_history,
)
from bot.candidates.service import marks_of, matches, normalise_query
from bot.dates import parse_period
from bot.errors import InvalidInput
from storage.models import Paper, ProposalStatus
from storage.repositories import HistoryRow

NOW = datetime(2024, 3, 15, 10, tzinfo=UTC)


def item(arxiv_id: str, title: str, abstract: str = "", upvotes: int = 0) -> FeedItem:
    return FeedItem(arxiv_id=arxiv_id, title=title, abstract=abstract, upvotes=upvotes)


def paper(n: int, title: str, abstract: str = "") -> Paper:
    return Paper(
        id=n,
        guild_id=1,
        ref_key=f"arxiv:2301.{n:05d}",
        arxiv_id=f"2301.{n:05d}",
        title=title,
        abstract=abstract,
    )


ECG = paper(1, "Arrhythmia detection in electrocardiograms", "ECG signals cardiac diagnosis")
MARKET = paper(2, "Consumer heterogeneity in marketing", "word of mouth customer ratings")
CANDIDATES = [
    item("2403.00001", "Zero-shot ECG classification", "electrocardiograms cardiac ECG", 3),
    item("2403.00002", "Customer rating prediction for marketing", "consumer word of mouth", 90),
    item("2403.00003", "Efficient multimodal language models", "small backbones", 90),
    item("2403.00004", "Graph learning for generation", "multimodal graphs", 40),
]


def signals(*rows: HistoryRow) -> list[Signal]:
    return signals_from_history(list(rows), NOW)


def ranked_ids(found: list[Signal], method: str = "words") -> list[str]:
    texts = [f"{i.title}. {i.abstract}" for i in CANDIDATES]
    similarity = lexical_similarity([s.text for s in found], texts)
    return [r.item.arxiv_id for r in rank(CANDIDATES, found, similarity)]


def test_without_history_upvotes_decide() -> None:
    assert ranked_ids([]) == ["2403.00002", "2403.00003", "2403.00004", "2403.00001"]
    assert [r.item.arxiv_id for r in by_upvotes(CANDIDATES)] == ranked_ids([])


def test_close_to_what_the_group_read_comes_first_with_its_reason() -> None:
    found = signals(HistoryRow(ECG, "session", starts_at=NOW - timedelta(days=7)))
    texts = [f"{i.title}. {i.abstract}" for i in CANDIDATES]
    ranked = rank(CANDIDATES, found, lexical_similarity([s.text for s in found], texts))
    assert ranked[0].item.arxiv_id == "2403.00001"
    assert ranked[0].close_to == ECG.title and 0 < ranked[0].similarity <= 1
    assert ranked[1].close_to is None  # nothing in common: upvotes order the rest


def test_withdrawn_papers_push_their_likes_down() -> None:
    found = signals(
        HistoryRow(ECG, "reading", read=True),
        HistoryRow(MARKET, "proposal", status=ProposalStatus.WITHDRAWN, proposal_number=3),
    )
    ids = ranked_ids(found)
    assert ids[0] == "2403.00001" and ids[-1] == "2403.00002"


def test_a_paper_the_group_liked_outweighs_its_withdrawal() -> None:
    found = signals(
        HistoryRow(MARKET, "proposal", status=ProposalStatus.WITHDRAWN, proposal_number=3),
        HistoryRow(MARKET, "proposal", status=ProposalStatus.OPEN, proposal_number=4, votes=3),
    )
    assert [s.weight for s in found] == [pytest.approx(0.84)]
    assert ranked_ids(found)[0] == "2403.00002"


def test_votes_weigh_more_and_scheduled_counts_fully() -> None:
    few = signals(HistoryRow(ECG, "proposal", status=ProposalStatus.OPEN, votes=0))
    many = signals(HistoryRow(ECG, "proposal", status=ProposalStatus.OPEN, votes=9))
    upcoming = signals(HistoryRow(ECG, "session", starts_at=NOW + timedelta(days=3)))
    assert few[0].weight < many[0].weight <= upcoming[0].weight == 1.0


def test_cosine_similarity_of_embeddings() -> None:
    history = np.array([[1.0, 0.0, 0.0]], dtype=np.float32)
    candidates = np.array([[0.0, 1.0, 0.0], [2.0, 0.1, 0.0]], dtype=np.float32)
    similarity = cosine_similarity(history, candidates)
    assert similarity.shape == (1, 2) and similarity[0, 1] > 0.99 and similarity[0, 0] == 0
    found = [Signal("arxiv:x", "X", "x", 1.0)]
    ranked = rank(CANDIDATES[:2], found, similarity)
    assert ranked[0].item.arxiv_id == "2403.00002" and ranked[0].close_to == "X"


def test_empty_texts_and_no_candidates() -> None:
    assert lexical_similarity(["the of and"], ["a"]).tolist() == [[0.0]]
    assert rank([], [], np.zeros((0, 0))) == []


def test_marks_of_the_history() -> None:
    rows = [
        HistoryRow(ECG, "proposal", status=ProposalStatus.OPEN, proposal_number=7),
        HistoryRow(ECG, "session", starts_at=NOW + timedelta(days=2)),
        HistoryRow(MARKET, "proposal", status=ProposalStatus.WITHDRAWN, proposal_number=8),
    ]
    assert marks_of(rows, NOW) == {"2301.00001": "scheduled"}
    rows.append(HistoryRow(MARKET, "reading", read=False))
    rows.append(HistoryRow(ECG, "reading", read=True))
    assert marks_of(rows, NOW) == {"2301.00001": "read", "2301.00002": "on the reading list"}
    only = [HistoryRow(ECG, "proposal", status=ProposalStatus.OPEN, proposal_number=7)]
    assert marks_of(only, NOW) == {"2301.00001": "proposed #7"}


def test_queries() -> None:
    assert normalise_query("  Vision-Language, MODELS ") == "vision language models"
    assert normalise_query(None) is None and normalise_query("  ") is None
    with pytest.raises(InvalidInput, match="mention"):
        normalise_query("<@123>")
    with pytest.raises(InvalidInput, match="30"):
        normalise_query("x" * 31)
    assert matches(CANDIDATES[0], "ecg cardiac") and not matches(CANDIDATES[0], "ecg marketing")


@pytest.mark.parametrize(
    ("text", "kind", "start", "end"),
    [
        (None, "days", date(2024, 3, 9), date(2024, 3, 15)),
        ("last 3 days", "days", date(2024, 3, 13), date(2024, 3, 15)),
        ("2024-03-14", "day", date(2024, 3, 14), date(2024, 3, 14)),
        ("14.03.2024", "day", date(2024, 3, 14), date(2024, 3, 14)),
        ("yesterday", "day", date(2024, 3, 14), date(2024, 3, 14)),
        ("2024-W11", "week", date(2024, 3, 11), date(2024, 3, 17)),
        ("last week", "week", date(2024, 3, 4), date(2024, 3, 10)),
        ("2024-02", "month", date(2024, 2, 1), date(2024, 2, 29)),
        ("December 2023", "month", date(2023, 12, 1), date(2023, 12, 31)),
        ("this month", "month", date(2024, 3, 1), date(2024, 3, 31)),
    ],
)
def test_periods(text: str | None, kind: str, start: date, end: date) -> None:
    period = parse_period(text, date(2024, 3, 15))
    assert (period.kind, period.start, period.end) == (kind, start, end)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("2024-W54", "not a week that exists"),
        ("2024-13", "not a month"),
        ("last 90 days", "between 1 and 31"),
        ("2024-04-01", "has not begun yet"),
        ("soon", "could not read the period"),
    ],
)
def test_bad_periods(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        parse_period(text, date(2024, 3, 15))
