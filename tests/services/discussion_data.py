"""Sessions, papers and comments for the discussion and LLM tests, written straight to the
database (the schedule service has its own tests)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from storage.db import Database
from storage.models import Comment, Paper, PaperRole, ReadingSession
from storage.repositories.papers import arxiv_key

GUILD = 910_000_000_000_000_001
OTHER_GUILD = 910_000_000_000_000_002
ALICE = 111
BOB = 222
ORGANIZER = 333

# Thursday 6 March 2025, half an hour into the 18:00 UTC session.
NOW = datetime(2025, 3, 6, 18, 30, tzinfo=UTC)

LLAVA = {
    "arxiv_id": "2304.08485",
    "title": "Visual Instruction Tuning",
    "authors": ["Haotian Liu", "Chunyuan Li", "Qingyang Wu", "Yong Jae Lee"],
    "abstract": (
        "Instruction tuning large language models (LLMs) using machine-generated "
        "instruction-following data has improved zero-shot capabilities on new tasks. We "
        "present LLaVA: Large Language and Vision Assistant, an end-to-end trained large "
        "multimodal model that connects a vision encoder and LLM."
    ),
    "comment": "NeurIPS 2023 Oral; project page: https://llava-vl.github.io/",
}
CLIP = {
    "arxiv_id": "2103.00020",
    "title": "Learning Transferable Visual Models From Natural Language Supervision",
    "authors": ["Alec Radford", "Jong Wook Kim"],
    "abstract": "We learn image representations from 400 million image-text pairs.",
    "comment": None,
}


async def add_paper(db: Database, guild_id: int, spec: dict) -> Paper:
    async with db.unit() as uow:
        return await uow.papers.add(
            Paper(
                guild_id=guild_id,
                ref_key=arxiv_key(spec["arxiv_id"]),
                arxiv_id=spec["arxiv_id"],
                url=f"https://arxiv.org/abs/{spec['arxiv_id']}",
                title=spec["title"],
                authors=spec["authors"],
                abstract=spec["abstract"],
                comment=spec["comment"],
            )
        )


async def add_session(
    db: Database,
    guild_id: int,
    starts_at: datetime,
    *,
    papers: Sequence[Paper] = (),
    title: str | None = None,
    minutes: int = 60,
) -> int:
    async with db.unit() as uow:
        row = await uow.sessions.add(
            ReadingSession(
                guild_id=guild_id, starts_at=starts_at, title=title, duration_minutes=minutes
            )
        )
        await uow.sessions.set_papers(guild_id, row.id, [(p, PaperRole.MAIN, None) for p in papers])
        return row.id  # type: ignore[return-value]


async def add_comment(
    db: Database, guild_id: int, session_id: int, text: str, *, author: str = "alice"
) -> Comment:
    async with db.unit() as uow:
        comment, _ = await uow.comments.add(
            Comment(
                guild_id=guild_id,
                session_id=session_id,
                author_id=ALICE,
                author_name=author,
                text=text,
            )
        )
        return comment


async def all_comments(db: Database, guild_id: int, session_id: int) -> list[Comment]:
    async with db.unit() as uow:
        return await uow.comments.for_session(guild_id, session_id)
