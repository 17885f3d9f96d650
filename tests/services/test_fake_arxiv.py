"""The fake arXiv API itself, queried with plain HTTP (as any client would)."""

from __future__ import annotations

import asyncio
import re

import aiohttp
import pytest

from tests.harness.arxiv import ArxivFault, FakeArxiv, recordings_dir


async def get(fake: FakeArxiv, query: str) -> tuple[int, str, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{fake.base_url}/api/query?{query}") as response,
    ):
        return response.status, response.headers["Content-Type"], await response.text()


def entry_ids(body: str) -> list[str]:
    return re.findall(r"<id>http://arxiv\.org/abs/([^<]+)</id>", body)


def total(body: str) -> int:
    match = re.search(r"<opensearch:totalResults>(\d+)<", body)
    assert match is not None
    return int(match[1])


async def test_recordings_are_loaded(fake_arxiv: FakeArxiv) -> None:
    assert len(list(recordings_dir().glob("*.json"))) == 20
    status, content_type, body = await get(
        fake_arxiv, "search_query=&id_list=1605.08386&start=0&max_results=100"
    )
    assert status == 200
    assert content_type.startswith("application/atom+xml")
    assert entry_ids(body) == ["1605.08386v1"]
    assert "arxiv.org/api/UY2mqR74Vu" in body  # served verbatim


@pytest.mark.parametrize(
    "query",
    [
        "search_query=&id_list=0808.05394%2C1707.08567&sortBy=relevance&start=0&max_results=100",
        "max_results=100&start=0&id_list=1707.08567,0808.05394",
        "id_list=1707.08567%2c0808.05394&max_results=100&sortOrder=ascending",
    ],
)
async def test_replay_ignores_parameter_order_and_encoding(
    fake_arxiv: FakeArxiv, query: str
) -> None:
    status, _, body = await get(fake_arxiv, query)
    assert status == 200
    assert "qFNnN3Zc8bA02fouemuGZq2J4Tg" in body  # the recorded two-id response
    assert fake_arxiv.requests[-1].id_list in {
        ("0808.05394", "1707.08567"),
        ("1707.08567", "0808.05394"),
    }


async def test_recorded_http_400_for_a_malformed_id(fake_arxiv: FakeArxiv) -> None:
    status, _, body = await get(fake_arxiv, "search_query=&id_list=abc&start=0&max_results=100")
    assert status == 400
    assert "<summary>incorrect id format for abc</summary>" in body


async def test_built_malformed_id_gets_the_same_error_shape(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add_entry("2304.08485", title="Visual Instruction Tuning")
    status, _, body = await get(fake_arxiv, "id_list=2304.08485,not-an-id&max_results=10")
    assert status == 400
    assert "<summary>incorrect id format for not-an-id</summary>" in body
    assert "https://arxiv.org/api/errors#incorrect_id_format_for_not_an_id" in body


async def test_id_list_returns_the_known_ones(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add_entry("2304.08485", version=2, title="Visual Instruction Tuning")
    status, _, body = await get(
        fake_arxiv, "id_list=2304.08485,2401.99999,1605.08386,2304.08485v1&max_results=100"
    )
    assert status == 200
    assert entry_ids(body) == ["2304.08485v2", "1605.08386v1", "2304.08485v1"]
    assert total(body) == 3


async def test_search_pages_and_totals(fake_arxiv: FakeArxiv) -> None:
    for n in range(1, 8):
        fake_arxiv.add_entry(f"2405.{n:05d}", title=f"Mixture of Experts at scale {n}")
    fake_arxiv.add_entry("2405.00100", title="Something else entirely")

    _, _, first = await get(
        fake_arxiv, 'search_query=ti:"mixture of experts"&start=0&max_results=3'
    )
    _, _, last = await get(fake_arxiv, "search_query=ti:experts AND ti:scale&start=6&max_results=3")
    _, _, either = await get(fake_arxiv, "search_query=ti:entirely OR ti:7&max_results=10")
    _, _, excluded = await get(fake_arxiv, "search_query=all:experts ANDNOT ti:7&max_results=10")

    assert entry_ids(first) == ["2405.00001v1", "2405.00002v1", "2405.00003v1"]
    assert total(first) == 7
    assert "<opensearch:itemsPerPage>3<" in first
    assert entry_ids(last) == ["2405.00007v1"]
    assert "<opensearch:startIndex>6<" in last
    assert sorted(entry_ids(either)) == ["2405.00007v1", "2405.00100v1"]
    assert total(excluded) == 6


async def test_recorded_search_is_replayed(fake_arxiv: FakeArxiv) -> None:
    _, _, body = await get(fake_arxiv, "search_query=testing&start=10&max_results=10")
    assert len(entry_ids(body)) == 10
    assert total(body) > 1000


async def test_readme_helper_builds_every_paper(fake_arxiv: FakeArxiv) -> None:
    ids = fake_arxiv.add_readme_entries()
    _, _, body = await get(fake_arxiv, f"id_list={','.join(ids)}&max_results=100")
    assert len(ids) == 42
    assert [found.split("v")[0] for found in entry_ids(body)] == ids
    titles = re.findall(r"<title>([^<]+)</title>", body)[1:]
    assert "Sigmoid Loss for Language Image Pre-Training" in titles
    assert all(len(title.split()) >= 3 for title in titles)


async def test_request_log_and_spacing(fake_arxiv: FakeArxiv) -> None:
    assert fake_arxiv.min_spacing() is None
    await get(fake_arxiv, "id_list=0000.0000&start=0&max_results=100")
    await get(fake_arxiv, "search_query=all:anything&max_results=5&start=5")
    assert fake_arxiv.request_count == 2
    assert fake_arxiv.request_times == sorted(fake_arxiv.request_times)
    spacing = fake_arxiv.min_spacing()
    assert spacing is not None
    assert spacing >= 0
    second = fake_arxiv.requests[1]
    assert (second.search_query, second.start, second.max_results) == ("all:anything", 5, 5)
    fake_arxiv.reset_log()
    assert fake_arxiv.request_count == 0


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        (ArxivFault.RATE_LIMITED, 429),
        (ArxivFault.UNAVAILABLE, 503),
        (ArxivFault.SERVER_ERROR, 500),
        (ArxivFault.BAD_REQUEST, 400),
    ],
)
async def test_status_faults_apply_to_the_next_requests_only(
    fake_arxiv: FakeArxiv, fault: ArxivFault, status: int
) -> None:
    fake_arxiv.fail_next(fault, times=2, retry_after=3)
    query = "id_list=1605.08386&start=0&max_results=100"
    statuses = [(await get(fake_arxiv, query))[0] for _ in range(3)]
    assert statuses == [status, status, 200]


async def test_retry_after_header(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.fail_next(ArxivFault.UNAVAILABLE, retry_after=2.5)
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{fake_arxiv.base_url}/api/query?id_list=1605.08386") as response,
    ):
        assert response.status == 503
        assert response.headers["Retry-After"] == "2.5"


async def test_empty_page_claims_results_it_does_not_contain(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.fail_next(ArxivFault.EMPTY_PAGE)
    status, _, body = await get(fake_arxiv, "id_list=1605.08386&start=0&max_results=100")
    assert status == 200
    assert entry_ids(body) == []
    assert total(body) == 1


async def test_malformed_and_blank_bodies(fake_arxiv: FakeArxiv) -> None:
    from xml.etree import ElementTree

    fake_arxiv.fail_next(ArxivFault.MALFORMED_XML)
    fake_arxiv.fail_next(ArxivFault.BLANK_BODY)
    _, _, broken = await get(fake_arxiv, "id_list=1605.08386&start=0&max_results=100")
    status, _, blank = await get(fake_arxiv, "id_list=1605.08386&start=0&max_results=100")
    with pytest.raises(ElementTree.ParseError):
        ElementTree.fromstring(broken)
    assert (status, blank) == (200, "")


async def test_timeout_holds_until_released(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.fail_next(ArxivFault.TIMEOUT)
    pending = asyncio.create_task(get(fake_arxiv, "id_list=1605.08386&max_results=100"))
    await asyncio.wait_for(fake_arxiv.hold_started.wait(), timeout=5)
    assert fake_arxiv.held == 1
    assert not pending.done()
    fake_arxiv.release()
    status, _, body = await asyncio.wait_for(pending, timeout=5)
    assert status == 200
    assert entry_ids(body) == ["1605.08386v1"]
