"""Proposals and votes on a real database (SQLite and PostgreSQL) and the fake arXiv."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.events import SessionAction
from bot.papers.arxiv import ArxivService
from bot.papers.proposals import ProposalInfo
from bot.schedule.drafts import SessionDraft
from storage.db import Database
from storage.models import PaperSource, ProposalStatus, SessionKind
from tests.harness.arxiv import FakeArxiv
from tests.services.papers_env import (
    ALICE,
    BOB,
    CAROL,
    CLIP,
    DAVE,
    GUILD,
    LLAVA,
    OTHER_GUILD,
    SIGLIP,
    PaperEnv,
    build_env,
)


@pytest.fixture
async def env(db: Database, arxiv_service: ArxivService, fake_arxiv: FakeArxiv) -> PaperEnv:
    return await build_env(db, arxiv_service, fake_arxiv)


async def propose(env: PaperEnv, ref: str, proposer: int = ALICE, **kw: object) -> ProposalInfo:
    spec = (await env.papers.lookup(GUILD, [ref], any_url=False))[0]
    return await env.proposals.propose(GUILD, spec, proposer_id=proposer, **kw)  # type: ignore[arg-type]


async def counts(env: PaperEnv, guild: int = GUILD) -> tuple[int, int, int]:
    """(papers, open proposals, sessions) of a guild."""
    async with env.db.unit() as uow:
        return (
            await uow.papers.count(guild),
            await uow.proposals.count_open(guild),
            await uow.sessions.count(guild, include_cancelled=True),
        )


# -- proposing ---------------------------------------------------------------------------


async def test_propose_by_id_stores_metadata_and_opens_a_proposal(env: PaperEnv) -> None:
    view = await propose(env, f"https://arxiv.org/abs/{LLAVA}", presenter_id=BOB, note="Fun")

    assert view.is_open and view.votes == 0
    assert view.proposal.proposer_id == ALICE
    assert view.proposal.presenter_id == BOB
    assert view.proposal.note == "Fun"
    assert view.proposal.created_at == env.clock.now()
    paper = view.paper
    assert paper.title == "Visual Instruction Tuning"
    assert paper.arxiv_id == LLAVA and paper.arxiv_version == 2
    assert paper.code_links == [
        ["GitHub", "https://github.com/haotian-liu/LLaVA"],
        ["Project Page", "https://llava-vl.github.io/"],
    ]
    assert paper.categories == ["cs.CV", "cs.AI", "cs.CL", "cs.LG"]
    assert env.arxiv.request_count == 1
    again = await env.proposals.get(GUILD, view.id)
    assert again.paper.id == paper.id


async def test_a_paper_has_one_open_proposal(env: PaperEnv) -> None:
    first = await propose(env, LLAVA)

    with pytest.raises(Conflict, match=rf"already proposed as #{first.id}"):
        await propose(env, f"arXiv:{LLAVA}v1", proposer=BOB)

    assert await counts(env) == (1, 1, 0)
    # Once withdrawn, the paper may be proposed again.
    await env.proposals.withdraw(GUILD, first.id, actor_id=ALICE, is_organizer=False)
    second = await propose(env, LLAVA, proposer=BOB)
    assert second.id != first.id


async def test_propose_a_paper_outside_arxiv_with_the_members_metadata(env: PaperEnv) -> None:
    spec = env.papers.manual_spec(
        "https://distill.pub/2021/multimodal-neurons/",
        "Multimodal Neurons in Artificial Neural Networks",
        "Goh, Cammarata, Voss and Carter",
    )
    view = await env.proposals.propose(GUILD, spec, proposer_id=ALICE)

    assert view.paper.source == PaperSource.MANUAL
    assert view.paper.title == "Multimodal Neurons in Artificial Neural Networks"
    assert view.paper.authors == ["Goh", "Cammarata", "Voss", "Carter"]
    assert view.paper.url == "https://distill.pub/2021/multimodal-neurons/"
    assert env.arxiv.request_count == 0


@pytest.mark.parametrize(
    ("url", "title", "authors", "message"),
    [
        ("https://github.com/openai/CLIP", "CLIP", None, "does not look like a paper"),
        ("https://openreview.net/forum?id=hTWqB327Oay", None, None, "Give the paper's title"),
        ("https://openreview.net/forum?id=x", "Hi @everyone", None, "mention"),
        ("https://openreview.net/forum?id=x", "T" * 201, None, "limit is 200"),
        ("https://openreview.net/forum?id=x", "Title", "<@123>", "mention"),
    ],
)
async def test_manual_paper_bad_input(
    env: PaperEnv, url: str, title: str | None, authors: str | None, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        env.papers.manual_spec(url, title, authors)


async def test_markdown_in_a_title_is_kept_as_typed(env: PaperEnv) -> None:
    spec = env.papers.manual_spec(
        "https://example.org/paper.pdf", "**Bold** _claims_ [x](http://evil) | pipes", None
    )
    view = await env.proposals.propose(GUILD, spec, proposer_id=ALICE)
    assert view.paper.title == "**Bold** _claims_ [x](http://evil) | pipes"


async def test_unknown_id_and_bad_note_save_nothing(env: PaperEnv) -> None:
    with pytest.raises(NotFound, match=r"arXiv has no paper 2401\.99999"):
        await propose(env, "2401.99999")
    spec = (await env.papers.lookup(GUILD, [CLIP]))[0]
    with pytest.raises(InvalidInput, match="mention"):
        await env.proposals.propose(GUILD, spec, proposer_id=ALICE, note="ping @here")
    assert await counts(env) == (0, 0, 0)


async def test_a_withdrawn_arxiv_paper_is_refused(env: PaperEnv) -> None:
    env.arxiv.add_entry(
        "2301.00001",
        version=2,
        title="A Result That Did Not Hold",
        abstract="This paper has been withdrawn by the author due to an error in Lemma 2.",
        comment="This paper has been withdrawn",
    )
    with pytest.raises(InvalidInput, match=r"withdrawn by its authors.*2301\.00001v1"):
        await propose(env, "2301.00001")
    assert await counts(env) == (0, 0, 0)


# -- votes -------------------------------------------------------------------------------


async def voters(env: PaperEnv, proposal_id: int) -> list[int]:
    async with env.db.unit() as uow:
        return list(await uow.proposals.voters(proposal_id))


async def test_vote_toggles_one_per_member(env: PaperEnv) -> None:
    view = await propose(env, LLAVA)

    voted, after = await env.proposals.toggle_vote(GUILD, view.id, BOB)
    assert voted and after.votes == 1
    voted, after = await env.proposals.toggle_vote(GUILD, view.id, CAROL)
    assert voted and after.votes == 2
    assert BOB in await voters(env, view.id)
    voted, after = await env.proposals.toggle_vote(GUILD, view.id, BOB)
    assert not voted and after.votes == 1
    assert BOB not in await voters(env, view.id)
    voted, after = await env.proposals.toggle_vote(GUILD, view.id, BOB)
    assert voted and after.votes == 2


async def test_votes_and_proposals_stay_in_their_guild(env: PaperEnv) -> None:
    view = await propose(env, LLAVA)
    with pytest.raises(NotFound):
        await env.proposals.toggle_vote(OTHER_GUILD, view.id, BOB)
    with pytest.raises(NotFound):
        await env.proposals.get(OTHER_GUILD, view.id)
    assert (await env.proposals.queue(OTHER_GUILD)).total == 0
    assert (await env.proposals.get(GUILD, view.id)).votes == 0


# -- the queue ---------------------------------------------------------------------------


async def test_queue_ranks_by_votes_then_age(env: PaperEnv) -> None:
    old = await propose(env, LLAVA)
    env.clock.advance(hours=1)
    middle = await propose(env, CLIP, proposer=BOB)
    env.clock.advance(hours=1)
    new = await propose(env, SIGLIP, proposer=CAROL)
    # No votes: oldest first.
    page = await env.proposals.queue(GUILD)
    assert [v.id for v in page.items] == [old.id, middle.id, new.id]

    for member in (ALICE, BOB):
        await env.proposals.toggle_vote(GUILD, new.id, member)
    await env.proposals.toggle_vote(GUILD, middle.id, CAROL)
    await env.proposals.toggle_vote(GUILD, old.id, DAVE)

    page = await env.proposals.queue(GUILD)
    assert [(v.id, v.votes) for v in page.items] == [(new.id, 2), (old.id, 1), (middle.id, 1)]


async def test_queue_pages(env: PaperEnv) -> None:
    ids = [f"2401.{n:05d}" for n in range(1, 24)]
    for arxiv_id in ids:
        env.arxiv.add_entry(arxiv_id, title=f"Paper {arxiv_id}")
    specs = await env.papers.lookup(GUILD, ids)
    assert env.arxiv.request_count == 1  # 23 papers, one request
    for spec in specs:
        env.clock.advance(minutes=1)
        await env.proposals.propose(GUILD, spec, proposer_id=ALICE)

    first = await env.proposals.queue(GUILD, per_page=10)
    assert (first.number, first.pages, first.total, len(first.items)) == (0, 3, 23, 10)
    last = await env.proposals.queue(GUILD, number=2, per_page=10)
    assert len(last.items) == 3
    assert last.items[-1].paper.arxiv_id == ids[-1]
    beyond = await env.proposals.queue(GUILD, number=9, per_page=10)
    assert beyond.number == 2


# -- withdraw ----------------------------------------------------------------------------


async def test_withdraw_by_proposer_or_organizer_only(env: PaperEnv) -> None:
    view = await propose(env, LLAVA)

    with pytest.raises(PermissionDenied, match="Only the member who proposed"):
        await env.proposals.withdraw(GUILD, view.id, actor_id=BOB, is_organizer=False)
    withdrawn = await env.proposals.withdraw(GUILD, view.id, actor_id=BOB, is_organizer=True)
    assert withdrawn.proposal.status == ProposalStatus.WITHDRAWN

    with pytest.raises(InvalidInput, match="already withdrawn"):
        await env.proposals.withdraw(GUILD, view.id, actor_id=ALICE, is_organizer=False)
    with pytest.raises(InvalidInput, match="was withdrawn"):
        await env.proposals.toggle_vote(GUILD, view.id, CAROL)
    with pytest.raises(InvalidInput, match="was withdrawn"):
        await env.proposals.schedule(GUILD, view.id, date_text="2025-02-06", actor_id=BOB)
    assert (await env.proposals.queue(GUILD)).total == 0
    assert await counts(env) == (1, 0, 0)


async def test_proposer_withdraws_own(env: PaperEnv) -> None:
    view = await propose(env, CLIP, proposer=CAROL)
    done = await env.proposals.withdraw(GUILD, view.id, actor_id=CAROL, is_organizer=False)
    assert done.proposal.status == ProposalStatus.WITHDRAWN


# -- schedule ----------------------------------------------------------------------------


async def test_schedule_turns_a_proposal_into_a_session(env: PaperEnv) -> None:
    view = await propose(env, LLAVA, presenter_id=BOB)
    await env.proposals.toggle_vote(GUILD, view.id, CAROL)
    requests = env.arxiv.request_count

    proposal, session = await env.proposals.schedule(
        GUILD, view.id, date_text="2025-02-06", actor_id=DAVE
    )

    assert session.starts_at == datetime(2025, 2, 6, 17, tzinfo=UTC)  # 18:00 in Berlin
    assert session.session.kind == SessionKind.PAPER
    assert session.session.presenter_id == BOB  # the proposal's presenter
    assert [lp.paper.id for lp in session.papers] == [view.paper.id]
    assert proposal.proposal.status == ProposalStatus.SCHEDULED
    assert proposal.proposal.session_id == session.id
    assert env.arxiv.request_count == requests  # the cached paper, no new request
    assert [(c.session_id, c.action) for c in env.changes] == [(session.id, SessionAction.CREATED)]
    stored = await env.proposals.get(GUILD, view.id)
    assert stored.proposal.status == ProposalStatus.SCHEDULED
    assert (await env.proposals.queue(GUILD)).total == 0

    with pytest.raises(InvalidInput, match="already scheduled"):
        await env.proposals.schedule(GUILD, view.id, date_text="2025-02-13", actor_id=DAVE)
    with pytest.raises(InvalidInput, match="already scheduled"):
        await env.proposals.withdraw(GUILD, view.id, actor_id=ALICE, is_organizer=False)
    with pytest.raises(InvalidInput, match="voting is closed"):
        await env.proposals.toggle_vote(GUILD, view.id, BOB)


async def test_schedule_presenter_option_wins_and_manual_papers_work(env: PaperEnv) -> None:
    spec = env.papers.manual_spec(
        "https://openreview.net/forum?id=hTWqB327Oay", "Calibrating Multimodal Learning", "Ma"
    )
    view = await env.proposals.propose(GUILD, spec, proposer_id=ALICE, presenter_id=BOB)

    _, session = await env.proposals.schedule(
        GUILD, view.id, date_text="2025-02-06", time_text="19:30", presenter_id=CAROL, actor_id=1
    )

    assert session.session.presenter_id == CAROL
    assert session.starts_at == datetime(2025, 2, 6, 18, 30, tzinfo=UTC)
    assert session.papers[0].paper.title == "Calibrating Multimodal Learning"
    assert await counts(env) == (1, 0, 1)


@pytest.mark.parametrize(
    ("date_text", "error", "message"),
    [
        ("03/04/2025", InvalidInput, "ambiguous"),
        ("2024-12-01", InvalidInput, "in the past"),
        ("2025-02-06", Conflict, "already takes that time"),
    ],
)
async def test_schedule_bad_date_saves_nothing(
    env: PaperEnv, date_text: str, error: type[Exception], message: str
) -> None:
    await env.schedule.add(GUILD, SessionDraft(date_text="2025-02-06", kind="tba"), actor_id=DAVE)
    view = await propose(env, LLAVA)

    with pytest.raises(error, match=message):
        await env.proposals.schedule(GUILD, view.id, date_text=date_text, actor_id=DAVE)

    assert (await env.proposals.get(GUILD, view.id)).is_open
    assert await counts(env) == (1, 1, 1)  # only the TBA session


async def test_a_failing_hook_rolls_the_session_back(env: PaperEnv) -> None:
    async def refuse(uow: object, view: object) -> None:
        raise Conflict("withdrawn meanwhile")

    with pytest.raises(Conflict):
        await env.schedule.add(
            GUILD, SessionDraft(date_text="2025-02-06", paper_refs=[CLIP]), actor_id=1,
            on_saved=refuse,
        )  # fmt: skip
    assert await counts(env) == (0, 0, 0)
    assert env.changes == []


async def test_unknown_proposal(env: PaperEnv) -> None:
    with pytest.raises(NotFound, match="There is no proposal #42 in this server"):
        await env.proposals.id_for(GUILD, 42)
    with pytest.raises(NotFound, match="not in this server"):
        await env.proposals.schedule(GUILD, 42, date_text="2025-02-06", actor_id=1)
    with pytest.raises(NotFound, match="not in this server"):
        await env.proposals.withdraw(GUILD, 42, actor_id=1, is_organizer=True)


async def test_search_open_for_autocomplete(env: PaperEnv) -> None:
    llava = await propose(env, LLAVA)
    clip = await propose(env, CLIP)
    await env.proposals.withdraw(GUILD, clip.id, actor_id=ALICE, is_organizer=False)

    assert [v.id for v in await env.proposals.search_open(GUILD, "visual")] == [llava.id]
    assert [v.id for v in await env.proposals.search_open(GUILD, f"#{llava.id}")] == [llava.id]
    assert [v.id for v in await env.proposals.search_open(GUILD, "")] == [llava.id]
    assert await env.proposals.search_open(GUILD, "100%_") == []
    assert await env.proposals.search_open(OTHER_GUILD, "") == []


async def test_created_at_follows_the_clock(env: PaperEnv) -> None:
    env.clock.advance(timedelta(days=3))
    view = await propose(env, LLAVA)
    assert view.proposal.created_at == env.clock.now()
