"""Papers (metadata cached per server), proposals and votes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlmodel import col

from storage.models import Paper, Proposal, ProposalStatus, Vote
from storage.repositories.base import Repository, dialect_insert, escape_like, rowcount, table_of
from storage.repositories.numbering import next_numbers
from storage.types import utcnow


def arxiv_key(arxiv_id: str) -> str:
    return f"arxiv:{arxiv_id}"


def url_key(url: str) -> str:
    return f"url:{url}"


class PaperRepository(Repository):
    async def get(self, guild_id: int, paper_id: int) -> Paper | None:
        row = await self.tx.get(Paper, paper_id)
        if row is None or row.guild_id != guild_id:
            return None
        return row

    async def by_key(self, guild_id: int, ref_key: str) -> Paper | None:
        return await self.tx.scalar(
            select(Paper).where(col(Paper.guild_id) == guild_id, col(Paper.ref_key) == ref_key)
        )

    async def by_keys(self, guild_id: int, ref_keys: Iterable[str]) -> dict[str, Paper]:
        keys = list(dict.fromkeys(ref_keys))
        if not keys:
            return {}
        rows = await self.tx.scalars(
            select(Paper).where(col(Paper.guild_id) == guild_id, col(Paper.ref_key).in_(keys))
        )
        return {row.ref_key: row for row in rows.all()}

    async def add(self, paper: Paper) -> Paper:
        self.tx.add(paper)
        await self.tx.flush()
        return paper

    async def touch(self, paper: Paper) -> None:
        paper.updated_at = utcnow()
        await self.tx.flush()

    async def search(self, guild_id: int, text: str, *, limit: int = 25) -> list[Paper]:
        stmt = select(Paper).where(col(Paper.guild_id) == guild_id)
        text = text.strip()
        if text:
            pattern = f"%{text.replace('%', '').replace('_', ' ')}%"
            stmt = stmt.where(
                or_(
                    col(Paper.title).ilike(pattern),
                    col(Paper.arxiv_id).ilike(pattern),
                    col(Paper.url).ilike(pattern),
                )
            )
        stmt = stmt.order_by(col(Paper.updated_at).desc()).limit(limit)
        return list((await self.tx.scalars(stmt)).all())

    async def count(self, guild_id: int) -> int:
        return int(
            await self.tx.scalar(
                select(func.count()).select_from(Paper).where(col(Paper.guild_id) == guild_id)
            )
            or 0
        )

    async def by_title(self, guild_id: int, title: str, *, limit: int = 10) -> list[Paper]:
        """Stored papers whose title equals ``title``, ignoring case and outer spaces."""
        stmt = (
            select(Paper)
            .where(
                col(Paper.guild_id) == guild_id,
                func.lower(col(Paper.title)) == title.strip().lower(),
            )
            .order_by(col(Paper.id))
            .limit(limit)
        )
        return list((await self.tx.scalars(stmt)).all())


class ProposalRepository(Repository):
    async def add(self, proposal: Proposal) -> Proposal:
        """Save a new proposal; it takes the server's next number."""
        proposal.number = await next_numbers(self.tx, table_of(Proposal), proposal.guild_id)
        self.tx.add(proposal)
        await self.tx.flush()
        return proposal

    async def get(self, guild_id: int, proposal_id: int) -> Proposal | None:
        row = await self.tx.get(Proposal, proposal_id)
        if row is None or row.guild_id != guild_id:
            return None
        return row

    async def by_number(self, guild_id: int, number: int) -> Proposal | None:
        """The proposal members know as ``#number`` in this server."""
        return await self.tx.scalar(
            select(Proposal).where(
                col(Proposal.guild_id) == guild_id, col(Proposal.number) == number
            )
        )

    async def with_paper(self, guild_id: int, proposal_id: int) -> tuple[Proposal, Paper] | None:
        row = (
            await self.tx.execute(
                select(Proposal, Paper)
                .join(Paper, col(Paper.id) == col(Proposal.paper_id))
                .where(col(Proposal.guild_id) == guild_id, col(Proposal.id) == proposal_id)
            )
        ).first()
        return (row[0], row[1]) if row is not None else None

    async def for_paper(self, guild_id: int, paper_id: int) -> list[Proposal]:
        """Every proposal of a paper, oldest first."""
        rows = await self.tx.scalars(
            select(Proposal)
            .where(col(Proposal.guild_id) == guild_id, col(Proposal.paper_id) == paper_id)
            .order_by(col(Proposal.created_at), col(Proposal.id))
        )
        return list(rows.all())

    async def delete(self, guild_id: int, proposal_id: int) -> bool:
        result = await self.tx.execute(
            delete(Proposal).where(
                col(Proposal.guild_id) == guild_id, col(Proposal.id) == proposal_id
            )
        )
        return bool(rowcount(result))

    async def search_open(
        self, guild_id: int, text: str, *, limit: int = 25
    ) -> list[tuple[Proposal, Paper]]:
        """Open proposals whose paper title or arXiv id contains ``text`` (autocomplete)."""
        stmt = (
            select(Proposal, Paper)
            .join(Paper, col(Paper.id) == col(Proposal.paper_id))
            .where(col(Proposal.guild_id) == guild_id, col(Proposal.status) == ProposalStatus.OPEN)
        )
        text = text.strip().lstrip("#")
        if text:
            pattern = f"%{escape_like(text)}%"
            conditions: list[ColumnElement[bool]] = [
                col(Paper.title).ilike(pattern, escape="\\"),
                col(Paper.arxiv_id).ilike(pattern, escape="\\"),
            ]
            if text.isdigit():
                conditions.append(col(Proposal.id) == int(text))
            stmt = stmt.where(or_(*conditions))
        stmt = stmt.order_by(col(Proposal.created_at).desc(), col(Proposal.id).desc()).limit(limit)
        return [(p, paper) for p, paper in (await self.tx.execute(stmt)).all()]

    async def proposers(self, guild_id: int) -> dict[int, datetime]:
        """Members who proposed a paper or were named to present one: their first proposal.

        Part of the presenter rotation: someone who proposed papers but never presented is a
        natural next presenter.
        """
        result: dict[int, datetime] = {}
        for column in (col(Proposal.proposer_id), col(Proposal.presenter_id)):
            rows = await self.tx.execute(
                select(column, func.min(col(Proposal.created_at)))
                .where(col(Proposal.guild_id) == guild_id, column.is_not(None))
                .group_by(column)
            )
            for user_id, first in rows.all():
                if user_id is None or first is None:
                    continue
                known = result.get(int(user_id))
                result[int(user_id)] = first if known is None else min(known, first)
        return result

    async def open_for_paper(self, guild_id: int, paper_id: int) -> Proposal | None:
        return await self.tx.scalar(
            select(Proposal).where(
                col(Proposal.guild_id) == guild_id,
                col(Proposal.paper_id) == paper_id,
                col(Proposal.status) == ProposalStatus.OPEN,
            )
        )

    async def ranked(
        self, guild_id: int, *, limit: int = 25, offset: int = 0
    ) -> list[tuple[Proposal, Paper, int]]:
        """Open proposals with their paper and vote count: most votes first, then oldest."""
        votes = (
            select(col(Vote.proposal_id), func.count().label("n"))
            .where(col(Vote.guild_id) == guild_id)
            .group_by(col(Vote.proposal_id))
            .subquery()
        )
        stmt = (
            select(Proposal, Paper, func.coalesce(votes.c.n, 0))
            .join(Paper, col(Paper.id) == col(Proposal.paper_id))
            .outerjoin(votes, votes.c.proposal_id == col(Proposal.id))
            .where(col(Proposal.guild_id) == guild_id, col(Proposal.status) == ProposalStatus.OPEN)
            .order_by(
                func.coalesce(votes.c.n, 0).desc(), col(Proposal.created_at), col(Proposal.id)
            )
            .offset(offset)
            .limit(limit)
        )
        return [(p, paper, int(n)) for p, paper, n in (await self.tx.execute(stmt)).all()]

    async def count_open(self, guild_id: int) -> int:
        return int(
            await self.tx.scalar(
                select(func.count())
                .select_from(Proposal)
                .where(
                    col(Proposal.guild_id) == guild_id, col(Proposal.status) == ProposalStatus.OPEN
                )
            )
            or 0
        )

    async def toggle_vote(self, guild_id: int, proposal_id: int, user_id: int) -> bool:
        """Add the member's vote, or remove it if present. True when the vote now exists."""
        removed = await self.tx.execute(
            delete(Vote).where(col(Vote.proposal_id) == proposal_id, col(Vote.user_id) == user_id)
        )
        if rowcount(removed):
            return False
        stmt = dialect_insert(self.tx, table_of(Vote)).values(
            proposal_id=proposal_id, user_id=user_id, guild_id=guild_id, created_at=utcnow()
        )
        await self.tx.execute(stmt.on_conflict_do_nothing())
        return True

    async def vote_count(self, proposal_id: int) -> int:
        return int(
            await self.tx.scalar(
                select(func.count()).select_from(Vote).where(col(Vote.proposal_id) == proposal_id)
            )
            or 0
        )

    async def vote_counts(self, proposal_ids: Sequence[int]) -> dict[int, int]:
        counts = {pid: 0 for pid in proposal_ids}
        if not counts:
            return counts
        rows = await self.tx.execute(
            select(col(Vote.proposal_id), func.count())
            .where(col(Vote.proposal_id).in_(list(counts)))
            .group_by(col(Vote.proposal_id))
        )
        for proposal_id, n in rows.all():
            counts[int(proposal_id)] = int(n)
        return counts

    async def voters(self, proposal_id: int) -> Sequence[int]:
        return list(
            (
                await self.tx.scalars(
                    select(col(Vote.user_id)).where(col(Vote.proposal_id) == proposal_id)
                )
            ).all()
        )
