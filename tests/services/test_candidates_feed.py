"""The Daily Papers feed client against the loopback feed serving the shared fixtures:
``huggingface_hub`` does the HTTP; we check paging, caching, the budget, cleaning of
untrusted answers and the messages for every failure."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.candidates.feed import DailyPapersFeed, RequestBudget
from bot.dates import parse_period
from bot.errors import ServiceUnavailable
from tests.harness.clock import FakeClock
from tests.harness.hf_papers import FakeDailyPapers, FeedFault, feed_dir

TODAY = date(2024, 3, 15)


def manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((feed_dir() / "manifest.json").read_text())
    return data


@pytest.fixture
async def feed_server() -> AsyncIterator[FakeDailyPapers]:
    async with FakeDailyPapers() as fake:
        yield fake


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2024, 3, 15, 10, 0, tzinfo=UTC))


@pytest.fixture
def feed(feed_server: FakeDailyPapers, clock: FakeClock) -> DailyPapersFeed:
    return DailyPapersFeed(
        feed_server.endpoint, clock, timeout=1.0, budget=RequestBudget(100, clock), backoff=0.0
    )


def period(text: str | None) -> Any:
    return parse_period(text, TODAY)


async def test_a_day_gives_its_papers_in_order_with_clean_fields(
    feed: DailyPapersFeed, feed_server: FakeDailyPapers
) -> None:
    items = await feed.period(period("2024-03-14"))

    expected = manifest()["files"]["daily_papers-2024-03-14.json"]
    assert [i.arxiv_id for i in items] == expected
    by_id = {i.arxiv_id: i for i in items}
    assert by_id["2403.90001"].upvotes == 154
    assert by_id["2403.90010"].upvotes == 0  # the library turns 0 into None
    assert by_id["2403.90002"].abstract == ""
    assert by_id["2403.90004"].title.startswith("**PROSE** | Predicting")
    assert len(by_id["2403.90006"].title) == 315
    assert all(i.feed_day == date(2024, 3, 14) for i in items)
    assert by_id["2403.90001"].authors[:2] == ("Author One", "Author Two")
    assert not by_id["2403.90001"].details  # lists carry no keywords or links
    (request,) = feed_server.lists()
    assert request.query == {"p": "0", "limit": "50", "date": "2024-03-14"}
    assert "authorization" not in {k.lower() for k in request.headers}


async def test_a_month_is_paged_until_a_short_page(
    feed: DailyPapersFeed, feed_server: FakeDailyPapers
) -> None:
    items = await feed.period(period("2024-03"))
    assert len(items) == 70
    assert [r.query["p"] for r in feed_server.lists()] == ["0", "1"]


async def test_the_week_file_has_clean_titles(feed: DailyPapersFeed) -> None:
    items = await feed.period(period("2024-W11"))
    assert len(items) == 40
    wrapped = next(i for i in items if i.arxiv_id == "2403.90025")
    assert wrapped.title == manifest()["titles"]["2403.90025"]
    assert "\n" not in wrapped.title


async def test_answers_are_cached_and_shared(
    feed: DailyPapersFeed, feed_server: FakeDailyPapers, clock: FakeClock
) -> None:
    def asked(day: str) -> int:
        return sum(1 for r in feed_server.lists() if r.query.get("date") == day)

    await asyncio.gather(*(feed.period(period("2024-03-14")) for _ in range(3)))
    await feed.period(period("2024-03-12"))
    assert (asked("2024-03-14"), asked("2024-03-12")) == (1, 1)
    clock.advance(minutes=29)
    await feed.period(period("2024-03-14"))
    assert asked("2024-03-14") == 1
    # Yesterday's list still changes: asked again after the cache time (30 minutes)…
    clock.advance(minutes=2)
    await feed.period(period("2024-03-14"))
    await feed.period(period("2024-03-12"))
    assert (asked("2024-03-14"), asked("2024-03-12")) == (2, 1)
    # …a day that is over is kept twelve times longer.
    clock.advance(hours=6)
    await feed.period(period("2024-03-12"))
    assert asked("2024-03-12") == 2


async def test_details_add_keywords_links_and_spaces(feed: DailyPapersFeed) -> None:
    item = await feed.details("2403.90001")
    assert item is not None and item.details
    assert item.keywords[:3] == ("TinyGPT-V", "efficient", "multimodal")
    assert item.github_repo == "https://github.com/example-org/tinygpt-v"
    assert item.project_page == "https://example.org/projects/tinygpt-v/"
    assert item.spaces == ("example-org/tinygpt-v-demo",)
    assert await feed.details("2403.99999") is None


async def test_untrusted_entries_are_cleaned_or_left_out(
    feed: DailyPapersFeed, feed_server: FakeDailyPapers
) -> None:
    entries = feed_server.entries_of("date", "2024-03-14")[:3]
    entries[0]["paper"]["id"] = "../../etc/passwd"  # not an arXiv id: left out
    entries[1]["title"] = "  A\ttitle\x00 with\ncontrol characters  "
    entries[1]["paper"]["upvotes"] = "many"
    entries[2]["title"] = ""  # no title: left out
    feed_server.set_period("date", "2024-03-13", entries)

    items = await feed.period(period("2024-03-13"))

    assert [(i.arxiv_id, i.title, i.upvotes) for i in items] == [
        ("2403.90002", "A title with control characters", 0)
    ]


async def test_bad_links_from_the_feed_are_dropped(
    feed: DailyPapersFeed, feed_server: FakeDailyPapers
) -> None:
    body = feed_server.paper_file("2403.90001")
    assert body is not None
    body["githubRepo"] = "javascript:alert(1)"
    body["projectPage"] = "https://example.org/has space"
    body["linkedSpaces"] = [{"id": "../../x"}, {"id": "owner/space"}]
    feed_server.set_paper("2403.90001", body)
    item = await feed.details("2403.90001")
    assert item is not None
    assert (item.github_repo, item.project_page, item.spaces) == (None, None, ("owner/space",))


@pytest.mark.parametrize(
    ("fault", "times", "message"),
    [
        (FeedFault.RATE_LIMITED, 1, "rate-limiting the bot (HTTP 429)"),
        (FeedFault.MALFORMED, 1, "an answer I could not read"),
        (FeedFault.WRONG_SHAPE, 1, "an answer I could not read"),
        (FeedFault.SERVER_ERROR, 3, "did not answer (HTTP 500, 3 tries)"),
    ],
)
async def test_failures_end_in_one_clear_line(
    feed: DailyPapersFeed, feed_server: FakeDailyPapers, fault: FeedFault, times: int, message: str
) -> None:
    feed_server.fail_next(fault, times)
    with pytest.raises(ServiceUnavailable, match=re.escape(message)):
        await feed.period(period("2024-03-14"))
    # Nothing was cached: the next request goes out and succeeds.
    assert len(await feed.period(period("2024-03-14"))) == 20


async def test_5xx_is_retried(feed: DailyPapersFeed, feed_server: FakeDailyPapers) -> None:
    feed_server.fail_next(FeedFault.UNAVAILABLE, 2)
    assert len(await feed.period(period("2024-03-14"))) == 20
    assert len(feed_server.lists()) == 3


async def test_a_feed_that_hangs_times_out(feed_server: FakeDailyPapers, clock: FakeClock) -> None:
    quick = DailyPapersFeed(feed_server.endpoint, clock, timeout=0.3, attempts=1, backoff=0.0)
    feed_server.fail_next(FeedFault.TIMEOUT)
    with pytest.raises(ServiceUnavailable, match="no answer in time"):
        await quick.period(period("2024-03-14"))
    feed_server.release()


async def test_the_budget_limits_requests_per_hour(
    feed_server: FakeDailyPapers, clock: FakeClock
) -> None:
    feed = DailyPapersFeed(feed_server.endpoint, clock, budget=RequestBudget(2, clock))
    with pytest.raises(ServiceUnavailable, match=r"allowance of 2 requests.*in 60 minutes"):
        await feed.period(period("last 3 days"))
    assert len(feed_server.requests) == 2
    assert not feed.can_fetch_details()
    clock.advance(timedelta(minutes=61))
    assert feed.can_fetch_details()
    assert await feed.period(period("2024-03-14"))


async def test_details_stop_before_the_budget_is_gone(
    feed_server: FakeDailyPapers, clock: FakeClock
) -> None:
    feed = DailyPapersFeed(feed_server.endpoint, clock, budget=RequestBudget(8, clock))
    ids = manifest()["files"]["daily_papers-2024-03-14.json"]
    found = await feed.details_many(ids)
    assert len(feed_server.details()) == 6  # a quarter of the budget stays for lists
    assert set(found) <= set(ids)
