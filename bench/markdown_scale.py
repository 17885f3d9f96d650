"""Markdown export and import at scale: 1,000 / 10,000 / 100,000 sessions, SQLite and PostgreSQL.

Each session has a paper (arXiv link, authors, a code and a demo link) and a pinned comment;
every tenth is a Continue row and every fiftieth a topic with three papers. The import reads
a generated README into an empty database; the export writes it back. Goals at 10,000
sessions: export ≤ 0.5 s, import ≤ 1 s; growth should be linear, so the time per session at
10k and 100k is compared with the 1k run of the same process (ratio ≈ 1.0 is linear).

PostgreSQL (``--backend postgresql`` or ``both``) runs each size in a fresh database next to
the one of ``--postgres-url`` (default: the test server, 127.0.0.1:5432/test) and is compared
with SQLite in the same run. ``--no-analyze-baseline N`` also measures N sessions on
PostgreSQL without the ANALYZE that follows bulk writes (the plans a fresh import got before).

    python bench/markdown_scale.py [--sizes 1000,10000,100000] [--backend sqlite|postgresql|both]
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
from storage.repositories import base as storage_base

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


POSTGRES_URL = "postgresql+asyncpg://127.0.0.1:5432/test"


async def _admin(url: str, statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"), timeout=5)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


class Backend:
    """Where a run stores its data: an SQLite file, or a fresh PostgreSQL database."""

    def __init__(self, name: str, directory: Path, postgres_url: str) -> None:
        self.name = name
        self.directory = directory
        self.postgres_url = postgres_url
        self.created: list[str] = []

    async def url(self, label: str) -> str:
        if self.name == "sqlite":
            return f"sqlite+aiosqlite:///{self.directory / f'bench-{label}.db'}"
        database = f"bench_markdown_{label}_{len(self.created)}"
        await _admin(self.postgres_url, f'DROP DATABASE IF EXISTS "{database}"')
        await _admin(self.postgres_url, f'CREATE DATABASE "{database}"')
        self.created.append(database)
        return f"{self.postgres_url.rpartition('/')[0]}/{database}"

    async def cleanup(self) -> None:
        for database in self.created:
            await _admin(self.postgres_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


async def measure(n: int, backend: Backend) -> tuple[float, float, float, int]:
    text = readme(n)
    db = await Database.open(await backend.url(str(n)))
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


def report(
    name: str, sizes: list[int], results: dict[int, tuple[float, float, float, int]]
) -> None:
    print(f"\n{name}")
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


async def run_backend(
    name: str, sizes: list[int], directory: Path, postgres_url: str
) -> dict[int, tuple[float, float, float, int]]:
    backend = Backend(name, directory, postgres_url)
    try:
        await measure(200, backend)  # warm-up: imports, regex compilation, migrations
        return {n: await measure(n, backend) for n in sizes}
    finally:
        await backend.cleanup()


def session_rows(n: int) -> list[dict[str, object]]:
    moment = datetime(2025, 1, 1, tzinfo=UTC)
    return [
        {
            "guild_id": GUILD,
            "number": i + 1,
            "starts_at": moment + timedelta(days=i),
            "duration_minutes": 60,
            "kind": "paper",
            "title": f"Session {i}",
            "status": "scheduled",
            "source": "import",
            "details": {"cells": ["a", "b"]} if i % 3 else {},
            "created_at": moment,
            "updated_at": moment,
        }
        for i in range(n)
    ]


async def bulk_paths(backends: list[str], n: int, directory: Path, postgres_url: str) -> None:
    """The one bulk-write path (pre-converted rows, one executemany) against SQLAlchemy's own
    executemany (what PostgreSQL took before), on each backend, same rows."""
    from sqlalchemy import insert

    from storage.models import ReadingSession

    table = ReadingSession.__table__  # type: ignore[attr-defined]
    print(f"\nbulk insert of {n:,} session rows (median of 3)")
    for name in backends:
        backend = Backend(name, directory, postgres_url)
        try:
            db = await Database.open(await backend.url("bulk"))
            await db.migrate()
            timings: dict[str, list[float]] = {"insert_rows": [], "sqlalchemy executemany": []}
            for _ in range(3):
                for label in timings:
                    rows = session_rows(n)
                    async with db.engine.begin() as conn:
                        began = time.perf_counter()
                        if label == "insert_rows":
                            await storage_base.insert_rows(conn, table, rows, analyze=False)
                        else:
                            await conn.execute(insert(table), rows)
                        timings[label].append(time.perf_counter() - began)
                        await conn.rollback()
            await db.close()
        finally:
            await backend.cleanup()
        ours = sorted(timings["insert_rows"])[1]
        theirs = sorted(timings["sqlalchemy executemany"])[1]
        print(
            f"  {name:>10}: insert_rows {ours:.3f} s, SQLAlchemy executemany {theirs:.3f} s, "
            f"{theirs / ours:.1f}× faster"
        )


async def main(
    sizes: list[int], backends: list[str], postgres_url: str, baseline: int, bulk: int = 0
) -> None:
    results: dict[str, dict[int, tuple[float, float, float, int]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if bulk:
            await bulk_paths(backends, bulk, Path(tmp), postgres_url)
        for name in backends:
            results[name] = await run_backend(name, sizes, Path(tmp), postgres_url)
            report(name, sizes, results[name])
        if baseline:
            saved = storage_base.ANALYZE_AFTER_ROWS
            storage_base.ANALYZE_AFTER_ROWS = 10**12
            try:
                old = await run_backend("postgresql", [baseline], Path(tmp), postgres_url)
            finally:
                storage_base.ANALYZE_AFTER_ROWS = saved
            imp, exp, again, _ = old[baseline]
            print(
                f"\npostgresql without ANALYZE after bulk writes, {baseline:,} sessions: "
                f"import {imp:.3f} s, export {exp:.3f} s, re-import {again:.3f} s"
            )
            if baseline in results.get("postgresql", {}):
                now = results["postgresql"][baseline]
                print(f"  export with ANALYZE is {exp / now[1]:.1f}× faster")
    if "sqlite" in results and "postgresql" in results:
        print("\npostgresql / sqlite (time, same sizes):")
        for n in sizes:
            s_imp, s_exp, s_again, _ = results["sqlite"][n]
            p_imp, p_exp, p_again, _ = results["postgresql"][n]
            print(
                f"{n:>9,}  import {p_imp / s_imp:5.2f}×  export {p_exp / s_exp:5.2f}×"
                f"  re-import {p_again / s_again:5.2f}×"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--no-analyze-baseline", type=int, default=0, metavar="N")
    parser.add_argument("--bulk", type=int, default=0, metavar="N", help="bulk-path rows")
    args = parser.parse_args()
    chosen = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    asyncio.run(
        main(
            [int(s) for s in args.sizes.split(",")],
            chosen,
            args.postgres_url,
            args.no_analyze_baseline,
            args.bulk,
        )
    )
