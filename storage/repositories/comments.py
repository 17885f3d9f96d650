"""The discussion log and stored LLM summaries."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import col

from storage.models import Comment, Summary
from storage.repositories.base import Repository, escape_like, table_of
from storage.repositories.numbering import next_numbers


class CommentRepository(Repository):
    async def add(self, comment: Comment) -> tuple[Comment, bool]:
        """Save a comment. A comment logged from a message already in the log is not copied:
        the existing one is returned with ``False``."""
        if comment.message_id is not None:
            existing = await self.by_message(comment.message_id)
            if existing is not None:
                return existing, False
        comment.number = await next_numbers(self.tx, table_of(Comment), comment.guild_id)
        self.tx.add(comment)
        await self.tx.flush()
        return comment, True

    async def by_message(self, message_id: int) -> Comment | None:
        return await self.tx.scalar(select(Comment).where(col(Comment.message_id) == message_id))

    async def get(self, guild_id: int, comment_id: int) -> Comment | None:
        row = await self.tx.get(Comment, comment_id)
        if row is None or row.guild_id != guild_id:
            return None
        return row

    async def by_number(self, guild_id: int, number: int) -> Comment | None:
        """The comment members know as ``#number`` in this server."""
        return await self.tx.scalar(
            select(Comment).where(col(Comment.guild_id) == guild_id, col(Comment.number) == number)
        )

    async def for_session(
        self, guild_id: int, session_id: int, *, pinned_only: bool = False
    ) -> list[Comment]:
        stmt = select(Comment).where(
            col(Comment.guild_id) == guild_id, col(Comment.session_id) == session_id
        )
        if pinned_only:
            stmt = stmt.where(col(Comment.pinned).is_(True))
        stmt = stmt.order_by(col(Comment.created_at), col(Comment.id))
        return list((await self.tx.scalars(stmt)).all())

    async def page(
        self, guild_id: int, session_id: int, *, offset: int = 0, limit: int = 10
    ) -> list[Comment]:
        """Comments of a session in logging order, one page at a time."""
        return list(
            (
                await self.tx.scalars(
                    select(Comment)
                    .where(col(Comment.guild_id) == guild_id, col(Comment.session_id) == session_id)
                    .order_by(col(Comment.created_at), col(Comment.id))
                    .offset(max(0, offset))
                    .limit(limit)
                )
            ).all()
        )

    async def search(
        self,
        guild_id: int,
        text: str = "",
        *,
        session_id: int | None = None,
        limit: int = 25,
    ) -> list[Comment]:
        """Newest first; ``text`` matches the comment or its author's name."""
        stmt = select(Comment).where(col(Comment.guild_id) == guild_id)
        if session_id is not None:
            stmt = stmt.where(col(Comment.session_id) == session_id)
        text = text.strip()
        if text:
            pattern = f"%{escape_like(text)}%"
            stmt = stmt.where(
                col(Comment.text).ilike(pattern, escape="\\")
                | col(Comment.author_name).ilike(pattern, escape="\\")
            )
        stmt = stmt.order_by(col(Comment.created_at).desc(), col(Comment.id).desc()).limit(limit)
        return list((await self.tx.scalars(stmt)).all())

    async def pinned_for(self, guild_id: int, session_ids: list[int]) -> dict[int, list[Comment]]:
        result: dict[int, list[Comment]] = {sid: [] for sid in session_ids}
        if not session_ids:
            return result
        rows = await self.tx.scalars(
            select(Comment)
            .where(
                col(Comment.guild_id) == guild_id,
                col(Comment.session_id).in_(session_ids),
                col(Comment.pinned).is_(True),
            )
            .order_by(col(Comment.session_id), col(Comment.created_at), col(Comment.id))
        )
        for row in rows.all():
            result[row.session_id].append(row)
        return result

    async def count(self, guild_id: int, session_id: int) -> int:
        return int(
            await self.tx.scalar(
                select(func.count())
                .select_from(Comment)
                .where(col(Comment.guild_id) == guild_id, col(Comment.session_id) == session_id)
            )
            or 0
        )

    async def remove(self, comment: Comment) -> None:
        await self.tx.delete(comment)
        await self.tx.flush()


class SummaryRepository(Repository):
    async def find(
        self, guild_id: int, session_id: int, model: str, input_hash: str
    ) -> Summary | None:
        return await self.tx.scalar(
            select(Summary).where(
                col(Summary.guild_id) == guild_id,
                col(Summary.session_id) == session_id,
                col(Summary.model) == model,
                col(Summary.input_hash) == input_hash,
            )
        )

    async def latest(self, guild_id: int, session_id: int) -> Summary | None:
        return await self.tx.scalar(
            select(Summary)
            .where(col(Summary.guild_id) == guild_id, col(Summary.session_id) == session_id)
            .order_by(col(Summary.created_at).desc(), col(Summary.id).desc())
            .limit(1)
        )

    async def save(self, summary: Summary) -> Summary:
        existing = await self.find(
            summary.guild_id, summary.session_id, summary.model, summary.input_hash
        )
        if existing is not None:
            existing.summary = summary.summary
            existing.key_points = summary.key_points
            existing.open_questions = summary.open_questions
            existing.created_at = summary.created_at
            await self.tx.flush()
            return existing
        self.tx.add(summary)
        await self.tx.flush()
        return summary
