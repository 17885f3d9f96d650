"""The candidates' storage on SQLite and PostgreSQL: the group's history, the feed's papers,
cached embeddings, digest settings, and digest rows on the reminders' ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from storage.db import Database
from storage.models import (
    FeedPaper,
    Paper,
    PaperEmbedding,
    Proposal,
    ProposalStatus,
    ReadingSession,
    SessionPaper,
    SessionStatus,
    Vote,
)

GUILD = 111_111_111_111_111_111
OTHER = 222_222_222_222_222_222
NOW = datetime(2024, 3, 15, 10, tzinfo=UTC)


async def test_history_has_sessions_proposals_with_votes_and_the_reading_list(db: Database) -> None:
    async with db.unit() as uow:
        read = await uow.papers.add(Paper(guild_id=GUILD, ref_key="arxiv:1", title="Read"))
        voted = await uow.papers.add(Paper(guild_id=GUILD, ref_key="arxiv:2", title="Voted"))
        elsewhere = await uow.papers.add(Paper(guild_id=OTHER, ref_key="arxiv:1", title="No"))
        past = await uow.sessions.add(ReadingSession(guild_id=GUILD, starts_at=NOW))
        cancelled = await uow.sessions.add(
            ReadingSession(guild_id=GUILD, starts_at=NOW, status=SessionStatus.CANCELLED)
        )
        assert read.id and voted.id and elsewhere.id and past.id and cancelled.id
        uow.tx.add(SessionPaper(session_id=past.id, paper_id=read.id, guild_id=GUILD))
        uow.tx.add(SessionPaper(session_id=cancelled.id, paper_id=voted.id, guild_id=GUILD))
        proposal = await uow.proposals.add(
            Proposal(guild_id=GUILD, paper_id=voted.id, proposer_id=1)
        )
        assert proposal.id is not None
        await uow.proposals.add(
            Proposal(
                guild_id=OTHER,
                paper_id=elsewhere.id,
                proposer_id=1,
                status=ProposalStatus.WITHDRAWN,
            )
        )
        for user in (5, 6):
            uow.tx.add(Vote(proposal_id=proposal.id, user_id=user, guild_id=GUILD))
        await uow.flush()

    async with db.unit() as uow:
        rows = await uow.candidates.history(GUILD)

    summary = sorted((r.kind, r.paper.title, r.votes, r.status) for r in rows)
    assert summary == [("proposal", "Voted", 2, "open"), ("session", "Read", 0, None)]


async def test_feed_papers_are_upserted_keeping_details(db: Database) -> None:
    first = FeedPaper(
        arxiv_id="2403.90001",
        title="T",
        abstract="A",
        upvotes=1,
        keywords=["k"],
        github_repo="https://github.com/o/r",
        details_at=NOW,
        feed_day=date(2024, 3, 14),
    )
    async with db.unit() as uow:
        await uow.candidates.save_feed_papers([first])
    later = FeedPaper(arxiv_id="2403.90001", title="T2", abstract="", upvotes=9, listed_at=NOW)
    async with db.unit() as uow:
        await uow.candidates.save_feed_papers([later])
    async with db.unit() as uow:
        row = (await uow.candidates.feed_papers(["2403.90001", "2403.99999"]))["2403.90001"]
    assert (row.title, row.abstract, row.upvotes) == ("T2", "A", 9)
    assert row.github_repo == "https://github.com/o/r" and row.keywords == ["k"]
    assert row.feed_day == date(2024, 3, 14)


async def test_embeddings_are_stored_once(db: Database) -> None:
    row = PaperEmbedding(model="m", text_hash="h" * 64, dimensions=2, vector=b"\x00" * 8)
    async with db.unit() as uow:
        await uow.candidates.save_embeddings([row])
    again = PaperEmbedding(model="m", text_hash="h" * 64, dimensions=2, vector=b"\x01" * 8)
    async with db.unit() as uow:
        await uow.candidates.save_embeddings([again])  # another process was first: kept
    async with db.unit() as uow:
        found = await uow.candidates.embeddings("m", ["h" * 64, "x"])
    assert list(found) == ["h" * 64] and found["h" * 64].vector == b"\x00" * 8


async def test_digest_rows_stay_out_of_the_reminders_planning(db: Database) -> None:
    lease = NOW - timedelta(minutes=5)
    async with db.unit() as uow:
        for kind in ("digest", "weekly"):
            await uow.reminders.try_claim(
                guild_id=GUILD,
                dedupe_key=f"{kind}:x",
                kind=kind,
                due_at=NOW,
                session_id=None,
                owner="A",
                now=NOW,
                lease_expired_before=lease,
            )
    async with db.unit() as uow:
        planned = await uow.reminders.ledger_since(NOW - timedelta(days=1))
        unfinished = await uow.reminders.unfinished()
        digest = await uow.reminders.get(GUILD, "digest:x")
    assert [r.dedupe_key for r in planned] == ["weekly:x"]
    assert [r.dedupe_key for r in unfinished] == ["weekly:x"]
    assert digest is not None and digest.kind == "digest"


async def test_digest_settings(db: Database) -> None:
    async with db.unit() as uow:
        assert await uow.candidates.digest(GUILD) is None
        row = await uow.candidates.digest_or_new(GUILD)
        row.channel_id = 42
        row.enabled = True
        other = await uow.candidates.digest_or_new(OTHER)
        other.enabled = True  # no channel: not posted anywhere
        await uow.flush()
    async with db.unit() as uow:
        assert [d.guild_id for d in await uow.candidates.enabled_digests()] == [GUILD]
