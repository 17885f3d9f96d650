"""PaperService: references of every kind, the cache, links, and arXiv faults end to end."""

from __future__ import annotations

import time

import pytest

from bot.errors import InvalidInput, NotFound, ServiceUnavailable
from bot.papers.arxiv import ArxivService
from bot.papers.refs import (
    RefKind,
    classify_ref,
    is_withdrawn,
    parse_authors,
    parse_links,
    split_refs,
    stored_ref,
)
from storage.db import Database
from tests.harness.arxiv import ArxivFault, FakeArxiv
from tests.services.papers_env import ALICE, CLIP, GUILD, LLAVA, OTHER_GUILD, PaperEnv, build_env

JITTER = 0.02


@pytest.fixture
async def env(db: Database, arxiv_service: ArxivService, fake_arxiv: FakeArxiv) -> PaperEnv:
    return await build_env(db, arxiv_service, fake_arxiv)


# -- what a member typed -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("2304.08485", RefKind.ARXIV),
        ("arXiv:2304.08485v2", RefKind.ARXIV),
        ("https://www.arxiv.org/pdf/2304.08485v1.pdf", RefKind.ARXIV),
        ("10.48550/arXiv.2304.08485", RefKind.ARXIV),
        ("hep-th/9901001", RefKind.ARXIV),
        ("https://openreview.net/forum?id=hTWqB327Oay", RefKind.PAPER_URL),
        ("https://distill.pub/2021/multimodal-neurons/", RefKind.PAPER_URL),
        (
            "https://storage.googleapis.com/deepmind-media/gemma/gemma-2-report.pdf",
            RefKind.PAPER_URL,
        ),
        ("https://github.com/haotian-liu/LLaVA", RefKind.OTHER_URL),
        ("https://srush.github.io/annotated-s4/", RefKind.OTHER_URL),
        ("paper:12", RefKind.STORED),
        ("Visual Instruction Tuning", RefKind.TITLE),
        ("Scaling (Down) CLIP: A Comprehensive Analysis", RefKind.TITLE),
    ],
)
def test_classify_ref(text: str, kind: RefKind) -> None:
    assert classify_ref(text) == kind


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0000.0000", "month 00 does not exist"),
        ("2313.12345", "month 13 does not exist"),
        ("2304.0848", "5 digits after the dot"),
        ("foo-th/9901001", "not an arXiv archive"),
        ("https://arxiv.org/list/cs.LG/recent", "arXiv link but not to a paper"),
        ("   ", "Give an arXiv id"),
    ],
)
def test_id_shaped_input_gets_the_parsers_message(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        classify_ref(text)


def test_split_refs_keeps_malformed_ids_as_refs() -> None:
    assert split_refs("2304.08485, 0000.0000") == ["2304.08485", "0000.0000"]
    assert split_refs("paper:3 paper:4") == ["paper:3", "paper:4"]
    assert split_refs("Visual Instruction Tuning") == ["Visual Instruction Tuning"]
    assert len(split_refs(" ".join(f"2401.{n:05d}" for n in range(1, 301)))) == 300


async def test_300_ids_are_refused_before_any_request(env: PaperEnv) -> None:
    refs = split_refs(" ".join(f"2401.{n:05d}" for n in range(1, 301)))
    with pytest.raises(InvalidInput, match="300 references at once is too many"):
        await env.papers.lookup(GUILD, refs)
    assert env.arxiv.request_count == 0


async def test_a_malformed_id_among_good_ones_costs_no_request(env: PaperEnv) -> None:
    with pytest.raises(InvalidInput, match=r"`0000\.0000` is not a valid arXiv id"):
        await env.papers.lookup(GUILD, split_refs(f"{LLAVA} 0000.0000"))
    assert env.arxiv.request_count == 0


def test_withdrawn_detection() -> None:
    class P:
        def __init__(self, comment: str | None, abstract: str | None) -> None:
            self.comment, self.abstract = comment, abstract

    assert is_withdrawn(P("This paper has been withdrawn by the author", ""))  # type: ignore[arg-type]
    assert is_withdrawn(P(None, "This submission has been withdrawn by arXiv administrators"))  # type: ignore[arg-type]
    assert is_withdrawn(P("arXiv admin note: this version has been withdrawn", None))  # type: ignore[arg-type]
    assert not is_withdrawn(P("We study why papers get withdrawn from venues", "x"))  # type: ignore[arg-type]
    assert not is_withdrawn(P(None, None))  # type: ignore[arg-type]


def test_parse_authors() -> None:
    assert parse_authors("H. Liu, C. Li; Q. Wu and Y. J. Lee") == (
        "H. Liu",
        "C. Li",
        "Q. Wu",
        "Y. J. Lee",
    )
    assert parse_authors(None) == ()
    with pytest.raises(InvalidInput, match="mention"):
        parse_authors("Liu, @everyone")
    with pytest.raises(InvalidInput, match="separate authors by commas"):
        parse_authors("x" * 150)


def test_parse_links_readme_style() -> None:
    assert parse_links(
        "https://github.com/haotian-liu/LLaVA [Project Page](https://llava-vl.github.io/)", "code"
    ) == [
        ["GitHub", "https://github.com/haotian-liu/LLaVA"],
        ["Project Page", "https://llava-vl.github.io/"],
    ]
    assert parse_links("https://llava.hliu.cc/", "demo") == [["Demo", "https://llava.hliu.cc/"]]
    assert parse_links("colab.research.google.com/drive/1Rmn8", "demo") == [
        ["Colab", "https://colab.research.google.com/drive/1Rmn8"]
    ]
    assert parse_links("-", "code") == []
    assert parse_links(None, "code") is None
    with pytest.raises(InvalidInput, match="is not a link"):
        parse_links("javascript:alert(1)", "code")
    with pytest.raises(InvalidInput, match="at most 5"):
        parse_links(" ".join(f"https://github.com/a/r{n}" for n in range(6)), "code")
    with pytest.raises(InvalidInput, match="mention"):
        parse_links("[@everyone](https://github.com/a/b)", "code")


# -- the cache ---------------------------------------------------------------------------


async def test_find_fetches_once_then_serves_the_cache(env: PaperEnv) -> None:
    paper = await env.papers.find(GUILD, f"https://arxiv.org/abs/{LLAVA}")
    assert paper.title == "Visual Instruction Tuning"
    assert env.arxiv.request_count == 1

    again = await env.papers.find(GUILD, f"arXiv:{LLAVA}")
    by_id = await env.papers.find(GUILD, stored_ref(paper))
    by_title = await env.papers.find(GUILD, "visual instruction tuning")
    assert again.id == by_id.id == by_title.id == paper.id
    assert env.arxiv.request_count == 1

    # A specific other version is fetched; the same version is not.
    await env.papers.find(GUILD, f"{LLAVA}v2")
    assert env.arxiv.request_count == 1
    older = (await env.papers.lookup(GUILD, [f"{LLAVA}v1"]))[0]
    assert env.arxiv.request_count == 2
    assert older.metadata is not None and older.metadata.version == 1


async def test_refresh_refetches_and_keeps_organizer_links(env: PaperEnv) -> None:
    await env.papers.find(GUILD, LLAVA)
    edited = await env.papers.set_links(
        GUILD, LLAVA, code="[Code](https://gitlab.com/team/llava)", demo="https://llava.hliu.cc/"
    )
    assert edited.links_edited
    assert edited.code_links == [["Code", "https://gitlab.com/team/llava"]]
    env.arxiv.add_entry(
        LLAVA,
        version=3,
        title="Visual Instruction Tuning (revised)",
        abstract="Code: https://github.com/other/repo",
    )

    refreshed = await env.papers.find(GUILD, LLAVA, refresh=True)

    assert env.arxiv.request_count == 2
    assert refreshed.title == "Visual Instruction Tuning (revised)"
    assert refreshed.arxiv_version == 3
    assert refreshed.code_links == [["Code", "https://gitlab.com/team/llava"]]
    assert refreshed.demo_links == [["Demo", "https://llava.hliu.cc/"]]


async def test_set_links_clears_one_column_and_keeps_the_other(env: PaperEnv) -> None:
    paper = await env.papers.find(GUILD, LLAVA)
    assert paper.code_links
    updated = await env.papers.set_links(GUILD, LLAVA, code="-", demo=None)
    assert updated.code_links == []
    assert updated.demo_links == paper.demo_links
    with pytest.raises(InvalidInput, match="Give code links, demo links, or both"):
        await env.papers.set_links(GUILD, LLAVA, code=None, demo=None)


async def test_refresh_of_a_manual_paper_is_explained(env: PaperEnv) -> None:
    spec = env.papers.manual_spec("https://distill.pub/2021/multimodal-neurons/", "MN", None)
    async with env.db.unit() as uow:
        await env.papers.store(uow, GUILD, [spec])
    with pytest.raises(InvalidInput, match="not an arXiv paper"):
        await env.papers.find(GUILD, "https://distill.pub/2021/multimodal-neurons", refresh=True)


async def test_which_references_need_a_members_details(env: PaperEnv) -> None:
    distill = "https://distill.pub/2021/multimodal-neurons/"
    blog = "https://lilianweng.github.io/posts/2021-07-11-diffusion-models/"
    assert await env.papers.needs_details(GUILD, distill)
    assert not await env.papers.needs_details(GUILD, blog)  # not a paper: /paper propose
    assert await env.papers.needs_details(GUILD, blog, any_url=True)  # a session's reading
    assert not await env.papers.needs_details(GUILD, LLAVA, any_url=True)
    assert not await env.papers.needs_details(GUILD, "Visual Instruction Tuning", any_url=True)
    long_link = "https://example.org/" + "a" * 600 + ".pdf"
    assert not await env.papers.needs_details(GUILD, long_link, any_url=True)
    async with env.db.unit() as uow:  # known by its link only: still asked
        await env.papers.store(uow, GUILD, await env.papers.lookup(GUILD, [distill]))
    assert await env.papers.needs_details(GUILD, distill)
    spec = env.papers.manual_spec(distill, "Multimodal Neurons", "Goh, Cammarata")
    async with env.db.unit() as uow:
        await env.papers.store(uow, GUILD, [spec])
    assert not await env.papers.needs_details(GUILD, distill.rstrip("/"))
    assert await env.papers.needs_details(OTHER_GUILD, distill)


async def test_unknown_references(env: PaperEnv) -> None:
    with pytest.raises(NotFound, match=r"arXiv has no paper 2401\.99999"):
        await env.papers.find(GUILD, "2401.99999")
    with pytest.raises(NotFound, match="no paper titled 'Nothing Like It'"):
        await env.papers.find(GUILD, "Nothing Like It")
    with pytest.raises(NotFound, match="stored paper is not in this server"):
        await env.papers.lookup(GUILD, ["paper:77"])
    with pytest.raises(NotFound, match=r"has no https://openreview\.net"):
        await env.papers.find(GUILD, "https://openreview.net/forum?id=abc")
    async with env.db.unit() as uow:
        assert await uow.papers.count(GUILD) == 0


async def test_stored_ref_is_scoped_by_guild(env: PaperEnv) -> None:
    paper = await env.papers.find(GUILD, LLAVA)
    with pytest.raises(NotFound):
        await env.papers.find(OTHER_GUILD, stored_ref(paper))


async def test_details_list_proposals_sessions_and_topics(env: PaperEnv) -> None:
    spec = (await env.papers.lookup(GUILD, [CLIP]))[0]
    view = await env.proposals.propose(GUILD, spec, proposer_id=ALICE)
    await env.proposals.toggle_vote(GUILD, view.id, ALICE)
    await env.reading.add(GUILD, [CLIP], "Representation Learning / Fusion", actor_id=ALICE)

    details = await env.papers.details(GUILD, view.paper)

    assert details.proposals == [(view.id, "open", 1)]
    assert details.sessions == []
    assert [path for path, _ in details.reading] == ["Representation Learning/Fusion"]


# -- title search --------------------------------------------------------------------------


async def test_candidates_by_title(env: PaperEnv) -> None:
    found = await env.papers.candidates("visual instruction tuning")
    assert found[0].arxiv_id == LLAVA
    with pytest.raises(NotFound, match="arXiv has no paper whose title has the words"):
        await env.papers.candidates("zzyzx quixotic flibbertigibbet")
    with pytest.raises(InvalidInput, match="mention"):
        await env.papers.candidates("<@&123> tuning")


# -- arXiv faults, end to end through the paper service ----------------------------------


@pytest.mark.parametrize(
    "fault", [ArxivFault.RATE_LIMITED, ArxivFault.UNAVAILABLE, ArxivFault.EMPTY_PAGE]
)
async def test_a_fault_is_retried_and_the_paper_stored(env: PaperEnv, fault: ArxivFault) -> None:
    env.arxiv.fail_next(fault)
    paper = await env.papers.find(GUILD, LLAVA)
    assert paper.title == "Visual Instruction Tuning"
    assert env.arxiv.request_count == 2


@pytest.mark.parametrize(
    "fault", [ArxivFault.RATE_LIMITED, ArxivFault.UNAVAILABLE, ArxivFault.EMPTY_PAGE]
)
async def test_a_lasting_fault_is_reported_and_nothing_saved(
    env: PaperEnv, fault: ArxivFault
) -> None:
    env.arxiv.fail_next(fault, times=10)
    with pytest.raises(ServiceUnavailable, match="arXiv did not answer after 4 attempts"):
        await env.papers.find(GUILD, LLAVA)
    with pytest.raises(ServiceUnavailable):
        await env.reading.add(GUILD, [CLIP], "Surveys", actor_id=ALICE)
    async with env.db.unit() as uow:
        assert await uow.papers.count(GUILD) == 0
        assert await uow.readinglist.topics(GUILD) == []


async def test_a_timeout_is_retried(db: Database, fake_arxiv: FakeArxiv) -> None:
    service = ArxivService(
        fake_arxiv.query_url_format, min_interval=0, backoff_base=0.01, timeout=0.3
    )
    env = await build_env(db, service, fake_arxiv)
    fake_arxiv.fail_next(ArxivFault.TIMEOUT)

    paper = await env.papers.find(GUILD, LLAVA)

    assert paper.arxiv_id == LLAVA
    assert fake_arxiv.held == 1 and fake_arxiv.request_count == 2


async def test_timeouts_until_give_up_save_nothing(db: Database, fake_arxiv: FakeArxiv) -> None:
    service = ArxivService(
        fake_arxiv.query_url_format, min_interval=0, max_attempts=2, backoff_base=0, timeout=0.2
    )
    env = await build_env(db, service, fake_arxiv)
    fake_arxiv.fail_next(ArxivFault.TIMEOUT, times=2)

    with pytest.raises(ServiceUnavailable, match="after 2 attempts"):
        spec = (await env.papers.lookup(GUILD, [LLAVA]))[0]
        await env.proposals.propose(GUILD, spec, proposer_id=ALICE)
    async with env.db.unit() as uow:
        assert await uow.papers.count(GUILD) == 0
        assert await uow.proposals.count_open(GUILD) == 0


async def test_requests_through_the_service_keep_the_spacing(
    db: Database, fake_arxiv: FakeArxiv, fresh_arxiv_rate_limit: None
) -> None:
    interval = 0.25
    service = ArxivService(fake_arxiv.query_url_format, min_interval=interval, backoff_base=0.01)
    env = await build_env(db, service, fake_arxiv)
    fake_arxiv.fail_next(ArxivFault.UNAVAILABLE)  # the retry waits for its slot too

    started = time.monotonic()
    await env.papers.find(GUILD, LLAVA)
    await env.papers.find(GUILD, CLIP)
    await env.papers.candidates("sigmoid loss")

    assert fake_arxiv.request_count == 4
    spacing = fake_arxiv.min_spacing()
    assert spacing is not None and spacing >= interval - JITTER
    assert time.monotonic() - started >= 3 * interval - JITTER


async def test_many_papers_in_one_request(env: PaperEnv) -> None:
    ids = env.arxiv.add_readme_entries()
    specs = await env.papers.lookup(GUILD, ids)
    assert len(specs) == len(ids) == 42
    assert env.arxiv.request_count == 1
    async with env.db.unit() as uow:
        papers = await env.papers.store(uow, GUILD, specs)
    assert {p.arxiv_id for p in papers} == set(ids)
    await env.papers.lookup(GUILD, ids)
    assert env.arxiv.request_count == 1  # all cached now
