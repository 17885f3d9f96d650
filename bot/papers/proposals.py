"""Paper proposals and votes: what the group might read next.

A member proposes a paper (fetched from arXiv, or given by hand for a paper elsewhere);
members vote, one vote each, a second vote taking it back; the queue ranks open proposals by
votes, then by age; the proposer or an organizer withdraws one; an organizer turns one into a
session. Knows nothing of Discord.

Network first, then one transaction: the paper is looked up (arXiv) before any unit of work
opens, and everything a command changes is written in one unit of work.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from bot.clock import Clock
from bot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.papers.lookup import PaperSpec
from bot.papers.refs import check_not_withdrawn, paper_ref
from bot.papers.service import PaperService
from bot.schedule.drafts import SessionDraft
from bot.schedule.service import ScheduleService, SessionInfo
from bot.text import check_text
from storage.db import Database
from storage.models import Paper, Proposal, ProposalStatus, SessionKind, id_of
from storage.repositories import UnitOfWork

NOTE_LIMIT = 300
MAX_PER_PAGE = 25


@dataclass(frozen=True, slots=True)
class ProposalInfo:
    """A proposal with its paper and vote count, as shown on its message and in the queue."""

    proposal: Proposal
    paper: Paper
    votes: int
    session_number: int | None = None  # the number of the session it was scheduled as

    @property
    def id(self) -> int:
        """The global key (internals only: members see and type :attr:`number`)."""
        assert self.proposal.id is not None
        return self.proposal.id

    @property
    def number(self) -> int:
        """The proposal's number in its server: what members see as ``#3`` and type."""
        return self.proposal.number

    @property
    def is_open(self) -> bool:
        return self.proposal.status == ProposalStatus.OPEN


@dataclass(frozen=True, slots=True)
class QueuePage:
    items: list[ProposalInfo]
    number: int  # 0-based
    pages: int
    total: int
    per_page: int


def _closed_message(view: ProposalInfo) -> str:
    if view.proposal.status == ProposalStatus.WITHDRAWN:
        return f"Proposal #{view.number} was withdrawn, so it takes no more votes or changes."
    session = f" (session #{view.session_number})" if view.session_number else ""
    return f"Proposal #{view.number} is already scheduled{session}; its voting is closed."


class ProposalService:
    def __init__(
        self, db: Database, clock: Clock, papers: PaperService, schedule: ScheduleService
    ) -> None:
        self.db = db
        self.clock = clock
        self.papers = papers
        self.schedule_service = schedule

    # ----------------------------------------------------------------------------------
    # Reading

    async def _get(self, uow: UnitOfWork, guild_id: int, proposal_id: int) -> ProposalInfo:
        found = await uow.proposals.with_paper(guild_id, proposal_id)
        if found is None:
            raise NotFound("That proposal is not in this server (any more).")
        proposal, paper = found
        session = (
            await uow.sessions.get(guild_id, proposal.session_id) if proposal.session_id else None
        )
        votes = await uow.proposals.vote_count(proposal_id)
        return ProposalInfo(proposal, paper, votes, session.number if session else None)

    async def get(self, guild_id: int, proposal_id: int) -> ProposalInfo:
        async with self.db.unit() as uow:
            return await self._get(uow, guild_id, proposal_id)

    async def id_for(self, guild_id: int, number: int) -> int:
        """The proposal a member means by ``#number`` in this server."""
        async with self.db.unit() as uow:
            row = await uow.proposals.by_number(guild_id, number)
        if row is None:
            raise NotFound(f"There is no proposal #{number} in this server.")
        return id_of(row)

    async def queue(self, guild_id: int, *, number: int = 0, per_page: int = 10) -> QueuePage:
        """One page of open proposals: most votes first, then the oldest."""
        per_page = max(1, min(per_page, MAX_PER_PAGE))
        async with self.db.unit() as uow:
            total = await uow.proposals.count_open(guild_id)
            pages = max(1, math.ceil(total / per_page))
            number = min(max(0, number), pages - 1)
            rows = await uow.proposals.ranked(guild_id, limit=per_page, offset=number * per_page)
        items = [ProposalInfo(p, paper, votes) for p, paper, votes in rows]
        return QueuePage(items, number, pages, total, per_page)

    async def search_open(self, guild_id: int, text: str, limit: int = 25) -> list[ProposalInfo]:
        async with self.db.unit() as uow:
            rows = await uow.proposals.search_open(guild_id, text, limit=limit)
            counts = await uow.proposals.vote_counts([id_of(p) for p, _ in rows])
        return [ProposalInfo(p, paper, counts.get(id_of(p), 0)) for p, paper in rows]

    @staticmethod
    def check_note(note: str | None) -> str | None:
        """A proposal's note, checked before anything is looked up."""
        return check_text(note, what="note", limit=NOTE_LIMIT, multiline=True)

    # ----------------------------------------------------------------------------------
    # Writing

    async def propose(
        self,
        guild_id: int,
        spec: PaperSpec,
        *,
        proposer_id: int,
        presenter_id: int | None = None,
        note: str | None = None,
    ) -> ProposalInfo:
        """Store the paper and open a proposal for it, in one transaction.

        ``spec`` comes from :meth:`PaperService.lookup` (or ``manual_spec``), so no request
        is made here.
        """
        clean_note = self.check_note(note)
        now = self.clock.now()
        async with self.db.unit() as uow:
            paper = (await self.papers.store(uow, guild_id, [spec]))[0]
            check_not_withdrawn(paper)
            existing = await uow.proposals.open_for_paper(guild_id, id_of(paper))
            if existing is not None:
                raise Conflict(
                    f"{paper.title[:100]!r} is already proposed as #{existing.number}: vote for it "
                    "there (see /paper queue)."
                )
            proposal = await uow.proposals.add(
                Proposal(
                    guild_id=guild_id,
                    paper_id=id_of(paper),
                    proposer_id=proposer_id,
                    presenter_id=presenter_id,
                    note=clean_note,
                    created_at=now,
                    updated_at=now,
                )
            )
            return ProposalInfo(proposal, paper, 0)

    async def discard(self, guild_id: int, proposal_id: int) -> None:
        """Remove a proposal whose message could not be posted (nothing left half-way)."""
        async with self.db.unit() as uow:
            await uow.proposals.delete(guild_id, proposal_id)

    async def set_message(
        self, guild_id: int, proposal_id: int, channel_id: int, message_id: int
    ) -> None:
        async with self.db.unit() as uow:
            proposal = await uow.proposals.get(guild_id, proposal_id)
            if proposal is not None:
                proposal.channel_id = channel_id
                proposal.message_id = message_id
                await uow.flush()

    async def toggle_vote(
        self, guild_id: int, proposal_id: int, user_id: int
    ) -> tuple[bool, ProposalInfo]:
        """Vote, or take the vote back; True when the member's vote now counts."""
        async with self.db.unit() as uow:
            view = await self._get(uow, guild_id, proposal_id)
            if not view.is_open:
                raise InvalidInput(_closed_message(view))
            voted = await uow.proposals.toggle_vote(guild_id, proposal_id, user_id)
            votes = await uow.proposals.vote_count(proposal_id)
            return voted, replace(view, votes=votes)

    async def withdraw(
        self, guild_id: int, proposal_id: int, *, actor_id: int, is_organizer: bool
    ) -> ProposalInfo:
        """Withdraw an open proposal: its proposer or an organizer may."""
        async with self.db.unit() as uow:
            view = await self._get(uow, guild_id, proposal_id)
            proposal = view.proposal
            if proposal.proposer_id != actor_id and not is_organizer:
                raise PermissionDenied(
                    f"Only the member who proposed #{view.number} or an organizer can withdraw it."
                )
            if proposal.status == ProposalStatus.WITHDRAWN:
                raise InvalidInput(f"Proposal #{view.number} is already withdrawn.")
            if proposal.status == ProposalStatus.SCHEDULED:
                raise InvalidInput(
                    f"Proposal #{view.number} is already scheduled as session "
                    f"#{view.session_number}; cancel that session with /session cancel instead."
                )
            proposal.status = ProposalStatus.WITHDRAWN
            proposal.updated_at = self.clock.now()
            await uow.flush()
            return view

    async def schedule(
        self,
        guild_id: int,
        proposal_id: int,
        *,
        date_text: str,
        time_text: str | None = None,
        presenter_id: int | None = None,
        allow_past: bool = False,
        actor_id: int,
    ) -> tuple[ProposalInfo, SessionInfo]:
        """Turn an open proposal into a paper session (organizers).

        The session is created through :meth:`ScheduleService.add` (same checks: date, time
        slot, past dates) and the proposal is marked scheduled in the same transaction, so
        either both happen or neither. The presenter defaults to the proposal's.
        """
        async with self.db.unit() as uow:
            view = await self._get(uow, guild_id, proposal_id)
        if not view.is_open:
            raise InvalidInput(_closed_message(view))
        draft = SessionDraft(
            date_text=date_text,
            time_text=time_text,
            kind=SessionKind.PAPER,
            paper_refs=[paper_ref(view.paper)],
            presenter_id=presenter_id if presenter_id is not None else view.proposal.presenter_id,
            allow_past=allow_past,
        )
        marked: list[ProposalInfo] = []

        async def mark_scheduled(uow: UnitOfWork, session: SessionInfo) -> None:
            current = await self._get(uow, guild_id, proposal_id)
            if not current.is_open:  # withdrawn or scheduled meanwhile
                raise Conflict(_closed_message(current))
            current.proposal.status = ProposalStatus.SCHEDULED
            current.proposal.session_id = session.id
            current.proposal.updated_at = self.clock.now()
            await uow.flush()
            marked.append(replace(current, session_number=session.number))

        session = await self.schedule_service.add(
            guild_id, draft, actor_id=actor_id, on_saved=mark_scheduled
        )
        return marked[0], session
