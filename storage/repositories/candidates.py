"""Candidates from the Daily Papers feed: what the group has done with papers (the history
the ranking learns from), the feed's papers, cached embeddings and the digest settings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import col

from storage.models import (
    CandidateDigestConfig,
    FeedPaper,
    Paper,
    PaperEmbedding,
    Proposal,
    ReadingItem,
    ReadingSession,
    SessionPaper,
    SessionStatus,
    Vote,
)
from storage.repositories.base import Repository, dialect_insert, table_of
from storage.types import utcnow


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One thing the group did with a paper.

    ``kind`` is ``session`` (with ``starts_at``), ``proposal`` (with ``status``, ``votes``
    and ``proposal_number``, its number in the server) or ``reading`` (with ``read``).
    """

    paper: Paper
    kind: str
    starts_at: datetime | None = None
    status: str | None = None
    votes: int = 0
    proposal_number: int | None = None
    read: bool = False


class CandidateRepository(Repository):
    # ------------------------------------------------------------------ history

    async def history(self, guild_id: int) -> list[HistoryRow]:
        """Sessions (not cancelled), proposals with their votes, and reading-list entries."""
        rows: list[HistoryRow] = []
        sessions = await self.tx.execute(
            select(Paper, col(ReadingSession.starts_at))
            .join(SessionPaper, col(SessionPaper.paper_id) == col(Paper.id))
            .join(ReadingSession, col(ReadingSession.id) == col(SessionPaper.session_id))
            .where(
                col(ReadingSession.guild_id) == guild_id,
                col(ReadingSession.status) == SessionStatus.SCHEDULED,
            )
        )
        rows += [HistoryRow(p, "session", starts_at=s) for p, s in sessions.all()]
        votes = (
            select(col(Vote.proposal_id), func.count().label("n"))
            .where(col(Vote.guild_id) == guild_id)
            .group_by(col(Vote.proposal_id))
            .subquery()
        )
        proposals = await self.tx.execute(
            select(Paper, col(Proposal.status), col(Proposal.number), func.coalesce(votes.c.n, 0))
            .join(Proposal, col(Proposal.paper_id) == col(Paper.id))
            .outerjoin(votes, votes.c.proposal_id == col(Proposal.id))
            .where(col(Proposal.guild_id) == guild_id)
        )
        rows += [
            HistoryRow(p, "proposal", status=status, proposal_number=number, votes=int(n))
            for p, status, number, n in proposals.all()
        ]
        reading = await self.tx.execute(
            select(Paper, col(ReadingItem.read))
            .join(ReadingItem, col(ReadingItem.paper_id) == col(Paper.id))
            .where(col(ReadingItem.guild_id) == guild_id)
        )
        rows += [HistoryRow(p, "reading", read=bool(read)) for p, read in reading.all()]
        return rows

    # ------------------------------------------------------------------ feed papers

    async def feed_papers(self, arxiv_ids: Iterable[str]) -> dict[str, FeedPaper]:
        ids = list(dict.fromkeys(arxiv_ids))
        if not ids:
            return {}
        found: dict[str, FeedPaper] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            result = await self.tx.scalars(
                select(FeedPaper).where(col(FeedPaper.arxiv_id).in_(chunk))
            )
            found.update({row.arxiv_id: row for row in result.all()})
        return found

    async def save_feed_papers(self, papers: Sequence[FeedPaper]) -> None:
        """Insert or update (by arXiv id); details already fetched are kept unless given."""
        existing = await self.feed_papers(p.arxiv_id for p in papers)
        for paper in papers:
            row = existing.get(paper.arxiv_id)
            if row is None:
                self.tx.add(paper)
                existing[paper.arxiv_id] = paper
                continue
            row.title = paper.title
            row.abstract = paper.abstract or row.abstract
            row.authors = paper.authors or row.authors
            row.upvotes = paper.upvotes
            row.published_at = paper.published_at or row.published_at
            row.feed_day = paper.feed_day or row.feed_day
            row.listed_at = paper.listed_at
            if paper.details_at is not None:
                row.keywords = paper.keywords
                row.github_repo = paper.github_repo
                row.project_page = paper.project_page
                row.spaces = paper.spaces
                row.details_at = paper.details_at
        await self.tx.flush()

    # ------------------------------------------------------------------ embeddings

    async def embeddings(self, model: str, hashes: Iterable[str]) -> dict[str, PaperEmbedding]:
        keys = list(dict.fromkeys(hashes))
        found: dict[str, PaperEmbedding] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            result = await self.tx.scalars(
                select(PaperEmbedding).where(
                    col(PaperEmbedding.model) == model, col(PaperEmbedding.text_hash).in_(chunk)
                )
            )
            found.update({row.text_hash: row for row in result.all()})
        return found

    async def save_embeddings(self, rows: Sequence[PaperEmbedding]) -> None:
        """Store new vectors; one another process stored meanwhile is kept as it is."""
        if not rows:
            return
        now = utcnow()
        table = table_of(PaperEmbedding)
        stmt = dialect_insert(self.tx, table).values(
            [
                {
                    "model": r.model,
                    "text_hash": r.text_hash,
                    "dimensions": r.dimensions,
                    "vector": r.vector,
                    "created_at": now,
                }
                for r in rows
            ]
        )
        await self.tx.execute(stmt.on_conflict_do_nothing())

    # ------------------------------------------------------------------ digest settings

    async def digest(self, guild_id: int) -> CandidateDigestConfig | None:
        return await self.tx.get(CandidateDigestConfig, guild_id)

    async def digest_or_new(self, guild_id: int) -> CandidateDigestConfig:
        row = await self.digest(guild_id)
        if row is None:
            row = CandidateDigestConfig(guild_id=guild_id)
            self.tx.add(row)
            await self.tx.flush()
        return row

    async def enabled_digests(self) -> list[CandidateDigestConfig]:
        """Every server's digest that is on and has a channel."""
        rows = await self.tx.scalars(
            select(CandidateDigestConfig).where(
                col(CandidateDigestConfig.enabled).is_(True),
                col(CandidateDigestConfig.channel_id).is_not(None),
            )
        )
        return list(rows.all())
