"""The schedule service on a real database and the fake arXiv (no Discord)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from bot.errors import Conflict, InvalidInput, NotFound
from bot.events import EventBus, SessionAction, SessionChanged
from bot.papers.arxiv import ArxivService
from bot.papers.refs import split_refs
from bot.papers.service import PaperService
from bot.schedule.calendar import build_calendar, session_uid
from bot.schedule.drafts import SessionDraft, SessionEdit
from bot.schedule.service import ScheduleService, headline
from storage.db import Database
from storage.models import SessionKind, SessionStatus
from tests.harness.arxiv import FakeArxiv
from tests.harness.clock import FakeClock

GUILD = 900_000_000_000_000_001
OTHER = 900_000_000_000_000_002
NOW = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)  # Monday


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def events() -> tuple[EventBus, list[SessionChanged]]:
    bus = EventBus()
    seen: list[SessionChanged] = []

    async def record(event: SessionChanged) -> None:
        seen.append(event)

    bus.subscribe(SessionChanged, record)
    return bus, seen


@pytest.fixture
async def schedule(
    sqlite_db: Database,
    clock: FakeClock,
    arxiv_service: ArxivService,
    fake_arxiv: FakeArxiv,
    events: tuple[EventBus, list[SessionChanged]],
) -> ScheduleService:
    fake_arxiv.add_entry(
        "2304.08485",
        title="Visual Instruction Tuning",
        authors=["Haotian Liu", "Chunyuan Li", "Qingyang Wu", "Yong Jae Lee"],
        abstract="Code is available at https://github.com/haotian-liu/LLaVA.",
    )
    fake_arxiv.add_entry("2103.00020", title="Learning Transferable Visual Models")
    fake_arxiv.add_entry("2009.01325", title="Learning to summarize from human feedback")
    service = ScheduleService(
        sqlite_db,
        events[0],
        clock,
        default_timezone="Europe/Berlin",
        papers=PaperService(sqlite_db, clock, arxiv_service),
    )
    async with sqlite_db.unit() as uow:
        await uow.guilds.update(
            GUILD, timezone="Europe/Berlin", meeting_weekday=3, meeting_time=time(18, 0)
        )
    return service


async def test_paper_session_fetches_metadata_and_uses_meeting_time(
    schedule: ScheduleService, events: tuple[EventBus, list[SessionChanged]]
) -> None:
    view = await schedule.add(
        GUILD,
        SessionDraft(date_text="2025-02-06", paper_refs=["https://arxiv.org/abs/2304.08485v1"]),
        actor_id=7,
    )
    assert view.starts_at == datetime(2025, 2, 6, 17, tzinfo=UTC)  # 18:00 Berlin (CET)
    assert view.session.kind == SessionKind.PAPER
    assert [lp.paper.title for lp in view.papers] == ["Visual Instruction Tuning"]
    paper = view.papers[0].paper
    assert paper.authors[0] == "Haotian Liu"
    assert paper.code_links == [["GitHub", "https://github.com/haotian-liu/LLaVA"]]
    assert headline(view) == "Visual Instruction Tuning"
    assert events[1] == [SessionChanged(GUILD, view.id, SessionAction.CREATED, 7)]


async def test_bad_input_saves_nothing_and_costs_no_request(
    schedule: ScheduleService, sqlite_db: Database, fake_arxiv: FakeArxiv
) -> None:
    before = fake_arxiv.request_count
    cases = [
        (SessionDraft(date_text="03/04/2025", paper_refs=["2304.08485"]), "ambiguous"),
        (SessionDraft(date_text="2024-01-01", paper_refs=["2304.08485"]), "in the past"),
        (SessionDraft(date_text="2025-02-06", kind="paper"), "needs a paper"),
        (SessionDraft(date_text="2025-02-06", kind="topic"), "needs a title"),
        (SessionDraft(date_text="2025-02-06", kind="special"), "needs a title"),
        (SessionDraft(date_text="2025-02-06", kind="block_part"), "block's name"),
        (SessionDraft(date_text="2025-02-06", kind="continue"), "nothing to continue"),
        (SessionDraft(date_text="2025-02-06", kind="lecture"), "Unknown session kind"),
        (SessionDraft(date_text="2025-02-06", kind="tba", title="x" * 5000), "5,000"),
        (SessionDraft(date_text="2025-02-06", kind="special", title="Hi @everyone"), "mention"),
        (SessionDraft(date_text="2025-02-06", kind="tba", time_text="25:00"), "time"),
    ]
    for draft, fragment in cases:
        with pytest.raises(InvalidInput, match=fragment):
            await schedule.add(GUILD, draft, actor_id=1)
    assert fake_arxiv.request_count == before
    async with sqlite_db.unit() as uow:
        assert await uow.sessions.count(GUILD, include_cancelled=True) == 0
        assert await uow.papers.count(GUILD) == 0


async def test_unknown_arxiv_id_saves_nothing(
    schedule: ScheduleService, sqlite_db: Database
) -> None:
    with pytest.raises(NotFound, match=r"2501\.99999"):
        await schedule.add(
            GUILD,
            SessionDraft(
                date_text="2025-02-06",
                kind="topic",
                title="T",
                paper_refs=["2304.08485", "2501.99999"],
            ),
            actor_id=1,
        )
    async with sqlite_db.unit() as uow:
        assert await uow.sessions.count(GUILD) == 0
        assert await uow.papers.count(GUILD) == 0


async def test_clash_and_backfill(schedule: ScheduleService) -> None:
    await schedule.add(GUILD, SessionDraft(date_text="2025-02-06", kind="tba"), actor_id=1)
    with pytest.raises(Conflict, match="already takes that time"):
        await schedule.add(
            GUILD, SessionDraft(date_text="2025-02-06", time_text="18:30", kind="tba"), actor_id=1
        )
    # another server's schedule does not clash
    await schedule.add(OTHER, SessionDraft(date_text="2025-02-06 18:00", kind="tba"), actor_id=1)
    past = await schedule.add(
        GUILD,
        SessionDraft(
            date_text="01.02.2024", kind="special", title="Code Reading Group", allow_past=True
        ),
        actor_id=1,
    )
    assert past.starts_at == datetime(2024, 2, 1, 17, tzinfo=UTC)


async def test_no_meeting_time_needs_an_explicit_time(schedule: ScheduleService) -> None:
    with pytest.raises(InvalidInput, match="no meeting time"):
        await schedule.add(OTHER, SessionDraft(date_text="2025-02-06", kind="tba"), actor_id=1)


async def test_continue_chains_to_the_root_paper(schedule: ScheduleService) -> None:
    clip = await schedule.add(
        GUILD, SessionDraft(date_text="2025-02-06", paper_refs=["2103.00020"]), actor_id=1
    )
    first = await schedule.add(
        GUILD, SessionDraft(date_text="2025-02-13", kind="continue"), actor_id=1
    )
    second = await schedule.add(
        GUILD,
        SessionDraft(date_text="2025-02-20", kind="continue", title="Still (sic!) continue"),
        actor_id=1,
    )
    assert first.session.continues_id == clip.id
    assert first.continues is not None and first.continues.id == clip.id
    assert headline(first) == "Continue: Learning Transferable Visual Models"
    assert second.session.continues_id == first.id
    assert second.continues is not None and second.continues.id == clip.id  # the root
    assert headline(second) == "Still (sic!) continue"
    with pytest.raises(InvalidInput, match="comes before"):
        await schedule.add(
            GUILD,
            SessionDraft(date_text="2025-01-30", kind="continue", continues_id=clip.id),
            actor_id=1,
        )


async def test_continue_last_defaults_to_the_next_meeting(schedule: ScheduleService) -> None:
    base = await schedule.add(
        GUILD,
        SessionDraft(date_text="2025-02-06", paper_refs=["2103.00020"], presenter_id=42),
        actor_id=1,
    )
    nxt = await schedule.continue_last(
        GUILD,
        date_text=None,
        time_text=None,
        title="Continue + (very briefly) CLIPPO",
        notes=None,
        paper_refs=[],
        presenter_id=None,
        actor_id=1,
    )
    assert nxt.starts_at == datetime(2025, 2, 13, 17, tzinfo=UTC)  # next Thursday 18:00
    assert nxt.session.continues_id == base.id
    assert nxt.session.presenter_id == 42


async def test_block_parts_number_themselves_and_refuse_clashes(schedule: ScheduleService) -> None:
    parts = []
    for week, day in enumerate(("2025-02-06", "2025-02-13", "2025-02-20")):
        parts.append(
            await schedule.add(
                GUILD,
                SessionDraft(
                    date_text=day,
                    kind="block_part",
                    block_name="RLHF Block.",
                    title="Motivation and the RLHF fine-tuning",
                    paper_refs=["2009.01325"] if week == 0 else [],
                ),
                actor_id=1,
            )
        )
    assert [p.session.block_part for p in parts] == [1, 2, 3]
    assert parts[0].session.block_name == "RLHF Block"
    assert headline(parts[1]) == "RLHF Block. Part 2. Motivation and the RLHF fine-tuning"
    with pytest.raises(Conflict, match="already has a part 2"):
        await schedule.add(
            GUILD,
            SessionDraft(
                date_text="2025-02-27", kind="block_part", block_name="rlhf block", block_part=2
            ),
            actor_id=1,
        )
    page = await schedule.page(GUILD, block="RLHF Block")
    assert [v.session.block_part for v in page.items] == [1, 2, 3]


async def test_topic_with_several_papers_and_a_blog_post(schedule: ScheduleService) -> None:
    refs = split_refs(
        "2304.08485, https://arxiv.org/abs/2103.00020 https://srush.github.io/annotated-s4/"
    )
    view = await schedule.add(
        GUILD,
        SessionDraft(date_text="2025-02-06", kind="topic", title="Towards Mamba", paper_refs=refs),
        actor_id=1,
    )
    titles = [lp.paper.title for lp in view.papers]
    assert titles[:2] == ["Visual Instruction Tuning", "Learning Transferable Visual Models"]
    assert titles[2] == "srush.github.io/annotated-s4"
    assert view.papers[2].paper.arxiv_id is None
    assert headline(view) == "Towards Mamba"


async def test_title_reference_searches_arxiv(schedule: ScheduleService) -> None:
    view = await schedule.add(
        GUILD,
        SessionDraft(date_text="2025-02-06", paper_refs=["visual instruction tuning"]),
        actor_id=1,
    )
    assert view.papers[0].paper.arxiv_id == "2304.08485"
    with pytest.raises(NotFound):
        await schedule.add(
            GUILD,
            SessionDraft(date_text="2025-02-13", paper_refs=["no such paper anywhere"]),
            actor_id=1,
        )


async def test_edit_move_cancel(
    schedule: ScheduleService, events: tuple[EventBus, list[SessionChanged]]
) -> None:
    view = await schedule.add(GUILD, SessionDraft(date_text="2025-02-06", kind="tba"), actor_id=1)
    edited = await schedule.edit(
        GUILD,
        view.id,
        SessionEdit(kind="paper", paper_refs=["2304.08485"], presenter_id=5),
        actor_id=1,
    )
    assert edited.session.kind == "paper"
    assert edited.session.presenter_id == 5
    with pytest.raises(InvalidInput, match="needs a title"):
        await schedule.edit(GUILD, view.id, SessionEdit(kind="special"), actor_id=1)
    moved, previous = await schedule.move(
        GUILD, view.id, date_text="next thursday", time_text=None, actor_id=1
    )
    assert previous == datetime(2025, 2, 6, 17, tzinfo=UTC)
    assert moved.starts_at == datetime(2025, 1, 9, 17, tzinfo=UTC)  # keeps 18:00
    cancelled = await schedule.cancel(GUILD, view.id, actor_id=1)
    assert cancelled.session.status == SessionStatus.CANCELLED
    with pytest.raises(InvalidInput, match="already cancelled"):
        await schedule.cancel(GUILD, view.id, actor_id=1)
    with pytest.raises(NotFound):
        await schedule.cancel(OTHER, view.id, actor_id=1)
    assert [e.action for e in events[1]] == [
        SessionAction.CREATED,
        SessionAction.UPDATED,
        SessionAction.MOVED,
        SessionAction.CANCELLED,
    ]
    assert (await schedule.next(GUILD)) is None


async def test_next_and_pages(schedule: ScheduleService, clock: FakeClock) -> None:
    for day in range(1, 26):
        await schedule.add(
            GUILD,
            SessionDraft(date_text=(NOW + timedelta(days=day)).date().isoformat(), kind="tba"),
            actor_id=1,
        )
    page = await schedule.page(GUILD, number=2, per_page=10)
    assert (page.number, page.pages, page.total, len(page.items)) == (2, 3, 25, 5)
    clock.advance(days=3, hours=8, minutes=30)  # 18:30 Berlin on the third session's day
    running = await schedule.next(GUILD)
    assert running is not None
    assert running.starts_at == datetime(2025, 1, 9, 17, tzinfo=UTC)
    assert (await schedule.page(GUILD, scope="past")).total == 3


async def test_calendar_has_stable_uids_and_cancellations(schedule: ScheduleService) -> None:
    a = await schedule.add(
        GUILD, SessionDraft(date_text="2025-02-06", paper_refs=["2304.08485"]), actor_id=1
    )
    b = await schedule.add(GUILD, SessionDraft(date_text="2025-02-13", kind="tba"), actor_id=1)
    first = build_calendar(GUILD, await schedule.everything(GUILD, include_cancelled=True))
    await schedule.cancel(GUILD, b.id, actor_id=1)
    second = build_calendar(GUILD, await schedule.everything(GUILD, include_cancelled=True))
    from icalendar import Calendar

    events1 = {str(e["uid"]): e for e in Calendar.from_ical(first).walk("VEVENT")}
    events2 = {str(e["uid"]): e for e in Calendar.from_ical(second).walk("VEVENT")}
    assert set(events1) == set(events2) == {session_uid(GUILD, a.id), session_uid(GUILD, b.id)}
    assert str(events1[session_uid(GUILD, a.id)]["summary"]) == "Visual Instruction Tuning"
    assert events1[session_uid(GUILD, a.id)].decoded("dtstart") == datetime(
        2025, 2, 6, 17, tzinfo=UTC
    )
    assert str(events2[session_uid(GUILD, b.id)]["status"]) == "CANCELLED"
    assert "arxiv.org/abs/2304.08485" in str(events1[session_uid(GUILD, a.id)]["description"])


async def test_dates_follow_the_servers_date_format(
    schedule: ScheduleService, sqlite_db: Database
) -> None:
    """A date as the bot shows it on a DD/MM/YYYY server (03/04/2025) is 3 April there, in
    /session add and /session move alike; on a MM/DD/YYYY server it is 4 March."""
    async with sqlite_db.unit() as uow:
        await uow.guilds.update(GUILD, date_format="DD/MM/YYYY")
    view = await schedule.add(GUILD, SessionDraft(date_text="03/04/2025", kind="tba"), actor_id=1)
    assert view.starts_at.date().isoformat() == "2025-04-03"
    moved, _ = await schedule.move(
        GUILD, view.id, date_text="10/04/2025", time_text=None, actor_id=1
    )
    assert moved.starts_at.date().isoformat() == "2025-04-10"
    async with sqlite_db.unit() as uow:
        await uow.guilds.update(GUILD, date_format="MM/DD/YYYY")
    other = await schedule.add(GUILD, SessionDraft(date_text="03/04/2025", kind="tba"), actor_id=1)
    assert other.starts_at.date().isoformat() == "2025-03-04"
