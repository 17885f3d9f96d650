"""ArxivService end to end against the loopback arXiv API (real ``arxiv`` + ``requests``)."""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import InvalidInput, ServiceUnavailable
from bot.papers.arxiv import (
    ARXIV_RATE_LIMITER,
    ArxivId,
    ArxivService,
    PaperMetadata,
    parse_arxiv_ref,
    title_query,
)
from tests.harness.arxiv import ArxivFault, FakeArxiv

# Slack for delays measured across an asyncio sleep and the loopback round trip. The
# rate-limit spacing needs none: the limiter counts from the end of the previous request,
# which the server necessarily saw before the client did.
JITTER = 0.02


# -- lookups replaying the recorded responses --------------------------------------------


async def test_single_id(arxiv_service: ArxivService, fake_arxiv: FakeArxiv) -> None:
    papers = await arxiv_service.fetch([parse_arxiv_ref("https://arxiv.org/abs/1605.08386")])

    paper = papers["1605.08386"]
    assert paper.title == "Heat-bath random walks with Markov bases"
    assert paper.authors == ("Caprice Stanley", "Tobias Windisch")
    assert paper.version == 1
    assert paper.categories == ("math.CO", "math.ST")
    assert paper.primary_category == "math.CO"
    assert paper.published == datetime(2016, 5, 26, 17, 59, 46, tzinfo=UTC)
    assert paper.published.tzinfo is not None
    assert paper.comment == "20 pages, 3 figures"
    assert paper.journal_ref is None
    assert paper.doi is None
    assert paper.abs_url == "https://arxiv.org/abs/1605.08386"
    assert paper.pdf_url == "https://arxiv.org/pdf/1605.08386v1"
    assert paper.abstract.startswith("Graphs on lattice points are studied")
    assert fake_arxiv.request_count == 1
    assert fake_arxiv.requests[0].id_list == ("1605.08386",)


async def test_versioned_id(arxiv_service: ArxivService, fake_arxiv: FakeArxiv) -> None:
    papers = await arxiv_service.fetch([parse_arxiv_ref("arXiv:2104.12255v1")])

    assert fake_arxiv.requests[0].id_list == ("2104.12255v1",)
    paper = papers["2104.12255"]
    assert paper.version == 1
    assert paper.ref == ArxivId("2104.12255", 1)
    assert paper.title == "0"


async def test_old_style_ids(arxiv_service: ArxivService, fake_arxiv: FakeArxiv) -> None:
    refs = [parse_arxiv_ref("astro-ph/0601001"), parse_arxiv_ref("quant-ph/0201082v1")]
    papers = await arxiv_service.fetch(refs)

    assert set(papers) == {"astro-ph/0601001", "quant-ph/0201082"}
    astro = papers["astro-ph/0601001"]
    assert astro.title.startswith("Frequency of Hot Jupiters and Very Hot Jupiters")
    assert astro.journal_ref == "ActaAstron.56:1-50,2006"
    assert astro.authors[0] == "Andrew Gould"
    assert astro.abs_url == "https://arxiv.org/abs/astro-ph/0601001"
    # Two ids, one request: the fake served it from the recorded single-id entries.
    assert fake_arxiv.request_count == 1


async def test_two_ids_in_one_request_one_missing(
    arxiv_service: ArxivService, fake_arxiv: FakeArxiv
) -> None:
    # 0808.05394 is what the recording asked for; the parser rightly refuses it (2008 ids
    # have four digits after the dot), so it is built directly here.
    papers = await arxiv_service.fetch([ArxivId("0808.05394"), ArxivId("1707.08567")])

    assert list(papers) == ["1707.08567"]
    paper = papers["1707.08567"]
    assert paper.title.startswith("Proceedings of Workshop AEW10")
    assert len(paper.authors) == 34
    assert fake_arxiv.request_count == 1
    assert set(fake_arxiv.requests[0].id_list) == {"0808.05394", "1707.08567"}


async def test_missing_id_is_absent(arxiv_service: ArxivService, fake_arxiv: FakeArxiv) -> None:
    assert await arxiv_service.fetch([ArxivId("0000.0000")]) == {}
    assert await arxiv_service.get(ArxivId("0000.0000")) is None
    assert fake_arxiv.request_count == 2


async def test_malformed_id_is_rejected_before_any_request(
    arxiv_service: ArxivService, fake_arxiv: FakeArxiv
) -> None:
    with pytest.raises(InvalidInput, match="not an arXiv id or link"):
        await arxiv_service.fetch(["abc"])
    with pytest.raises(InvalidInput, match="month 13"):
        await arxiv_service.get("2313.00001")
    assert fake_arxiv.request_count == 0


async def test_http_400_becomes_invalid_input_without_retries(
    arxiv_service: ArxivService, fake_arxiv: FakeArxiv
) -> None:
    # The recorded HTTP 400 of the real API for id_list=abc.
    with pytest.raises(InvalidInput, match="incorrect id format for abc"):
        await arxiv_service.fetch([ArxivId("abc")])
    assert fake_arxiv.request_count == 1


async def test_id_that_passes_the_parser_but_gets_400(
    arxiv_service: ArxivService, fake_arxiv: FakeArxiv
) -> None:
    fake_arxiv.add_entry("2304.08485", title="Visual Instruction Tuning")
    fake_arxiv.fail_next(ArxivFault.BAD_REQUEST)

    with pytest.raises(InvalidInput) as caught:
        await arxiv_service.fetch([parse_arxiv_ref("2304.08485")])

    assert "arXiv did not accept this request" in str(caught.value)
    assert fake_arxiv.request_count == 1


# -- built entries: fields, versions ---------------------------------------------------


async def test_built_entry_fields(arxiv_service: ArxivService, fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add_entry(
        "2304.08485",
        version=2,
        title="Visual   Instruction\n  Tuning",
        authors=["Haotian Liu", "Chunyuan Li", "Qingyang Wu", "Yong Jae Lee"],
        abstract="Instruction tuning large language models (LLMs) using machine-generated\n"
        "instruction-following data has improved zero-shot capabilities.",
        comment="NeurIPS 2023 Oral; project page: https://llava-vl.github.io/",
        categories=["cs.CV", "cs.AI", "cs.CL", "cs.LG"],
        published=datetime(2023, 4, 17, 17, 59, 25, tzinfo=UTC),
        updated=datetime(2023, 12, 11, 17, 13, 7, tzinfo=UTC),
        journal_ref="NeurIPS 2023",
        doi="10.48550/arXiv.2304.08485",
        with_pdf_link=False,
    )

    paper = await arxiv_service.get("https://arxiv.org/abs/2304.08485")

    assert paper == PaperMetadata(
        arxiv_id="2304.08485",
        version=2,
        title="Visual Instruction Tuning",
        authors=("Haotian Liu", "Chunyuan Li", "Qingyang Wu", "Yong Jae Lee"),
        abstract="Instruction tuning large language models (LLMs) using machine-generated "
        "instruction-following data has improved zero-shot capabilities.",
        categories=("cs.CV", "cs.AI", "cs.CL", "cs.LG"),
        primary_category="cs.CV",
        published=datetime(2023, 4, 17, 17, 59, 25, tzinfo=UTC),
        updated=datetime(2023, 12, 11, 17, 13, 7, tzinfo=UTC),
        comment="NeurIPS 2023 Oral; project page: https://llava-vl.github.io/",
        journal_ref="NeurIPS 2023",
        doi="10.48550/arXiv.2304.08485",
        abs_url="https://arxiv.org/abs/2304.08485",
        pdf_url=None,
    )
    assert [link.url for link in paper.links.code] == ["https://llava-vl.github.io/"]


async def test_specific_version_is_requested(
    arxiv_service: ArxivService, fake_arxiv: FakeArxiv
) -> None:
    fake_arxiv.add_entry("2304.08485", version=3, title="Visual Instruction Tuning")

    latest = await arxiv_service.get("2304.08485")
    older = await arxiv_service.get("2304.08485v2")
    unknown = await arxiv_service.get("2304.08485v4")

    assert latest is not None
    assert latest.version == 3
    assert older is not None
    assert older.version == 2
    assert older.pdf_url == "https://arxiv.org/pdf/2304.08485v2"
    assert unknown is None
    assert [r.id_list for r in fake_arxiv.requests] == [
        ("2304.08485",),
        ("2304.08485v2",),
        ("2304.08485v4",),
    ]


# -- batching ---------------------------------------------------------------------------


async def test_twenty_ids_one_request(arxiv_service: ArxivService, fake_arxiv: FakeArxiv) -> None:
    ids = [f"2401.{n:05d}" for n in range(1, 21)]
    for arxiv_id in ids:
        fake_arxiv.add_entry(arxiv_id, title=f"Paper number {arxiv_id}")

    papers = await arxiv_service.fetch([parse_arxiv_ref(i) for i in ids])

    assert sorted(papers) == ids
    assert fake_arxiv.request_count == 1
    request = fake_arxiv.requests[0]
    assert sorted(request.id_list) == ids
    assert request.max_results == ArxivService.IDS_PER_REQUEST


async def test_whole_readme_resolves_in_one_request(
    arxiv_service: ArxivService, fake_arxiv: FakeArxiv
) -> None:
    from tests.services.test_arxiv_ids import README_IDS

    built = fake_arxiv.add_readme_entries()
    assert built == README_IDS

    papers = await arxiv_service.fetch([ArxivId(i) for i in README_IDS])

    assert sorted(papers) == sorted(README_IDS)
    assert papers["2304.08485"].title == "Visual Instruction Tuning"
    assert papers["2203.02155"].title == (
        "Training language models to follow instructions with human feedback"
    )
    assert fake_arxiv.request_count == 1


async def test_duplicates_are_sent_once(arxiv_service: ArxivService, fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add_entry("2304.08485", version=2, title="Visual Instruction Tuning")
    refs = [
        parse_arxiv_ref("2304.08485"),
        parse_arxiv_ref("https://arxiv.org/pdf/2304.08485v2"),
        parse_arxiv_ref("arXiv:2304.08485"),
    ]

    papers = await arxiv_service.fetch(refs)

    assert list(papers) == ["2304.08485"]
    assert fake_arxiv.requests[0].id_list == ("2304.08485",)


async def test_too_many_ids_are_refused_before_any_request(
    arxiv_service: ArxivService, fake_arxiv: FakeArxiv
) -> None:
    refs = [ArxivId(f"2402.{n:05d}") for n in range(300)]

    with pytest.raises(InvalidInput) as caught:
        await arxiv_service.fetch(refs)

    assert "At most 100 arXiv papers" in str(caught.value)
    assert "300 were given" in str(caught.value)
    assert fake_arxiv.request_count == 0
    assert await arxiv_service.fetch([]) == {}
    assert fake_arxiv.request_count == 0


async def test_more_ids_than_one_request_holds_are_chunked(
    arxiv_service: ArxivService, fake_arxiv: FakeArxiv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ArxivService, "IDS_PER_REQUEST", 4)
    ids = [f"2403.{n:05d}" for n in range(1, 11)]
    for arxiv_id in ids:
        fake_arxiv.add_entry(arxiv_id, title=f"Paper {arxiv_id}")

    papers = await arxiv_service.fetch([ArxivId(i) for i in ids])

    assert sorted(papers) == ids
    assert [len(r.id_list) for r in fake_arxiv.requests] == [4, 4, 2]
    assert all(r.max_results == 4 for r in fake_arxiv.requests)


# -- rate limit and the event loop -------------------------------------------------------


async def test_rate_limit_is_shared_by_instances_and_concurrent_tasks(
    fake_arxiv: FakeArxiv, fresh_arxiv_rate_limit: None
) -> None:
    interval = 0.2
    ids = [f"2404.{n:05d}" for n in range(1, 7)]
    for arxiv_id in ids:
        fake_arxiv.add_entry(arxiv_id, title=f"Paper {arxiv_id}")
    first = ArxivService(fake_arxiv.query_url_format, min_interval=interval, backoff_base=0)
    second = ArxivService(fake_arxiv.query_url_format, min_interval=interval, backoff_base=0)

    started = time.monotonic()
    results = await asyncio.gather(
        *((first if n % 2 else second).fetch([ArxivId(arxiv_id)]) for n, arxiv_id in enumerate(ids))
    )
    elapsed = time.monotonic() - started

    assert [list(result) for result in results] == [[arxiv_id] for arxiv_id in ids]
    assert fake_arxiv.request_count == 6
    spacing = fake_arxiv.min_spacing()
    assert spacing is not None
    assert spacing >= interval
    assert elapsed >= 5 * interval


async def test_retries_wait_for_the_rate_limit_too(
    fake_arxiv: FakeArxiv, fresh_arxiv_rate_limit: None
) -> None:
    fake_arxiv.add_entry("2304.08485", title="Visual Instruction Tuning")
    fake_arxiv.fail_next(ArxivFault.UNAVAILABLE, times=2)
    service = ArxivService(fake_arxiv.query_url_format, min_interval=0.2, backoff_base=0)

    papers = await service.fetch([ArxivId("2304.08485")])

    assert list(papers) == ["2304.08485"]
    assert fake_arxiv.request_count == 3
    spacing = fake_arxiv.min_spacing()
    assert spacing is not None
    assert spacing >= 0.2


def test_limiter_serialises_threads_and_spaces_them() -> None:
    ARXIV_RATE_LIMITER.reset()
    spans: list[tuple[float, float]] = []
    lock = threading.Lock()

    def call() -> None:
        with ARXIV_RATE_LIMITER.request(0.05):
            began = time.monotonic()
            time.sleep(0.01)  # stands in for the HTTP request
            ended = time.monotonic()
        with lock:
            spans.append((began, ended))

    threads = [threading.Thread(target=call) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ARXIV_RATE_LIMITER.reset()

    spans.sort()
    assert len(spans) == 5
    for (_, previous_end), (next_start, _) in itertools.pairwise(spans):
        assert next_start - previous_end >= 0.05


async def test_event_loop_keeps_running_during_a_fetch(
    arxiv_service: ArxivService, fake_arxiv: FakeArxiv
) -> None:
    fake_arxiv.add_entry("2304.08485", title="Visual Instruction Tuning")
    fake_arxiv.fail_next(ArxivFault.TIMEOUT)  # held until released
    fetch = asyncio.create_task(arxiv_service.fetch([ArxivId("2304.08485")]))

    await asyncio.wait_for(fake_arxiv.hold_started.wait(), timeout=5)
    ticks = 0
    while ticks < 10:
        await asyncio.sleep(0.005)
        ticks += 1
    assert not fetch.done()
    fake_arxiv.release()
    papers = await asyncio.wait_for(fetch, timeout=5)

    assert list(papers) == ["2304.08485"]
    assert fake_arxiv.request_count == 1


# -- faults -----------------------------------------------------------------------------


@pytest.fixture
def llava(fake_arxiv: FakeArxiv) -> ArxivId:
    fake_arxiv.add_entry("2304.08485", title="Visual Instruction Tuning")
    return ArxivId("2304.08485")


@pytest.mark.parametrize(
    "fault",
    [
        ArxivFault.RATE_LIMITED,
        ArxivFault.UNAVAILABLE,
        ArxivFault.SERVER_ERROR,
        ArxivFault.EMPTY_PAGE,
        ArxivFault.MALFORMED_XML,
        ArxivFault.BLANK_BODY,
    ],
)
async def test_fault_then_success(
    fault: ArxivFault, arxiv_service: ArxivService, fake_arxiv: FakeArxiv, llava: ArxivId
) -> None:
    fake_arxiv.fail_next(fault)

    papers = await arxiv_service.fetch([llava])

    assert papers["2304.08485"].title == "Visual Instruction Tuning"
    assert fake_arxiv.request_count == 2


async def test_retry_after_is_honoured(
    arxiv_service: ArxivService, fake_arxiv: FakeArxiv, llava: ArxivId
) -> None:
    fake_arxiv.fail_next(ArxivFault.RATE_LIMITED, retry_after=0.3)

    await arxiv_service.fetch([llava])

    first, second = fake_arxiv.request_times
    assert second - first >= 0.3 - JITTER


async def test_backoff_grows_exponentially(fake_arxiv: FakeArxiv, llava: ArxivId) -> None:
    fake_arxiv.fail_next(ArxivFault.UNAVAILABLE, times=3)
    service = ArxivService(fake_arxiv.query_url_format, min_interval=0, backoff_base=0.05)

    await service.fetch([llava])

    times = fake_arxiv.request_times
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert len(gaps) == 3
    for gap, expected in zip(gaps, [0.05, 0.1, 0.2], strict=True):
        assert gap >= expected - JITTER


async def test_timeout_then_success(fake_arxiv: FakeArxiv, llava: ArxivId) -> None:
    fake_arxiv.fail_next(ArxivFault.TIMEOUT)
    service = ArxivService(
        fake_arxiv.query_url_format, min_interval=0, backoff_base=0.01, timeout=0.3
    )

    started = time.monotonic()
    papers = await service.fetch([llava])

    assert list(papers) == ["2304.08485"]
    assert fake_arxiv.held == 1
    assert fake_arxiv.request_count == 2
    assert time.monotonic() - started >= 0.3 - JITTER


async def test_give_up_after_max_attempts(
    arxiv_service: ArxivService, fake_arxiv: FakeArxiv, llava: ArxivId
) -> None:
    fake_arxiv.fail_next(ArxivFault.UNAVAILABLE, times=10)

    with pytest.raises(ServiceUnavailable) as caught:
        await arxiv_service.fetch([llava])

    assert str(caught.value) == (
        "arXiv did not answer after 4 attempts; try again in a few minutes."
    )
    assert fake_arxiv.request_count == 4


async def test_persistently_malformed_xml_gives_up_cleanly(
    arxiv_service: ArxivService, fake_arxiv: FakeArxiv, llava: ArxivId
) -> None:
    fake_arxiv.fail_next(ArxivFault.MALFORMED_XML, times=4)

    with pytest.raises(ServiceUnavailable):
        await arxiv_service.fetch([llava])
    assert fake_arxiv.request_count == 4


async def test_timeouts_until_give_up(fake_arxiv: FakeArxiv, llava: ArxivId) -> None:
    fake_arxiv.fail_next(ArxivFault.TIMEOUT, times=2)
    service = ArxivService(
        fake_arxiv.query_url_format, min_interval=0, max_attempts=2, backoff_base=0, timeout=0.2
    )

    with pytest.raises(ServiceUnavailable, match="after 2 attempts"):
        await service.fetch([llava])
    assert fake_arxiv.held == 2


async def test_connection_refused_is_retried_then_reported(fresh_arxiv_rate_limit: None) -> None:
    async with FakeArxiv() as gone:
        url = gone.query_url_format
    service = ArxivService(url, min_interval=0, max_attempts=2, backoff_base=0, timeout=1)

    with pytest.raises(ServiceUnavailable, match="after 2 attempts"):
        await service.fetch([ArxivId("2304.08485")])


# -- search by title --------------------------------------------------------------------


async def test_search_by_title(arxiv_service: ArxivService, fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add_entry("2310.03744", title="Improved Baselines with Visual Instruction Tuning")
    fake_arxiv.add_entry("2304.08485", title="Visual Instruction Tuning")
    fake_arxiv.add_entry("2103.00020", title="Learning Transferable Visual Models")

    found = await arxiv_service.search("Visual Instruction Tuning")

    assert [paper.arxiv_id for paper in found] == ["2304.08485", "2310.03744"]
    request = fake_arxiv.requests[0]
    assert request.search_query == "ti:visual AND ti:instruction AND ti:tuning"
    assert request.id_list == ()
    assert request.max_results == 5


async def test_search_honours_limit(arxiv_service: ArxivService, fake_arxiv: FakeArxiv) -> None:
    for n in range(1, 8):
        fake_arxiv.add_entry(f"2405.{n:05d}", title=f"Sparse Mixture of Experts, part {n}")

    found = await arxiv_service.search("sparse mixture of experts", limit=3)

    assert len(found) == 3
    assert fake_arxiv.requests[0].max_results == 3


async def test_search_without_match_is_empty(
    arxiv_service: ArxivService, fake_arxiv: FakeArxiv
) -> None:
    fake_arxiv.add_entry("2304.08485", title="Visual Instruction Tuning")
    assert await arxiv_service.search("Completely Unrelated Title") == []
    assert fake_arxiv.request_count == 1


async def test_search_with_punctuation_and_operators(
    arxiv_service: ArxivService, fake_arxiv: FakeArxiv
) -> None:
    fake_arxiv.add_entry(
        "2210.01936",
        title="When and why vision-language models behave like bags-of-words, "
        "and what to do about it?",
    )

    found = await arxiv_service.search(
        'When and why "vision-language" models behave like bags-of-words, AND what to do about it?'
    )

    assert [paper.arxiv_id for paper in found] == ["2210.01936"]
    query = fake_arxiv.requests[0].search_query
    assert '"' not in query
    assert " AND ti:and " not in f"{query} "


async def test_empty_title_is_refused_without_request(
    arxiv_service: ArxivService, fake_arxiv: FakeArxiv
) -> None:
    with pytest.raises(InvalidInput, match="title"):
        await arxiv_service.search("  ?! ")
    assert fake_arxiv.request_count == 0


def test_title_query() -> None:
    assert (
        title_query("Attention Is All You Need") == "ti:attention AND ti:all AND ti:you AND ti:need"
    )
    assert title_query('The "Bitter" Lesson: OR not?') == "ti:bitter AND ti:lesson AND ti:not"
    assert title_query("The Of") == "ti:the AND ti:of"


# -- packaging -------------------------------------------------------------------------


def test_service_does_not_import_discord() -> None:
    code = (
        "import sys, bot.papers.arxiv, bot.papers.links, bot.papers.arxiv_ids;"
        "sys.exit(any(m == 'discord' or m.startswith('discord.') for m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)
