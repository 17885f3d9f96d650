"""Repositories: typed queries over the models. Cogs and services never build SQL."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.repositories.candidates import CandidateRepository, HistoryRow
from storage.repositories.comments import CommentRepository, SummaryRepository
from storage.repositories.guilds import BotStateRepository, GuildConfigRepository, NoticeRepository
from storage.repositories.markdown import MarkdownRepository
from storage.repositories.papers import PaperRepository, ProposalRepository
from storage.repositories.publish import PublishRepository
from storage.repositories.readinglist import ReadingListRepository
from storage.repositories.reminders import ReminderRepository
from storage.repositories.sessions import LinkedPaper, SessionRepository


class UnitOfWork:
    """Every repository over one database transaction."""

    def __init__(self, tx: AsyncSession) -> None:
        self.tx = tx
        self.guilds = GuildConfigRepository(tx)
        self.notices = NoticeRepository(tx)
        self.state = BotStateRepository(tx)
        self.sessions = SessionRepository(tx)
        self.papers = PaperRepository(tx)
        self.proposals = ProposalRepository(tx)
        self.comments = CommentRepository(tx)
        self.summaries = SummaryRepository(tx)
        self.readinglist = ReadingListRepository(tx)
        self.reminders = ReminderRepository(tx)
        self.markdown = MarkdownRepository(tx)
        self.candidates = CandidateRepository(tx)
        self.publish = PublishRepository(tx)

    async def flush(self) -> None:
        await self.tx.flush()


__all__ = [
    "BotStateRepository",
    "CandidateRepository",
    "CommentRepository",
    "GuildConfigRepository",
    "HistoryRow",
    "LinkedPaper",
    "MarkdownRepository",
    "NoticeRepository",
    "PaperRepository",
    "ProposalRepository",
    "PublishRepository",
    "ReadingListRepository",
    "ReminderRepository",
    "SessionRepository",
    "SummaryRepository",
    "UnitOfWork",
]
