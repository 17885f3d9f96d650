"""The presenter rotation: never-presented first, then who presented least recently."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.papers.arxiv import ArxivService
from bot.schedule.drafts import SessionDraft
from bot.schedule.presenters import PresenterSuggestion, rank_presenters
from storage.db import Database
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
    PaperEnv,
    build_env,
)

T = datetime(2025, 1, 1, tzinfo=UTC)


def test_rank_never_presented_first_by_waiting_time() -> None:
    last = {ALICE: T + timedelta(days=30), BOB: T + timedelta(days=10)}
    proposers = {CAROL: T + timedelta(days=5), DAVE: T + timedelta(days=2), ALICE: T}

    ranked = rank_presenters(last, proposers)

    assert [s.user_id for s in ranked] == [DAVE, CAROL, BOB, ALICE]
    assert ranked[0] == PresenterSuggestion(DAVE, None, T + timedelta(days=2))
    assert ranked[2].last_presented == T + timedelta(days=10)


def test_rank_excludes_and_handles_nobody() -> None:
    assert rank_presenters({}, {}) == []
    ranked = rank_presenters({ALICE: T}, {BOB: T}, exclude=[BOB])
    assert [s.user_id for s in ranked] == [ALICE]


def test_rank_ties_are_stable() -> None:
    ranked = rank_presenters({BOB: T, ALICE: T}, {})
    assert [s.user_id for s in ranked] == [ALICE, BOB]


@pytest.fixture
async def env(db: Database, arxiv_service: ArxivService, fake_arxiv: FakeArxiv) -> PaperEnv:
    return await build_env(db, arxiv_service, fake_arxiv)


async def _session(env: PaperEnv, date: str, presenter: int | None, **kw: object) -> None:
    await env.schedule.add(
        GUILD,
        SessionDraft(date_text=date, kind="special", title="S", presenter_id=presenter, **kw),  # type: ignore[arg-type]
        actor_id=DAVE,
    )


async def test_suggest_from_sessions_and_proposals(env: PaperEnv) -> None:
    await _session(env, "2024-11-07", ALICE, allow_past=True)
    await _session(env, "2024-12-05", BOB, allow_past=True)
    await _session(env, "2024-10-03", CAROL, allow_past=True)
    spec = (await env.papers.lookup(GUILD, [LLAVA]))[0]
    await env.proposals.propose(GUILD, spec, proposer_id=DAVE)

    suggested = await env.presenters.suggest(GUILD, limit=10)

    assert [s.user_id for s in suggested] == [DAVE, CAROL, ALICE, BOB]
    assert suggested[0].last_presented is None
    assert suggested[1].last_presented == datetime(2024, 10, 3, 16, tzinfo=UTC)


async def test_a_planned_turn_counts_and_cancelled_ones_do_not(env: PaperEnv) -> None:
    await _session(env, "2024-11-07", ALICE, allow_past=True)
    await _session(env, "2024-12-05", BOB, allow_past=True)
    assert [s.user_id for s in await env.presenters.suggest(GUILD)] == [ALICE, BOB]

    await _session(env, "2025-03-06", ALICE)  # Alice is booked: Bob's turn is next
    assert [s.user_id for s in await env.presenters.suggest(GUILD)] == [BOB, ALICE]

    view = (await env.schedule.page(GUILD, scope="upcoming")).items[0]
    await env.schedule.cancel(GUILD, view.id, actor_id=DAVE)
    assert [s.user_id for s in await env.presenters.suggest(GUILD)] == [ALICE, BOB]


async def test_a_named_presenter_of_a_proposal_is_a_candidate(env: PaperEnv) -> None:
    spec = (await env.papers.lookup(GUILD, [CLIP]))[0]
    await env.proposals.propose(GUILD, spec, proposer_id=ALICE, presenter_id=CAROL)

    suggested = await env.presenters.suggest(GUILD, limit=5)

    assert {s.user_id for s in suggested} == {ALICE, CAROL}
    assert await env.presenters.suggest(OTHER_GUILD) == []
    assert len(await env.presenters.suggest(GUILD, limit=1)) == 1
