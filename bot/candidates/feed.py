"""The Hugging Face Daily Papers feed, read through ``huggingface_hub``.

``HfApi.list_daily_papers`` (one GET of ``/api/daily_papers`` per day, ISO week or month,
paged by the caller) and ``HfApi.paper_info`` (``/api/papers/{id}``: keywords, code and
project links, Spaces) are synchronous and set no time-out of their own, so every call runs
in a small thread pool of its own with our time-out on the library's HTTP client, and the
event loop never waits on the feed.

What this adds to the library:

- answers are cached for ``cache_ttl`` (periods that are over for longer), so paging,
  the digest and several members asking at once make no new requests;
- every request counts against a budget per hour (:class:`RequestBudget`); details of papers
  are only fetched while a quarter of the budget is left, so listing stays possible;
- 5xx answers, time-outs and connection failures are retried with back-off; a 429, a
  malformed answer or a feed that is down end in a :class:`ServiceUnavailable` whose
  message a member can read;
- everything the feed says is untrusted: ids must be arXiv ids, text is cleaned and
  bounded, links must be http(s); entries that are not usable are left out.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urlsplit

from bot.clock import Clock
from bot.dates import Period
from bot.errors import InvalidInput, ServiceUnavailable
from bot.papers.arxiv_ids import parse_arxiv_ref
from bot.text import clean_block, clean_line

log = logging.getLogger(__name__)

T = TypeVar("T")

PAGE_SIZE = 50  # the API's default page size
MAX_PAGES = 10  # at most 500 papers for one day, week or month
TITLE_LIMIT = 400
ABSTRACT_LIMIT = 5000
MAX_AUTHORS = 50
MAX_KEYWORDS = 8
KEYWORD_LIMIT = 40
URL_LIMIT = 500
MAX_SPACES = 3
DETAILS_RESERVE = 0.25  # the share of the budget kept for lists
_SPACE_ID = re.compile(r"^[\w.-]{1,96}/[\w.-]{1,96}$")

# The feed's calls block on the network: they get threads of their own.
_FEED_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="hf-feed")


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One paper of the feed, cleaned. ``details`` once ``paper_info`` filled the keywords
    and links (list answers do not carry them)."""

    arxiv_id: str
    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()
    upvotes: int = 0
    published_at: datetime | None = None
    feed_day: date | None = None
    keywords: tuple[str, ...] = ()
    github_repo: str | None = None
    project_page: str | None = None
    spaces: tuple[str, ...] = ()
    details: bool = False

    @property
    def hf_url(self) -> str:
        return f"https://huggingface.co/papers/{self.arxiv_id}"

    @property
    def arxiv_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def text(self) -> str:
        """What the ranking compares: the title and the abstract."""
        return f"{self.title}. {self.abstract}".strip()


# --------------------------------------------------------------------------------------
# Untrusted answers → clean items


def _text(value: Any, limit: int, *, block: bool = False) -> str:
    if not isinstance(value, str):
        return ""
    cleaned = " ".join(clean_block(value).split()) if block else clean_line(value)
    return cleaned[:limit]


def _url(raw: Any) -> str | None:
    if not isinstance(raw, str):
        return None
    value = raw.strip()
    if len(value) > URL_LIMIT or any(c.isspace() for c in value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or "." not in parts.netloc:
        return None
    return value


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    return max(0, value)


def _names(authors: Any) -> tuple[str, ...]:
    """Author names from ``PaperAuthor`` objects (≥ 1.3), plain names (1.2) or dicts."""
    if not isinstance(authors, list):
        return ()
    names = []
    for author in authors[:MAX_AUTHORS]:
        if isinstance(author, str):
            name = author
        elif isinstance(author, dict):
            name = author.get("name", "")
        else:
            name = getattr(author, "name", "")
        cleaned = _text(name, 100)
        if cleaned:
            names.append(cleaned)
    return tuple(names)


def _keywords(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    out: list[str] = []
    for word in value:
        cleaned = _text(word, KEYWORD_LIMIT)
        if cleaned and cleaned.casefold() not in (k.casefold() for k in out):
            out.append(cleaned)
        if len(out) >= MAX_KEYWORDS:
            break
    return tuple(out)


def _spaces(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    out = []
    for space in value:
        ident = space.get("id") if isinstance(space, dict) else getattr(space, "id", None)
        if isinstance(ident, str) and _SPACE_ID.match(ident):
            out.append(ident)
    return tuple(out[:MAX_SPACES])


def _when(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def item_from_info(info: Any, *, feed_day: date | None = None) -> FeedItem | None:
    """A clean :class:`FeedItem` from a ``PaperInfo``; None when it is not usable (no arXiv
    id, no title)."""
    raw_id = getattr(info, "id", None)
    if not isinstance(raw_id, str):
        return None
    try:
        ref = parse_arxiv_ref(raw_id)
    except InvalidInput:
        return None
    title = _text(getattr(info, "title", None), TITLE_LIMIT)
    if not title:
        return None
    has_details = any(
        getattr(info, name, None) is not None
        for name in ("ai_keywords", "github_repo", "project_page", "linked_spaces", "ai_summary")
    )
    return FeedItem(
        arxiv_id=ref.id,
        title=title,
        abstract=_text(getattr(info, "summary", None), ABSTRACT_LIMIT, block=True),
        authors=_names(getattr(info, "authors", None)),
        upvotes=_count(getattr(info, "upvotes", None)),
        published_at=_when(getattr(info, "published_at", None)),
        feed_day=feed_day,
        keywords=_keywords(getattr(info, "ai_keywords", None)),
        github_repo=_url(getattr(info, "github_repo", None)),
        project_page=_url(getattr(info, "project_page", None)),
        spaces=_spaces(getattr(info, "linked_spaces", None)),
        details=has_details,
    )


# --------------------------------------------------------------------------------------
# Budget and errors


class RequestBudget:
    """At most ``per_hour`` requests in any hour (a sliding window on the given clock)."""

    def __init__(self, per_hour: int, clock: Clock) -> None:
        self.per_hour = per_hour
        self.clock = clock
        self._spent: deque[datetime] = deque()
        self._lock = threading.Lock()

    def _trim(self, now: datetime) -> None:
        while self._spent and self._spent[0] <= now - timedelta(hours=1):
            self._spent.popleft()

    def remaining(self) -> int:
        with self._lock:
            self._trim(self.clock.now())
            return self.per_hour - len(self._spent)

    def take(self) -> bool:
        with self._lock:
            now = self.clock.now()
            self._trim(now)
            if len(self._spent) >= self.per_hour:
                return False
            self._spent.append(now)
            return True

    def wait_minutes(self) -> int:
        with self._lock:
            if not self._spent:
                return 0
            free_at = self._spent[0] + timedelta(hours=1)
            return max(1, math.ceil((free_at - self.clock.now()).total_seconds() / 60))


class _Transient(Exception):
    """Worth retrying: a 5xx, a time-out, a failed connection."""


class PaperMissing(Exception):
    """The feed does not know the paper (HTTP 404 on its own answer)."""


def _status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def _classify(exc: BaseException) -> Exception:
    """A library exception → ``_Transient`` (retry) or a member-readable error."""
    if type(exc).__name__ == "OfflineModeIsEnabled":
        return ServiceUnavailable(
            "The Daily Papers feed is unreachable: HF_HUB_OFFLINE is set in the bot's environment."
        )
    status = _status(exc)
    if status == 404:
        return PaperMissing("the feed does not know this paper")
    if status == 429:
        return ServiceUnavailable(
            "The Daily Papers feed is rate-limiting the bot (HTTP 429); try again in a few minutes."
        )
    if status is not None and status >= 500:
        return _Transient(f"HTTP {status}")
    if status is not None:
        return ServiceUnavailable(f"The Daily Papers feed refused the request (HTTP {status}).")
    if isinstance(exc, (ValueError, TypeError, AttributeError, KeyError)):
        return ServiceUnavailable(
            "The Daily Papers feed sent an answer I could not read; try again later."
        )
    if isinstance(exc, TimeoutError) or "timeout" in type(exc).__name__.lower():
        return _Transient("no answer in time")
    return _Transient(f"connection failed ({type(exc).__name__})")


# --------------------------------------------------------------------------------------
# The client


@dataclass(slots=True)
class _Cached:
    items: list[FeedItem]
    at: datetime


class DailyPapersFeed:
    """Lists of the Daily Papers feed by day, week or month, and one paper's details."""

    def __init__(
        self,
        endpoint: str,
        clock: Clock,
        *,
        timeout: float = 20.0,
        budget: RequestBudget | None = None,
        cache_ttl: timedelta = timedelta(minutes=30),
        attempts: int = 3,
        backoff: float = 1.0,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.clock = clock
        self.timeout = timeout
        self.budget = budget or RequestBudget(60, clock)
        self.cache_ttl = cache_ttl
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.requests = 0  # made since start (for logs and tests)
        self._lists: dict[tuple[str, str], _Cached] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._api: Any = None

    # -- the library, off the event loop ------------------------------------------------

    def _hf(self) -> Any:
        if self._api is None:
            from huggingface_hub import HfApi  # imported on first use: idle memory stays low

            # token=False: the feed is public, a token saved on the machine stays off the wire
            self._api = HfApi(endpoint=self.endpoint, token=False)
        return self._api

    def _with_timeout(self, call: Callable[[], T]) -> T:
        from huggingface_hub import get_session

        # The library's shared HTTP client has no time-out of its own.
        get_session().timeout = self.timeout
        return call()

    def _list_page(self, params: dict[str, Any]) -> list[Any]:
        return self._with_timeout(lambda: list(self._hf().list_daily_papers(**params)))

    def _paper(self, arxiv_id: str) -> Any:
        return self._with_timeout(lambda: self._hf().paper_info(arxiv_id))

    async def _call(self, body: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        for attempt in range(1, self.attempts + 1):
            if not self.budget.take():
                raise ServiceUnavailable(
                    f"The bot has used its hourly allowance of {self.budget.per_hour} requests "
                    f"to the Daily Papers feed (FEED_REQUEST_BUDGET); try again in "
                    f"{self.budget.wait_minutes()} minutes."
                )
            self.requests += 1
            try:
                return await asyncio.wait_for(
                    loop.run_in_executor(_FEED_THREADS, partial(body, *args)),
                    self.timeout + 5,
                )
            except ServiceUnavailable:
                raise
            except Exception as exc:
                error = _classify(exc)
                if isinstance(error, PaperMissing):
                    if body == self._paper:
                        raise error from None
                    error = ServiceUnavailable(
                        "The Daily Papers feed refused the request (HTTP 404)."
                    )
                if not isinstance(error, _Transient):
                    log.warning("Daily Papers feed: %s (%s)", error, type(exc).__name__)
                    raise error from None
                if attempt < self.attempts:
                    delay = self.backoff * 2 ** (attempt - 1)
                    log.warning(
                        "Daily Papers feed: %s; retry %d of %d in %.2f s",
                        error,
                        attempt,
                        self.attempts - 1,
                        delay,
                    )
                    await asyncio.sleep(delay)
                    continue
                log.warning("Daily Papers feed: %s; giving up after %d tries", error, attempt)
                raise ServiceUnavailable(
                    f"The Daily Papers feed did not answer ({error}, {attempt} "
                    f"tr{'y' if attempt == 1 else 'ies'}); try again later."
                ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    # -- lists --------------------------------------------------------------------------

    @staticmethod
    def queries(period: Period) -> list[tuple[str, str]]:
        """The list requests a period needs: ("date" | "week" | "month", value)."""
        if period.kind == "week":
            year, week, _ = period.start.isocalendar()
            return [("week", f"{year}-W{week:02d}")]
        if period.kind == "month":
            return [("month", f"{period.start:%Y-%m}")]
        return [("date", day.isoformat()) for day in period.days]

    def _fresh(self, key: tuple[str, str], period_end: date) -> _Cached | None:
        cached = self._lists.get(key)
        if cached is None:
            return None
        over = period_end < self.clock.now().date() - timedelta(days=1)
        ttl = self.cache_ttl * 12 if over else self.cache_ttl
        return cached if self.clock.now() - cached.at <= ttl else None

    async def _one(self, key: tuple[str, str], period_end: date) -> list[FeedItem]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:  # members asking at once share one set of requests
            cached = self._fresh(key, period_end)
            if cached is not None:
                return cached.items
            name, value = key
            day = date.fromisoformat(value) if name == "date" else None
            items: list[FeedItem] = []
            for page in range(MAX_PAGES):
                params = {name: value, "p": page, "limit": PAGE_SIZE}
                answer = await self._call(self._list_page, params)
                for info in answer:
                    item = item_from_info(info, feed_day=day)
                    if item is not None:
                        items.append(item)
                if len(answer) < PAGE_SIZE:
                    break
            self._lists[key] = _Cached(items, self.clock.now())
            return items

    async def period(self, period: Period) -> list[FeedItem]:
        """Every paper of the period, once each (the first listing wins; the highest upvote
        count is kept)."""
        found: dict[str, FeedItem] = {}
        for key in self.queries(period):
            for item in await self._one(key, period.end):
                seen = found.get(item.arxiv_id)
                if seen is None:
                    found[item.arxiv_id] = item
                elif item.upvotes > seen.upvotes:
                    found[item.arxiv_id] = replace(seen, upvotes=item.upvotes)
        return list(found.values())

    # -- details ------------------------------------------------------------------------

    def can_fetch_details(self) -> bool:
        return self.budget.remaining() > self.budget.per_hour * DETAILS_RESERVE

    async def details(self, arxiv_id: str) -> FeedItem | None:
        """The paper's own answer (keywords, links, Spaces); None when the feed does not
        know it. Raises :class:`ServiceUnavailable` like the lists."""
        try:
            info = await self._call(self._paper, arxiv_id)
        except PaperMissing:
            return None
        item = item_from_info(info)
        return replace(item, details=True) if item is not None else None

    async def details_many(self, arxiv_ids: Iterable[str]) -> dict[str, FeedItem]:
        """Details of as many of the papers as the budget allows (in order); failures are
        logged and skipped, the papers are shown without them."""
        out: dict[str, FeedItem] = {}
        for arxiv_id in arxiv_ids:
            if not self.can_fetch_details():
                break
            try:
                item = await self.details(arxiv_id)
            except ServiceUnavailable as error:
                log.info("no details for %s: %s", arxiv_id, error)
                break
            if item is not None:
                out[arxiv_id] = item
        return out


def merge_details(item: FeedItem, details: FeedItem | None) -> FeedItem:
    """The list entry completed with what the paper's own answer adds."""
    if details is None:
        return item
    return replace(
        item,
        abstract=item.abstract or details.abstract,
        authors=item.authors or details.authors,
        keywords=details.keywords,
        github_repo=details.github_repo,
        project_page=details.project_page,
        spaces=details.spaces,
        details=True,
    )
