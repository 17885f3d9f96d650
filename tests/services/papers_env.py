"""The paper services wired together on one database, the fake arXiv and a fake clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time

from bot.events import EventBus, SessionChanged
from bot.papers.arxiv import ArxivService
from bot.papers.proposals import ProposalService
from bot.papers.service import PaperService
from bot.readinglist.service import ReadingListService
from bot.schedule.presenters import PresenterService
from bot.schedule.service import ScheduleService
from storage.db import Database
from tests.harness.arxiv import FakeArxiv
from tests.harness.clock import FakeClock

GUILD = 900_000_000_000_000_101
OTHER_GUILD = 900_000_000_000_000_102
NOW = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)  # a Monday
ALICE, BOB, CAROL, DAVE = 1001, 1002, 1003, 1004

LLAVA = "2304.08485"
CLIP = "2103.00020"
SIGLIP = "2303.15343"


@dataclass
class PaperEnv:
    db: Database
    clock: FakeClock
    arxiv: FakeArxiv
    events: EventBus
    papers: PaperService
    schedule: ScheduleService
    proposals: ProposalService
    presenters: PresenterService
    reading: ReadingListService
    changes: list[SessionChanged] = field(default_factory=list)


def add_papers(fake: FakeArxiv) -> None:
    fake.add_entry(
        LLAVA,
        version=2,
        title="Visual Instruction Tuning",
        authors=["Haotian Liu", "Chunyuan Li", "Qingyang Wu", "Yong Jae Lee"],
        abstract="We present LLaVA. Code is available at https://github.com/haotian-liu/LLaVA.",
        comment="NeurIPS 2023 Oral; project page: https://llava-vl.github.io/",
        categories=["cs.CV", "cs.AI", "cs.CL", "cs.LG"],
    )
    fake.add_entry(
        CLIP,
        title="Learning Transferable Visual Models From Natural Language Supervision",
        authors=["Alec Radford", "Jong Wook Kim"],
        categories=["cs.CV", "cs.LG"],
    )
    fake.add_entry(SIGLIP, title="Sigmoid Loss for Language Image Pre-Training")


async def build_env(db: Database, arxiv_service: ArxivService, fake: FakeArxiv) -> PaperEnv:
    add_papers(fake)
    clock = FakeClock(NOW)
    events = EventBus()
    papers = PaperService(db, clock, arxiv_service)
    schedule = ScheduleService(db, events, clock, default_timezone="Europe/Berlin", papers=papers)
    env = PaperEnv(
        db=db,
        clock=clock,
        arxiv=fake,
        events=events,
        papers=papers,
        schedule=schedule,
        proposals=ProposalService(db, clock, papers, schedule),
        presenters=PresenterService(db, clock),
        reading=ReadingListService(db, events, clock, papers),
    )

    async def record(change: SessionChanged) -> None:
        env.changes.append(change)

    events.subscribe(SessionChanged, record)
    async with db.unit() as uow:
        for guild in (GUILD, OTHER_GUILD):
            await uow.guilds.update(
                guild, timezone="Europe/Berlin", meeting_weekday=3, meeting_time=time(18, 0)
            )
    return env
