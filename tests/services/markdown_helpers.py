"""Shared helpers for the markdown tests: a service on a database, and the stored state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.events import EventBus
from bot.markdown.service import MarkdownService
from storage.db import Database
from tests.conftest import SHARED_DIR
from tests.harness.clock import FakeClock

README_PATH = SHARED_DIR / "examples" / "schedule-readme.md"
README = README_PATH.read_text(encoding="utf-8")
GUILD = 1001
OTHER_GUILD = 2002
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class Recorder:
    events: list[Any]

    async def __call__(self, event: Any) -> None:
        self.events.append(event)


def make_service(db: Database, clock: FakeClock | None = None) -> MarkdownService:
    return MarkdownService(
        db, EventBus(), clock or FakeClock(NOW), default_timezone="Europe/Berlin"
    )


async def snapshot(db: Database, guild_id: int) -> dict[str, Any]:
    """Everything an import writes, without ids or timestamps (to compare two servers)."""
    async with db.unit() as uow:
        config = await uow.guilds.get(guild_id)
        rows = await uow.sessions.all(guild_id)
        by_id = {r.id: r for r in rows}
        papers = await uow.sessions.papers_for([r.id for r in rows if r.id is not None])
        sessions = []
        for row in rows:
            target = by_id.get(row.continues_id) if row.continues_id else None
            comments = await uow.comments.for_session(guild_id, row.id)  # type: ignore[arg-type]
            sessions.append(
                {
                    "starts_at": row.starts_at,
                    "kind": row.kind,
                    "title": row.title,
                    "block": (row.block_name, row.block_part),
                    "continues": target.starts_at if target else None,
                    "details": row.details,
                    "papers": [(lp.paper.ref_key, lp.role, lp.label) for lp in papers[row.id]],
                    "comments": [(c.text, c.pinned, c.source) for c in comments],
                }
            )
        all_papers = {}
        for linked in [lp for lps in papers.values() for lp in lps]:
            p = linked.paper
            all_papers[p.ref_key] = (p.title, p.url, p.authors, p.code_links, p.demo_links)
        topics = await uow.readinglist.topics(guild_id)
        items = await uow.readinglist.items(guild_id)
        names = {t.id: t.path for t in topics}
        reading = sorted(
            (names[i.item.topic_id], i.item.position, i.paper.ref_key, i.item.label, i.item.read)
            for i in items
        )
        for i in items:
            p = i.paper
            all_papers[p.ref_key] = (p.title, p.url, p.authors, p.code_links, p.demo_links)
        return {
            "group_name": config.group_name if config else None,
            "sessions": sessions,
            "papers": all_papers,
            "topics": sorted((t.path, t.position) for t in topics),
            "reading": reading,
        }
