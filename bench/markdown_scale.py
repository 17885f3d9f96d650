"""Markdown export and import at scale: 1,000 / 10,000 / 100,000 sessions on SQLite.

Each session has a paper (arXiv link, authors, a code and a demo link) and a pinned comment;
every tenth is a Continue row and every fiftieth a topic with three papers. The import reads
a generated README into an empty database; the export writes it back. Goals at 10,000
sessions: export ≤ 0.5 s, import ≤ 1 s; growth should be linear, so the time per session at
10k and 100k is compared with the 1k run of the same process (ratio ≈ 1.0 is linear).

    python bench/markdown_scale.py [--sizes 1000,10000,100000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.clock import Clock
from bot.events import EventBus
from bot.markdown.service import MarkdownService
from storage.db import Database

GUILD = 1


class FixedClock(Clock):
    def now(self) -> datetime:
        return datetime(2025, 1, 1, tzinfo=UTC)


def _months() -> list[str]:
    return [f"{y:02d}{m:02d}" for y in range(15, 25) for m in range(1, 13)]


def readme(n: int) -> str:
    months = _months()
    lines = [
        "# bench-reading-group",
        "",
        "---",
        "| Date | Paper | Authors | Code | Demo | Comments |",
        "| :--- | :---- | :------ | :--- | :--- | :------- |",
    ]
    start = date(1990, 1, 4)
    for i in range(n):
        day = (start + timedelta(days=i)).strftime("%d.%m.%Y")
        arxiv = f"{months[i % len(months)]}.{i // len(months) + 1:05d}"
        if i % 10 == 9:
            lines.append(f"| {day} | Continue | | | | Still on section {i % 7}. |")
            continue
        if i % 50 == 49:
            links = ", ".join(
                f"[Part {k} of topic {i}](https://example.org/topic/{i}/{k})" for k in range(3)
            )
            lines.append(f"| {day} | Topic {i} | {links} | | | |")
            continue
        lines.append(
            f"| {day} | [A study of scaling law number {i}](https://arxiv.org/abs/{arxiv}) "
            f"| A. Author{i}, B. Writer, C. Third | [GitHub](https://github.com/lab/repo{i}) "
            f"| [Colab](https://colab.research.google.com/drive/x{i}) "
            f"| Why does figure {i % 9} look like that? See [notes](https://example.org/n/{i}) |"
        )
    lines.append("---")
    return "\n".join(lines) + "\n"


async def measure(n: int, directory: Path) -> tuple[float, float, float, int]:
    text = readme(n)
    db = await Database.open(f"sqlite+aiosqlite:///{directory / f'bench-{n}.db'}")
    await db.migrate()
    service = MarkdownService(db, EventBus(), FixedClock(), default_timezone="Europe/Berlin")
    try:
        began = time.perf_counter()
        report = await service.import_text(GUILD, text)
        imported = time.perf_counter() - began
        assert len(report.created) == n, (len(report.created), report.issues[:3])
        began = time.perf_counter()
        result = await service.export(GUILD)
        exported = time.perf_counter() - began
        assert result.sessions == n
        began = time.perf_counter()
        again = await service.import_text(GUILD, result.text)
        reimported = time.perf_counter() - began
        assert not again.created and not again.updated, again.summary()
        return imported, exported, reimported, len(result.data)
    finally:
        await db.close()


async def main(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        await measure(200, directory)  # warm-up: imports, regex compilation, migrations
        results = {n: await measure(n, directory) for n in sizes}
    base_n = sizes[0]
    base = results[base_n]
    print(
        f"{'sessions':>9} {'import s':>9} {'export s':>9} {'re-import s':>11} {'file MB':>8}"
        f" {'import/session ×':>17} {'export/session ×':>17}"
    )
    for n, (imp, exp, again, size) in results.items():
        imp_ratio = (imp / n) / (base[0] / base_n)
        exp_ratio = (exp / n) / (base[1] / base_n)
        print(
            f"{n:>9,} {imp:>9.3f} {exp:>9.3f} {again:>11.3f} {size / 1e6:>8.2f}"
            f" {imp_ratio:>17.2f} {exp_ratio:>17.2f}"
        )
    if 10_000 in results:
        imp, exp, _, _ = results[10_000]
        print(
            f"goal at 10,000 sessions: import {imp:.3f} s (≤ 1 s: {'met' if imp <= 1 else 'MISSED'}),"
            f" export {exp:.3f} s (≤ 0.5 s: {'met' if exp <= 0.5 else 'MISSED'})"
        )
    print(f"ratios: time per session divided by the time per session at {base_n:,} (1.0 = linear)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    args = parser.parse_args()
    asyncio.run(main([int(s) for s in args.sizes.split(",")]))
