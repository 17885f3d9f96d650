"""Ranking candidates for one group: close to what it read, scheduled and voted for, away
from what it withdrew. Pure functions of the history and the candidates (no database, no
network), so the ranking is easy to test and to measure.

A similarity matrix ``S[h, c]`` says how close candidate ``c`` is to history paper ``h``:

- with embeddings, the cosine of the two vectors;
- without, BM25 (the ``bm25s`` library) over one corpus of candidates and history, each
  score divided by the history paper's score against itself, so every history paper
  counts on the same 0–1 scale whatever its length.

A candidate's score is its best weighted similarity to a paper the group liked minus half its
best similarity to one the group withdrew; the liked paper it is closest to is its reason
("close to: Visual Instruction Tuning"). Scores are compared at two decimals, so the feed's
upvotes break ties (and order everything when the group has no history yet).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.candidates.feed import FeedItem
from storage.models import ProposalStatus
from storage.repositories import HistoryRow

if TYPE_CHECKING:
    import numpy as np

READ_WEIGHT = 1.0  # discussed in a session, or marked read
SCHEDULED_WEIGHT = 1.0  # in a session still to come
LISTED_WEIGHT = 0.6  # on the reading list, unread
PROPOSED_WEIGHT = 0.6  # proposed; each vote adds VOTE_WEIGHT, up to MAX_VOTES
VOTE_WEIGHT = 0.08
MAX_VOTES = 5
WITHDRAWN_WEIGHT = -1.0
PENALTY = 0.5  # how much resembling a withdrawn paper costs
TIE_DECIMALS = 2
EMBED_TEXT_LIMIT = 6000  # characters of title and abstract given to the embedding model


@dataclass(frozen=True, slots=True)
class Signal:
    """A paper of the group's history: ``weight`` > 0 liked, < 0 withdrawn."""

    key: str  # "arxiv:2304.08485", "url:…": one signal per paper
    title: str
    text: str
    weight: float
    arxiv_id: str | None = None


@dataclass(frozen=True, slots=True)
class Ranked:
    item: FeedItem
    score: float
    close_to: str | None = None  # title of the liked paper it is closest to
    similarity: float = 0.0
    unlike: str | None = None  # title of a withdrawn paper it resembles


def paper_text(title: str, abstract: str | None) -> str:
    text = f"{title}. {abstract or ''}".strip()
    return text[:EMBED_TEXT_LIMIT]


def signals_from_history(rows: Sequence[HistoryRow], now: datetime) -> list[Signal]:
    """One signal per paper: its strongest positive weight, else its withdrawal."""
    best: dict[str, tuple[float, HistoryRow]] = {}
    for row in rows:
        weight = _weight(row, now)
        if weight == 0:
            continue
        key = row.paper.ref_key
        seen = best.get(key)
        if seen is None or _stronger(weight, seen[0]):
            best[key] = (weight, row)
    return [
        Signal(
            key=key,
            title=row.paper.title,
            text=paper_text(row.paper.title, row.paper.abstract),
            weight=weight,
            arxiv_id=row.paper.arxiv_id,
        )
        for key, (weight, row) in best.items()
    ]


def _stronger(new: float, old: float) -> bool:
    if (new > 0) != (old > 0):
        return new > 0  # anything the group liked outweighs a withdrawal
    return abs(new) > abs(old)


def _weight(row: HistoryRow, now: datetime) -> float:
    if row.kind == "session":
        return (
            READ_WEIGHT if row.starts_at is not None and row.starts_at <= now else SCHEDULED_WEIGHT
        )
    if row.kind == "reading":
        return READ_WEIGHT if row.read else LISTED_WEIGHT
    if row.kind == "proposal":
        if row.status == ProposalStatus.WITHDRAWN:
            return WITHDRAWN_WEIGHT
        if row.status == ProposalStatus.SCHEDULED:
            return SCHEDULED_WEIGHT
        return PROPOSED_WEIGHT + VOTE_WEIGHT * min(row.votes, MAX_VOTES)
    return 0.0


# --------------------------------------------------------------------------------------
# Similarities


def lexical_similarity(history: Sequence[str], candidates: Sequence[str]) -> np.ndarray:
    """``S[h, c]`` from BM25 over one corpus of candidates and history, each row divided by
    the history paper's score against itself (0–1)."""
    import numpy as np  # on first use: the bot's idle memory stays low

    if not history or not candidates:
        return np.zeros((len(history), len(candidates)), dtype=np.float32)
    import bm25s

    corpus = list(candidates) + list(history)
    tokens: Any = bm25s.tokenize(corpus, stopwords="en", show_progress=False)
    if not tokens.vocab:  # nothing but stop words and punctuation: nothing in common
        return np.zeros((len(history), len(candidates)), dtype=np.float32)
    index = bm25s.BM25()
    index.index(tokens, show_progress=False)
    n = len(candidates)
    score_rows = _score_rows(index, tokens.ids[n:], len(corpus))
    rows = np.zeros((len(history), n), dtype=np.float32)
    for h, scores in enumerate(score_rows):
        own = float(scores[n + h]) if scores is not None else 0.0
        if scores is not None and own > 0:
            rows[h] = np.minimum(scores[:n] / own, 1.0)
    return rows


def _score_rows(index: Any, queries: Sequence[Sequence[int]], docs: int) -> list[Any]:
    """BM25 scores of every document for each query (its distinct token ids).

    Reads the library's eager index (per token: the documents and their precomputed
    scores, CSC-style) and sums a query's tokens with one ``bincount``: the library's own
    per-query call adds token by token and is several times slower for hundreds of queries.
    """
    import numpy as np  # on first use: the bot's idle memory stays low

    table = getattr(index, "scores", None)
    if not isinstance(table, dict) or not {"data", "indices", "indptr"} <= set(table):
        return [  # pragma: no cover - another index layout: the library's own call
            index.get_scores_from_ids(sorted(set(q))) if len(q) else None for q in queries
        ]
    data, indices, indptr = table["data"], table["indices"], table["indptr"]
    rows: list[Any] = []
    for query in queries:
        tokens = np.unique(np.asarray(query, dtype=np.int64))
        if tokens.size == 0:
            rows.append(None)
            continue
        starts = indptr[tokens]
        lengths = indptr[tokens + 1] - starts
        total = int(lengths.sum())
        if total == 0:
            rows.append(None)
            continue
        shift = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        where = shift + np.arange(total)
        rows.append(np.bincount(indices[where], weights=data[where], minlength=docs))
    return rows


def cosine_similarity(history: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """``S[h, c]`` as the cosine of embedding vectors (rows)."""
    import numpy as np  # on first use: the bot's idle memory stays low

    if history.size == 0 or candidates.size == 0:
        return np.zeros((len(history), len(candidates)), dtype=np.float32)
    h = history / np.maximum(np.linalg.norm(history, axis=1, keepdims=True), 1e-12)
    c = candidates / np.maximum(np.linalg.norm(candidates, axis=1, keepdims=True), 1e-12)
    similarity: np.ndarray = np.clip(h @ c.T, -1.0, 1.0).astype(np.float32)
    return similarity


# --------------------------------------------------------------------------------------
# Ranking


def rank(
    items: Sequence[FeedItem], signals: Sequence[Signal], similarity: np.ndarray
) -> list[Ranked]:
    """Candidates best first; ``similarity`` is ``S[signal, item]``."""
    import numpy as np

    if not items:
        return []
    weights = np.array([s.weight for s in signals], dtype=np.float32)
    liked = np.flatnonzero(weights > 0)
    withdrawn = np.flatnonzero(weights < 0)
    count = len(items)
    pos = np.zeros(count, dtype=np.float32)
    best = np.full(count, -1)
    raw = np.zeros(count, dtype=np.float32)
    if liked.size:
        weighted = similarity[liked] * weights[liked, None]
        top = np.argmax(weighted, axis=0)
        pos = weighted[top, np.arange(count)]
        best = liked[top]
        raw = similarity[best, np.arange(count)]
    neg = np.zeros(count, dtype=np.float32)
    worst = np.full(count, -1)
    if withdrawn.size:
        weighted = similarity[withdrawn] * -weights[withdrawn, None]
        top = np.argmax(weighted, axis=0)
        neg = weighted[top, np.arange(count)]
        worst = withdrawn[top]
    scores = np.maximum(pos, 0) - PENALTY * np.maximum(neg, 0)
    ranked = [
        Ranked(
            item=item,
            score=float(scores[i]),
            close_to=signals[best[i]].title if best[i] >= 0 and pos[i] > 0 else None,
            similarity=float(raw[i]),
            unlike=signals[worst[i]].title if worst[i] >= 0 and neg[i] > pos[i] else None,
        )
        for i, item in enumerate(items)
    ]
    ranked.sort(key=lambda r: (-round(r.score, TIE_DECIMALS), -r.item.upvotes, r.item.arxiv_id))
    return ranked


def by_upvotes(items: Sequence[FeedItem]) -> list[Ranked]:
    """The feed's own order of interest: most upvotes first (the benchmark's baseline)."""
    return [
        Ranked(item=i, score=0.0) for i in sorted(items, key=lambda i: (-i.upvotes, i.arxiv_id))
    ]
