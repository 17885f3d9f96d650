"""Ranking 1,000 candidates against a 500-paper history, against sorting by upvotes.

The texts are built from the Daily Papers fixtures (``../shared/testdata/hf-daily-papers``:
titles and abstracts of the group's feed pages): each synthetic paper takes a real title and
a few sentences of real abstracts, so the vocabulary is what the feed really holds. Measured
in the same run:

- baseline: the feed's own order, sorting the candidates by upvotes;
- words: BM25 (``bm25s``) similarity of every candidate to every history paper, then the
  ranking; the first call (cold: imports ``bm25s``) and the median of warm calls;
- embeddings: cosine similarity of 1,536-dimension vectors (as text-embedding-3-small
  answers; the vectors are made up here, the endpoint is not part of this figure), then the
  ranking.

    python bench/candidates.py [--candidates 1000] [--history 500] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from bot.candidates.feed import FeedItem  # noqa: E402
from bot.candidates.ranking import (  # noqa: E402
    Signal,
    by_upvotes,
    cosine_similarity,
    lexical_similarity,
    paper_text,
    rank,
)

FIXTURES = REPO.parent / "shared" / "testdata" / "hf-daily-papers"
FILES = [
    "daily_papers-2024-03-14.json",
    "daily_papers-week-2024-W11.json",
    "daily_papers-month-2024-03.json",
    "daily_papers-month-2024-03-p1.json",
]
DIMENSIONS = 1536


def sources() -> list[tuple[str, list[str]]]:
    papers = []
    for name in FILES:
        for entry in json.loads((FIXTURES / name).read_text(encoding="utf-8")):
            sentences = [s.strip() + "." for s in entry["paper"]["summary"].split(". ") if s]
            if sentences:
                papers.append((entry["title"], sentences))
    return papers


def synthetic(count: int, rng: random.Random, base: list[tuple[str, list[str]]]) -> list[str]:
    texts = []
    for _ in range(count):
        title, sentences = rng.choice(base)
        mixed = rng.sample(sentences, min(len(sentences), rng.randint(3, 6)))
        mixed += rng.sample(rng.choice(base)[1], 1)
        texts.append(f"{title}. {' '.join(mixed)}")
    return texts


def timed(call: Callable[[], Any], rounds: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--history", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    rng = random.Random(18)
    base = sources()
    candidate_texts = synthetic(args.candidates, rng, base)
    items = [
        FeedItem(
            arxiv_id=f"2403.{n:05d}",
            title=text.split(". ", 1)[0],
            abstract=text.split(". ", 1)[1],
            upvotes=rng.randint(0, 200),
        )
        for n, text in enumerate(candidate_texts)
    ]
    signals = [
        Signal(f"arxiv:2301.{n:05d}", text.split(". ", 1)[0], text, rng.choice([1.0, 0.68, -1.0]))
        for n, text in enumerate(synthetic(args.history, rng, base))
    ]
    texts = [paper_text(i.title, i.abstract) for i in items]
    history = [s.text for s in signals]
    print(
        f"{len(items):,} candidates, {len(signals):,} history papers "
        f"({sum(s.weight < 0 for s in signals)} withdrawn), texts from {len(base)} feed papers"
    )

    baseline, _ = timed(lambda: by_upvotes(items), args.rounds * 4)
    print(f"baseline  sort by upvotes:            {baseline * 1000:9.2f} ms")

    before = rss_mb()
    start = time.perf_counter()
    rank(items, signals, lexical_similarity(history, texts))
    cold = time.perf_counter() - start
    print(
        f"words     cold (imports bm25s):       {cold * 1000:9.2f} ms  "
        f"(peak RSS +{rss_mb() - before:.0f} MB)"
    )
    warm, ranked = timed(
        lambda: rank(items, signals, lexical_similarity(history, texts)), args.rounds
    )
    print(f"words     warm (median of {args.rounds}):        {warm * 1000:9.2f} ms")

    vectors = np.random.default_rng(18).standard_normal(
        (len(signals) + len(items), DIMENSIONS), dtype=np.float32
    )
    embedded, _ = timed(
        lambda: rank(
            items, signals, cosine_similarity(vectors[: len(signals)], vectors[len(signals) :])
        ),
        args.rounds,
    )
    print(f"embedding cosine + rank (median):     {embedded * 1000:9.2f} ms")

    reasons = sum(1 for r in ranked if r.close_to)
    top = {r.item.arxiv_id for r in ranked[:10]}
    shared = len(top & {r.item.arxiv_id for r in by_upvotes(items)[:10]})
    print(
        f"{reasons:,} candidates carry a reason; the top 10 shares {shared} papers with the "
        "top 10 by upvotes"
    )
    print(
        f"ratio words / baseline: {warm / baseline:,.0f}x (cold {cold / baseline:,.0f}x); "
        f"embeddings / baseline: {embedded / baseline:,.0f}x"
    )


if __name__ == "__main__":
    main()
