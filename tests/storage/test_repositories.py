"""Each repository against a real database (SQLite, and PostgreSQL when it answers)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import (
    Comment,
    DeliveryStatus,
    Paper,
    PaperRole,
    Proposal,
    ReadingSession,
    SessionKind,
    SessionStatus,
    Summary,
)
from storage.repositories.papers import arxiv_key, url_key

GUILD_A = 111_111_111_111_111_111
GUILD_B = 222_222_222_222_222_222
T0 = datetime(2025, 2, 7, 17, 0, tzinfo=UTC)


def _session(guild: int, starts: datetime, **kw: object) -> ReadingSession:
    return ReadingSession(guild_id=guild, starts_at=starts, **kw)  # type: ignore[arg-type]


async def test_guild_settings_defaults_and_update(db: Database) -> None:
    async with db.unit() as uow:
        config = await uow.guilds.get_or_create(GUILD_A, default_timezone="Europe/Berlin")
        assert config.timezone == "Europe/Berlin"
        assert config.lead_times_minutes == [60]
        assert config.date_format == "DD.MM.YYYY"
    async with db.unit() as uow:
        await uow.guilds.update(GUILD_A, lead_times_minutes=[1440, 15], organizer_role_id=2**62)
    async with db.unit() as uow:
        config = await uow.guilds.get(GUILD_A)
        assert config is not None
        assert config.lead_times_minutes == [1440, 15]
        assert config.organizer_role_id == 2**62  # 64-bit snowflakes survive
        with pytest.raises(AttributeError):
            await uow.guilds.update(GUILD_A, no_such_setting=1)


async def test_first_settings_of_a_server_created_twice_at_once(db: Database) -> None:
    """Two first commands of a new server in parallel transactions: both get the one row."""

    async def first_command(zone: str) -> str:
        async with db.unit() as uow:
            config = await uow.guilds.get_or_create(GUILD_B, default_timezone=zone)
            return config.timezone

    zones = await asyncio.gather(*(first_command(z) for z in ("Asia/Tokyo", "UTC", "Europe/Oslo")))
    assert len(set(zones)) == 1  # every command saw the one row the first insert made
    async with db.unit() as uow:
        assert len(await uow.guilds.get_many([GUILD_B])) == 1


async def test_notice_is_given_once_per_guild(db: Database) -> None:
    async with db.unit() as uow:
        assert await uow.notices.first_time(GUILD_A, "manage_events")
        assert not await uow.notices.first_time(GUILD_A, "manage_events")
        assert await uow.notices.first_time(GUILD_B, "manage_events")
        await uow.notices.clear(GUILD_A, "manage_events")
        assert await uow.notices.first_time(GUILD_A, "manage_events")


async def test_bot_state(db: Database) -> None:
    async with db.unit() as uow:
        assert await uow.state.get("x") is None
        await uow.state.set("x", "1")
        await uow.state.set("x", "2")
    async with db.unit() as uow:
        assert await uow.state.get("x") == "2"


async def test_times_round_trip_as_aware_utc(db: Database) -> None:
    berlin = T0.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
    async with db.unit() as uow:
        row = await uow.sessions.add(_session(GUILD_A, berlin))
        sid = row.id
    async with db.unit() as uow:
        row = await uow.sessions.get(GUILD_A, sid)  # type: ignore[arg-type]
        assert row is not None
        assert row.starts_at == T0
        assert row.starts_at.tzinfo is not None
        assert row.starts_at.utcoffset() == timedelta(0)


async def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        async with db.unit() as uow:
            await uow.sessions.add(_session(GUILD_A, datetime(2025, 1, 1, 12)))


async def test_sessions_upcoming_past_next_and_clash(db: Database) -> None:
    now = T0
    async with db.unit() as uow:
        for weeks in (-2, -1, 1, 2, 3):
            await uow.sessions.add(
                _session(GUILD_A, now + timedelta(weeks=weeks), title=f"w{weeks}")
            )
        await uow.sessions.add(
            _session(GUILD_A, now + timedelta(weeks=4), status=SessionStatus.CANCELLED)
        )
        await uow.sessions.add(_session(GUILD_B, now + timedelta(days=1), title="other guild"))
    async with db.unit() as uow:
        upcoming, total = await uow.sessions.page(GUILD_A, now, "upcoming", limit=10, offset=0)
        assert [s.title for s in upcoming] == ["w1", "w2", "w3"] and total == 3
        second, total = await uow.sessions.page(GUILD_A, now, "upcoming", limit=1, offset=1)
        assert [s.title for s in second] == ["w2"] and total == 3
        past, total = await uow.sessions.page(GUILD_A, now, "past", limit=10, offset=0)
        assert [s.title for s in past] == ["w-1", "w-2"] and total == 2
        everything, total = await uow.sessions.page(GUILD_A, now, "all", limit=10, offset=0)
        assert [s.title for s in everything] == ["w-2", "w-1", "w1", "w2", "w3"] and total == 5
        nxt = await uow.sessions.next_after(GUILD_A, now)
        assert nxt is not None and nxt.title == "w1"
        last = await uow.sessions.last_before(GUILD_A, now)
        assert last is not None and last.title == "w-1"
        assert (await uow.sessions.latest(GUILD_A)).title == "w3"  # type: ignore[union-attr]
        clash = await uow.sessions.at(GUILD_A, now + timedelta(weeks=1))
        assert clash is not None and clash.title == "w1"
        assert await uow.sessions.at(GUILD_B, now + timedelta(weeks=1)) is None
        assert await uow.sessions.count(GUILD_A) == 5
        assert await uow.sessions.count(GUILD_A, include_cancelled=True) == 6
        overlapping = await uow.sessions.overlapping(
            GUILD_A, now + timedelta(weeks=1, minutes=30), now + timedelta(weeks=1, hours=2)
        )
        assert [s.title for s in overlapping] == ["w1"]


async def test_session_in_progress_counts_as_upcoming(db: Database) -> None:
    async with db.unit() as uow:
        await uow.sessions.add(_session(GUILD_A, T0, duration_minutes=90, title="running"))
    async with db.unit() as uow:
        during = T0 + timedelta(minutes=45)
        rows, total = await uow.sessions.page(GUILD_A, during, "upcoming", limit=10, offset=0)
        assert [s.title for s in rows] == ["running"] and total == 1
        after = T0 + timedelta(minutes=91)
        assert await uow.sessions.page(GUILD_A, after, "upcoming", limit=10, offset=0) == ([], 0)


async def test_upcoming_pages_across_the_running_session(db: Database) -> None:
    async with db.unit() as uow:
        await uow.sessions.add(_session(GUILD_A, T0 - timedelta(hours=3), title="ended"))
        await uow.sessions.add(_session(GUILD_A, T0 - timedelta(minutes=30), title="running"))
        for day in (1, 2, 3):
            await uow.sessions.add(_session(GUILD_A, T0 + timedelta(days=day), title=f"d{day}"))
    async with db.unit() as uow:
        pages = [
            await uow.sessions.page(GUILD_A, T0, "upcoming", limit=2, offset=o) for o in (0, 2, 4)
        ]
        assert [[s.title for s in rows] for rows, _ in pages] == [
            ["running", "d1"],
            ["d2", "d3"],
            [],
        ]
        assert {total for _, total in pages} == {4}


async def test_blocks_search_and_presenters(db: Database) -> None:
    async with db.unit() as uow:
        for part in (1, 2, 3):
            await uow.sessions.add(
                _session(
                    GUILD_A,
                    T0 + timedelta(weeks=part),
                    kind=SessionKind.BLOCK_PART,
                    block_name="RLHF Block",
                    block_part=part,
                    title="Motivation",
                    presenter_id=1000 + part % 2,
                )
            )
        paper = await uow.papers.add(
            Paper(guild_id=GUILD_A, ref_key=arxiv_key("2009.01325"), title="Learning to summarize")
        )
        session = await uow.sessions.add(_session(GUILD_A, T0 + timedelta(weeks=9)))
        await uow.sessions.set_papers(GUILD_A, session.id, [(paper, PaperRole.MAIN, None)])  # type: ignore[arg-type]
    async with db.unit() as uow:
        parts = await uow.sessions.in_block(GUILD_A, "rlhf block")
        assert [p.block_part for p in parts] == [1, 2, 3]
        assert await uow.sessions.block_names(GUILD_A, "rlhf") == ["RLHF Block"]
        assert await uow.sessions.in_block(GUILD_B, "RLHF Block") == []
        found = await uow.sessions.search(GUILD_A, "summarize")
        assert [s.id for s in found] == [session.id]
        assert len(await uow.sessions.search(GUILD_A, "motiv")) == 3
        assert await uow.sessions.search(GUILD_A, "100%_") == []
        assert await uow.sessions.search(GUILD_B, "motiv") == []
        last = await uow.sessions.last_presented(GUILD_A)
        assert last == {1001: T0 + timedelta(weeks=3), 1000: T0 + timedelta(weeks=2)}


async def test_session_papers_keep_order_role_and_label(db: Database) -> None:
    async with db.unit() as uow:
        a = await uow.papers.add(
            Paper(guild_id=GUILD_A, ref_key=arxiv_key("2008.07669"), title="HiPPO")
        )
        b = await uow.papers.add(
            Paper(guild_id=GUILD_A, ref_key=arxiv_key("2111.00396"), title="S4")
        )
        c = await uow.papers.add(
            Paper(
                guild_id=GUILD_A,
                ref_key=url_key("https://srush.github.io/annotated-s4/"),
                title="The Annotated S4",
                source="manual",
            )
        )
        s = await uow.sessions.add(
            _session(GUILD_A, T0, kind=SessionKind.TOPIC, title="Towards Mamba")
        )
        await uow.sessions.set_papers(
            GUILD_A,
            s.id,  # type: ignore[arg-type]
            [
                (a, "main", "HiPPo"),
                (b, "main", "S4 paper"),
                (c, "see_also", "Annotated S4 blog post"),
                (a, "main", None),
            ],
        )
    async with db.unit() as uow:
        linked = await uow.sessions.papers(s.id)  # type: ignore[arg-type]
        assert [(lp.paper.title, lp.role, lp.label) for lp in linked] == [
            ("HiPPO", "main", "HiPPo"),
            ("S4", "main", "S4 paper"),
            ("The Annotated S4", "see_also", "Annotated S4 blog post"),
        ]
        many = await uow.sessions.papers_for([s.id, 999_999])  # type: ignore[list-item]
        assert len(many[s.id]) == 3 and many[999_999] == []  # type: ignore[index]
        assert [x.id for x in await uow.sessions.sessions_with_paper(GUILD_A, b.id)] == [s.id]  # type: ignore[arg-type]
        # Deleting a session removes its links, not its papers.
        assert await uow.sessions.delete(GUILD_A, s.id)  # type: ignore[arg-type]
        assert not await uow.sessions.delete(GUILD_B, a.id)  # type: ignore[arg-type]
    async with db.unit() as uow:
        assert await uow.papers.count(GUILD_A) == 3


async def test_papers_are_unique_per_guild(db: Database) -> None:
    async with db.unit() as uow:
        await uow.papers.add(
            Paper(guild_id=GUILD_A, ref_key=arxiv_key("2304.08485"), title="LLaVA")
        )
        await uow.papers.add(
            Paper(guild_id=GUILD_B, ref_key=arxiv_key("2304.08485"), title="LLaVA")
        )
    with pytest.raises(IntegrityError):
        async with db.unit() as uow:
            await uow.papers.add(
                Paper(guild_id=GUILD_A, ref_key=arxiv_key("2304.08485"), title="again")
            )
    async with db.unit() as uow:
        found = await uow.papers.by_keys(GUILD_A, [arxiv_key("2304.08485"), arxiv_key("1.2")])
        assert list(found) == [arxiv_key("2304.08485")]
        assert [p.title for p in await uow.papers.search(GUILD_A, "llav")] == ["LLaVA"]
        assert await uow.papers.count(GUILD_B) == 1


async def test_proposals_votes_toggle_and_rank(db: Database) -> None:
    async with db.unit() as uow:
        p1 = await uow.papers.add(Paper(guild_id=GUILD_A, ref_key="url:a", title="A"))
        p2 = await uow.papers.add(Paper(guild_id=GUILD_A, ref_key="url:b", title="B"))
        old = await uow.proposals.add(
            Proposal(guild_id=GUILD_A, paper_id=p1.id, proposer_id=1, created_at=T0)  # type: ignore[arg-type]
        )
        new = await uow.proposals.add(
            Proposal(guild_id=GUILD_A, paper_id=p2.id, proposer_id=2, created_at=T0 + timedelta(1))  # type: ignore[arg-type]
        )
    async with db.unit() as uow:
        assert [p.id for p, _, _ in await uow.proposals.ranked(GUILD_A)] == [old.id, new.id]
        assert await uow.proposals.toggle_vote(GUILD_A, new.id, 7)  # type: ignore[arg-type]
        assert await uow.proposals.toggle_vote(GUILD_A, new.id, 8)  # type: ignore[arg-type]
        assert not await uow.proposals.toggle_vote(GUILD_A, new.id, 8)  # second click removes
        assert await uow.proposals.vote_count(new.id) == 1  # type: ignore[arg-type]
        ranked = await uow.proposals.ranked(GUILD_A)
        assert [(p.id, n) for p, _, n in ranked] == [(new.id, 1), (old.id, 0)]
        assert await uow.proposals.ranked(GUILD_B) == []
        assert await uow.proposals.get(GUILD_B, new.id) is None  # type: ignore[arg-type]
        assert (await uow.proposals.open_for_paper(GUILD_A, p1.id)).id == old.id  # type: ignore[union-attr, arg-type]
        assert await uow.proposals.count_open(GUILD_A) == 2


async def test_comments_dedupe_by_message_and_pins(db: Database) -> None:
    async with db.unit() as uow:
        s = await uow.sessions.add(_session(GUILD_A, T0))
        first, created = await uow.comments.add(
            Comment(guild_id=GUILD_A, session_id=s.id, text="Fig. 2 is unclear", message_id=5)  # type: ignore[arg-type]
        )
        assert created
        again, created = await uow.comments.add(
            Comment(guild_id=GUILD_A, session_id=s.id, text="Fig. 2 is unclear", message_id=5)  # type: ignore[arg-type]
        )
        assert not created and again.id == first.id
        await uow.comments.add(
            Comment(guild_id=GUILD_A, session_id=s.id, text="pinned one", pinned=True)  # type: ignore[arg-type]
        )
    async with db.unit() as uow:
        assert await uow.comments.count(GUILD_A, s.id) == 2  # type: ignore[arg-type]
        assert await uow.comments.count(GUILD_B, s.id) == 0  # type: ignore[arg-type]
        pinned = await uow.comments.for_session(GUILD_A, s.id, pinned_only=True)  # type: ignore[arg-type]
        assert [c.text for c in pinned] == ["pinned one"]
        by_session = await uow.comments.pinned_for(GUILD_A, [s.id])  # type: ignore[list-item]
        assert [c.text for c in by_session[s.id]] == ["pinned one"]  # type: ignore[index]
        comment = await uow.comments.get(GUILD_A, first.id)  # type: ignore[arg-type]
        assert comment is not None
        assert await uow.comments.get(GUILD_B, first.id) is None  # type: ignore[arg-type]
        await uow.comments.remove(comment)
    async with db.unit() as uow:
        assert await uow.comments.count(GUILD_A, s.id) == 1  # type: ignore[arg-type]


async def test_summaries_by_input_hash(db: Database) -> None:
    async with db.unit() as uow:
        s = await uow.sessions.add(_session(GUILD_A, T0))
        await uow.summaries.save(
            Summary(
                guild_id=GUILD_A,
                session_id=s.id,  # type: ignore[arg-type]
                model="m",
                input_hash="h1",
                summary="first",
                open_questions=["Why?"],
            )
        )
        await uow.summaries.save(
            Summary(guild_id=GUILD_A, session_id=s.id, model="m", input_hash="h1", summary="redo")  # type: ignore[arg-type]
        )
    async with db.unit() as uow:
        found = await uow.summaries.find(GUILD_A, s.id, "m", "h1")  # type: ignore[arg-type]
        assert found is not None and found.summary == "redo"
        assert await uow.summaries.find(GUILD_A, s.id, "m", "h2") is None  # type: ignore[arg-type]
        assert await uow.summaries.find(GUILD_B, s.id, "m", "h1") is None  # type: ignore[arg-type]
        assert (await uow.summaries.latest(GUILD_A, s.id)).summary == "redo"  # type: ignore[union-attr, arg-type]


async def test_reading_list_nested_topics_and_read_flags(db: Database) -> None:
    async with db.unit() as uow:
        fusion = await uow.readinglist.ensure_topic(GUILD_A, " Representation Learning /  Fusion ")
        again = await uow.readinglist.ensure_topic(GUILD_A, "representation learning/fusion")
        assert again.id == fusion.id
        assert fusion.path == "Representation Learning/Fusion"
        parent = await uow.readinglist.topic(GUILD_A, "Representation Learning")
        assert parent is not None and fusion.parent_id == parent.id
        paper = await uow.papers.add(Paper(guild_id=GUILD_A, ref_key="url:x", title="Perceiver"))
        item, created = await uow.readinglist.add_item(
            GUILD_A, fusion, paper, label="Jaegle et al."
        )
        assert created and not item.read
        _, created = await uow.readinglist.add_item(GUILD_A, fusion, paper)
        assert not created
        assert await uow.readinglist.mark(GUILD_A, paper.id, read=True) == 1  # type: ignore[arg-type]
        assert await uow.readinglist.mark(GUILD_A, paper.id, read=True) == 0  # type: ignore[arg-type]
    async with db.unit() as uow:
        topics = await uow.readinglist.topics(GUILD_A)
        assert [t.path for t in topics] == [
            "Representation Learning",
            "Representation Learning/Fusion",
        ]
        items = await uow.readinglist.items(GUILD_A)
        assert [(i.paper.title, i.item.read, i.item.label) for i in items] == [
            ("Perceiver", True, "Jaegle et al.")
        ]
        assert await uow.readinglist.topics(GUILD_B) == []
        assert await uow.readinglist.items(GUILD_B) == []
        assert [t.path for t in await uow.readinglist.search_topics(GUILD_A, "fus")] == [
            "Representation Learning/Fusion"
        ]


async def test_reminder_claim_is_exclusive_and_leases_expire(db: Database) -> None:
    async with db.unit() as uow:
        s = await uow.sessions.add(_session(GUILD_A, T0))
    key = f"lead:60:s{s.id}:{(T0 - timedelta(hours=1)).isoformat()}"
    common = dict(
        guild_id=GUILD_A,
        dedupe_key=key,
        kind="lead:60",
        due_at=T0 - timedelta(hours=1),
        session_id=s.id,
    )
    now = T0 - timedelta(hours=1)
    async with db.unit() as uow:
        first = await uow.reminders.try_claim(
            **common, owner="A", now=now, lease_expired_before=now - timedelta(minutes=5)
        )
        assert first is not None and first.claimed_by == "A" and first.attempts == 1
    async with db.unit() as uow:
        # A second instance inside the lease gets nothing.
        assert (
            await uow.reminders.try_claim(
                **common, owner="B", now=now, lease_expired_before=now - timedelta(minutes=5)
            )
            is None
        )
    later = now + timedelta(minutes=10)
    async with db.unit() as uow:
        # After the lease, a crashed claim is taken over (the post must still happen).
        taken = await uow.reminders.try_claim(
            **common, owner="B", now=later, lease_expired_before=later - timedelta(minutes=5)
        )
        assert taken is not None and taken.claimed_by == "B" and taken.attempts == 2
        assert [d.dedupe_key for d in await uow.reminders.unfinished()] == [key]
        await uow.reminders.mark(taken, DeliveryStatus.SENT, message_id=99, sent_at=later)
    async with db.unit() as uow:
        # Once sent, nobody can claim it again, however old.
        assert (
            await uow.reminders.try_claim(
                **common, owner="C", now=later, lease_expired_before=later + timedelta(days=9)
            )
            is None
        )
        assert await uow.reminders.unfinished() == []
        assert (GUILD_A, key) in await uow.reminders.keys_since(now - timedelta(days=1))
        row = await uow.reminders.get(GUILD_A, key)
        assert row is not None and row.message_id == 99
        assert await uow.reminders.get(GUILD_B, key) is None


async def test_a_failed_unit_of_work_saves_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.unit() as uow:
            await uow.sessions.add(_session(GUILD_A, T0, title="half"))
            raise RuntimeError("boom")
    async with db.unit() as uow:
        assert await uow.sessions.count(GUILD_A) == 0
