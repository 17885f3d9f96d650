"""Repositories: typed queries over the models. Cogs and services never build SQL."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.repositories.candidates import CandidateRepository, HistoryRow
from storage.repositories.comments import CommentRepository, SummaryRepository
from storage.repositories.guilds import BotStateRepository, GuildConfigRepository, NoticeRepository
from storage.repositories.markdown import MarkdownRepository
from storage.repositories.papers import PaperRepository, ProposalRepository
from storage.repositories.readinglist import ReadingListRepository
from storage.repositories.reminders import ReminderRepository
from storage.repositories.sessions import LinkedPaper, SessionRepository


class UnitOfWork:
    """Every repository over one database transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.guilds = GuildConfigRepository(session)
        self.notices = NoticeRepository(session)
        self.state = BotStateRepository(session)
        self.sessions = SessionRepository(session)
        self.papers = PaperRepository(session)
        self.proposals = ProposalRepository(session)
        self.comments = CommentRepository(session)
        self.summaries = SummaryRepository(session)
        self.reading = ReadingListRepository(session)
        self.reminders = ReminderRepository(session)
        self.markdown = MarkdownRepository(session)
        self.candidates = CandidateRepository(session)

    async def flush(self) -> None:
        await self.session.flush()


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
    "ReadingListRepository",
    "ReminderRepository",
    "SessionRepository",
    "SummaryRepository",
    "UnitOfWork",
]
