"""Papers (metadata cached per server), proposals and votes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, or_, select

from storage.models import Paper, Proposal, ProposalStatus, Vote
from storage.repositories.base import Repository, dialect_insert
from storage.types import utcnow


def arxiv_key(arxiv_id: str) -> str:
    return f"arxiv:{arxiv_id}"


def url_key(url: str) -> str:
    return f"url:{url}"


class PaperRepository(Repository):
    async def get(self, guild_id: int, paper_id: int) -> Paper | None:
        row = await self.session.get(Paper, paper_id)
        if row is None or row.guild_id != guild_id:
            return None
        return row

    async def by_key(self, guild_id: int, ref_key: str) -> Paper | None:
        return await self.session.scalar(
            select(Paper).where(Paper.guild_id == guild_id, Paper.ref_key == ref_key)
        )

    async def by_keys(self, guild_id: int, ref_keys: Iterable[str]) -> dict[str, Paper]:
        keys = list(dict.fromkeys(ref_keys))
        if not keys:
            return {}
        rows = await self.session.scalars(
            select(Paper).where(Paper.guild_id == guild_id, Paper.ref_key.in_(keys))
        )
        return {row.ref_key: row for row in rows.all()}

    async def add(self, paper: Paper) -> Paper:
        self.session.add(paper)
        await self.session.flush()
        return paper

    async def touch(self, paper: Paper) -> None:
        paper.updated_at = utcnow()
        await self.session.flush()

    async def search(self, guild_id: int, text: str, *, limit: int = 25) -> list[Paper]:
        stmt = select(Paper).where(Paper.guild_id == guild_id)
        text = text.strip()
        if text:
            pattern = f"%{text.replace('%', '').replace('_', ' ')}%"
            stmt = stmt.where(
                or_(
                    Paper.title.ilike(pattern),
                    Paper.arxiv_id.ilike(pattern),
                    Paper.url.ilike(pattern),
                )
            )
        stmt = stmt.order_by(Paper.updated_at.desc()).limit(limit)
        return list((await self.session.scalars(stmt)).all())

    async def count(self, guild_id: int) -> int:
        return int(
            await self.session.scalar(
                select(func.count()).select_from(Paper).where(Paper.guild_id == guild_id)
            )
            or 0
        )


class ProposalRepository(Repository):
    async def add(self, proposal: Proposal) -> Proposal:
        self.session.add(proposal)
        await self.session.flush()
        return proposal

    async def get(self, guild_id: int, proposal_id: int) -> Proposal | None:
        row = await self.session.get(Proposal, proposal_id)
        if row is None or row.guild_id != guild_id:
            return None
        return row

    async def open_for_paper(self, guild_id: int, paper_id: int) -> Proposal | None:
        return await self.session.scalar(
            select(Proposal).where(
                Proposal.guild_id == guild_id,
                Proposal.paper_id == paper_id,
                Proposal.status == ProposalStatus.OPEN,
            )
        )

    async def ranked(
        self, guild_id: int, *, limit: int = 25, offset: int = 0
    ) -> list[tuple[Proposal, Paper, int]]:
        """Open proposals with their paper and vote count: most votes first, then oldest."""
        votes = (
            select(Vote.proposal_id, func.count().label("n"))
            .where(Vote.guild_id == guild_id)
            .group_by(Vote.proposal_id)
            .subquery()
        )
        stmt = (
            select(Proposal, Paper, func.coalesce(votes.c.n, 0))
            .join(Paper, Paper.id == Proposal.paper_id)
            .outerjoin(votes, votes.c.proposal_id == Proposal.id)
            .where(Proposal.guild_id == guild_id, Proposal.status == ProposalStatus.OPEN)
            .order_by(func.coalesce(votes.c.n, 0).desc(), Proposal.created_at, Proposal.id)
            .offset(offset)
            .limit(limit)
        )
        return [(p, paper, int(n)) for p, paper, n in (await self.session.execute(stmt)).all()]

    async def count_open(self, guild_id: int) -> int:
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(Proposal)
                .where(Proposal.guild_id == guild_id, Proposal.status == ProposalStatus.OPEN)
            )
            or 0
        )

    async def toggle_vote(self, guild_id: int, proposal_id: int, user_id: int) -> bool:
        """Add the member's vote, or remove it if present. True when the vote now exists."""
        removed = await self.session.execute(
            delete(Vote).where(Vote.proposal_id == proposal_id, Vote.user_id == user_id)
        )
        if removed.rowcount:
            return False
        stmt = dialect_insert(self.session, Vote.__table__).values(
            proposal_id=proposal_id, user_id=user_id, guild_id=guild_id, created_at=utcnow()
        )
        await self.session.execute(stmt.on_conflict_do_nothing())
        return True

    async def vote_count(self, proposal_id: int) -> int:
        return int(
            await self.session.scalar(
                select(func.count()).select_from(Vote).where(Vote.proposal_id == proposal_id)
            )
            or 0
        )

    async def voters(self, proposal_id: int) -> Sequence[int]:
        return list(
            (
                await self.session.scalars(
                    select(Vote.user_id).where(Vote.proposal_id == proposal_id)
                )
            ).all()
        )
