"""Resolving every arXiv link of the group's README: batched lookups against one per paper.

Reads ``<repo>/../shared/examples/schedule-readme.md`` (or ``$SHARED_DIR``), finds every arXiv
link in it, and resolves them all into a fresh SQLite database through the bot's own
``PaperService`` (lookup, then store) against the loopback fake arXiv, twice in the same run:

- batched: all ids in one ``lookup`` (``id_list``, up to 100 ids per request);
- baseline: one ``lookup`` per paper, i.e. one request per paper.

Both go through the same ``ArxivService`` with the same process-wide rate limit (default
3 s between requests, arXiv's terms). The script prints, for each: HTTP requests counted by
the fake server, wall time, and the smallest gap between two requests as the server saw it;
then the ratios. Goal: ≤ 2 requests (≥ 20× fewer than the baseline), spacing kept.

    python bench/arxiv_import.py [--spacing 3.0]

With the real 3 s spacing the baseline takes about two minutes (3 s per paper); a smaller
``--spacing`` (applied to both runs alike) makes it quicker and changes only the wall times.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.papers.arxiv import ARXIV_RATE_LIMITER, ArxivService  # noqa: E402
from bot.papers.arxiv_ids import find_arxiv_refs  # noqa: E402
from bot.papers.service import PaperService  # noqa: E402
from storage.db import Database  # noqa: E402
from tests.harness.arxiv import FakeArxiv, readme_path  # noqa: E402
from tests.harness.clock import FakeClock  # noqa: E402

GUILD = 1


@dataclass
class Run:
    name: str
    requests: int
    seconds: float
    papers: int
    min_gap: float | None


async def _papers_service(directory: Path, name: str, arxiv: ArxivService) -> PaperService:
    db = await Database.open(f"sqlite+aiosqlite:///{directory / name}.db")
    await db.migrate()
    return PaperService(db, FakeClock(), arxiv)


async def _resolve(papers: PaperService, refs: list[str]) -> int:
    specs = await papers.lookup(GUILD, refs)
    async with papers.db.unit() as uow:
        return len(await papers.store(uow, GUILD, specs))


async def run(spacing: float) -> list[Run]:
    readme = readme_path()
    text = readme.read_text(encoding="utf-8", errors="replace")
    refs = [ref.versioned for ref in find_arxiv_refs(text)]
    links = text.count("arxiv.org/abs/") + text.count("arxiv.org/pdf/")
    print(f"{readme}: {links} arXiv links, {len(refs)} distinct papers")

    results: list[Run] = []
    async with FakeArxiv() as fake:
        served = fake.add_readme_entries(readme)
        assert set(served) >= {r.split("v")[0] for r in refs}, "the fake lacks README papers"
        arxiv = ArxivService(fake.query_url_format, min_interval=spacing)
        ARXIV_RATE_LIMITER.reset()
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(tmp)

            batched = await _papers_service(directory, "batched", arxiv)
            fake.reset_log()
            started = time.perf_counter()
            stored = await _resolve(batched, refs)
            results.append(
                Run("batched", fake.request_count, time.perf_counter() - started, stored, None)
            )

            fake.reset_log()
            started = time.perf_counter()
            await _resolve(batched, refs)  # everything is cached now
            results.append(
                Run("cached", fake.request_count, time.perf_counter() - started, stored, None)
            )
            await batched.db.close()

            # Let the limiter's interval pass outside the measurement, so the baseline's
            # first request does not wait for the batched run's.
            await asyncio.sleep(spacing)
            baseline = await _papers_service(directory, "baseline", arxiv)
            fake.reset_log()
            started = time.perf_counter()
            stored = 0
            for ref in refs:
                stored += await _resolve(baseline, [ref])
            seconds = time.perf_counter() - started
            results.append(
                Run("one per paper", fake.request_count, seconds, stored, fake.min_spacing())
            )
            await baseline.db.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--spacing",
        type=float,
        default=3.0,
        help="seconds between arXiv requests, for both runs (default: 3, arXiv's terms)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    results = asyncio.run(run(args.spacing))
    print(f"rate limit: one request every {args.spacing:g} s (process-wide, both runs)")
    print(f"{'run':<15} {'papers':>6} {'requests':>8} {'wall (s)':>9} {'min gap (s)':>12}")
    for r in results:
        gap = f"{r.min_gap:.3f}" if r.min_gap is not None else "—"
        print(f"{r.name:<15} {r.papers:>6} {r.requests:>8} {r.seconds:>9.3f} {gap:>12}")
    batched, _cached, baseline = results
    print(
        f"requests: {baseline.requests} / {batched.requests} = "
        f"{baseline.requests / max(1, batched.requests):.0f}× fewer batched"
    )
    print(
        f"wall time: {baseline.seconds:.2f} s / {batched.seconds:.2f} s = "
        f"{baseline.seconds / batched.seconds:.0f}× faster batched"
    )
    ok = batched.requests <= 2 and baseline.requests >= 20 * batched.requests
    spaced = baseline.min_gap is None or baseline.min_gap >= args.spacing - 0.01
    print(f"goal (≤ 2 requests, ≥ 20× fewer): {'met' if ok else 'MISSED'}")
    print(f"spacing kept (min gap ≥ {args.spacing:g} s): {'yes' if spaced else 'NO'}")


if __name__ == "__main__":
    main()
