"""arXiv metadata lookups for the bot, built on the ``arxiv`` package.

What this adds to ``arxiv.Client``:

- every call runs in a worker thread (a small pool of its own), so the event loop and the
  gateway heartbeat never wait on arXiv;
- one process-wide rate limit (arXiv's terms: at most one request every three seconds,
  one connection at a time), shared by all :class:`ArxivService` instances and threads
  and applied around each HTTP request, retries included;
- a request timeout, and retries with exponential backoff (honouring ``Retry-After``) on
  429, 5xx, timeouts, connection errors, broken XML and the API's sporadic empty pages,
  instead of the package's immediate retries;
- errors a member can read: :class:`InvalidInput` for ids arXiv rejects or too many ids,
  :class:`ServiceUnavailable` when arXiv does not answer.
"""

from __future__ import annotations

import asyncio
import difflib
import email.utils
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, partial
from typing import TYPE_CHECKING, Any, TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from bot.errors import InvalidInput, ServiceUnavailable
from bot.papers.arxiv_ids import (
    ArxivId,
    UrlKind,
    classify_url,
    find_arxiv_refs,
    parse_arxiv_ref,
)
from bot.papers.links import Links, extract_links

if TYPE_CHECKING:  # the arxiv client, requests and lxml load on the first arXiv request
    import arxiv

DEFAULT_QUERY_URL = "https://export.arxiv.org/api/query?{}"

__all__ = [
    "ARXIV_RATE_LIMITER",
    "ArxivId",
    "ArxivService",
    "PaperMetadata",
    "RateLimiter",
    "UrlKind",
    "classify_url",
    "find_arxiv_refs",
    "parse_arxiv_ref",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

_ATOM_NS = "http://www.w3.org/2005/Atom"
_NS = {"atom": _ATOM_NS, "opensearch": "http://a9.com/-/spec/opensearch/1.1/"}
_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "how",
        "in",
        "into",
        "is",
        "it",
        "of",
        "on",
        "or",
        "the",
        "to",
        "via",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "with",
        "without",
    ]
)


class RateLimiter:
    """One request at a time, each at least ``interval`` seconds after the previous ended.

    arXiv's terms ask for at most one request every three seconds over a single
    connection at a time. Holding a lock for the whole request and counting the interval
    from the end of the previous one (as ``arxiv.Client`` does) guarantees that spacing
    as the server sees it, whatever the threads' scheduling.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_end: float | None = None

    @contextmanager
    def request(self, interval: float) -> Iterator[float]:
        """Wait for this caller's turn, then hold it for the ``with`` body.

        Yields the seconds waited for the interval (not counting waiting for the lock).
        """
        with self._lock:
            delay = 0.0
            if self._last_end is not None:
                delay = max(0.0, self._last_end + interval - time.monotonic())
                if delay:
                    time.sleep(delay)
            try:
                yield delay
            finally:
                self._last_end = time.monotonic()

    def reset(self) -> None:
        with self._lock:
            self._last_end = None


ARXIV_RATE_LIMITER = RateLimiter()
"""The one limiter every :class:`ArxivService` in the process shares."""

# arXiv calls block (on the network and on the limiter), so they get their own small pool
# instead of tying up the default executor that the rest of the bot uses. Requests are
# serialised by the limiter anyway; a second thread only lets the next call queue early.
_ARXIV_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="arxiv")


@dataclass(frozen=True, slots=True)
class PaperMetadata:
    arxiv_id: str
    version: int | None
    title: str
    authors: tuple[str, ...]
    abstract: str
    categories: tuple[str, ...]
    primary_category: str
    published: datetime
    updated: datetime
    comment: str | None
    journal_ref: str | None
    doi: str | None
    abs_url: str
    pdf_url: str | None

    @property
    def ref(self) -> ArxivId:
        return ArxivId(self.arxiv_id, self.version)

    @property
    def links(self) -> Links:
        """Code and demo links mentioned in the abstract or the arXiv comment."""
        return extract_links(self.abstract, self.comment)

    @classmethod
    def from_result(cls, result: arxiv.Result) -> PaperMetadata:
        short = result.get_short_id()
        match = re.fullmatch(r"(?P<id>.+?)(?:v(?P<version>\d+))?", short)
        assert match is not None
        arxiv_id = match["id"]
        version = int(match["version"]) if match["version"] else None
        categories = tuple(result.categories)
        return cls(
            arxiv_id=arxiv_id,
            version=version,
            title=_squash(result.title),
            authors=tuple(_squash(author.name) for author in result.authors),
            abstract=_squash(result.summary),
            categories=categories,
            primary_category=result.primary_category or (categories[0] if categories else ""),
            published=_utc(result.published),
            updated=_utc(result.updated),
            comment=_squash(result.comment) or None,
            journal_ref=_squash(result.journal_ref) or None,
            doi=_squash(result.doi) or None,
            abs_url=ArxivId(arxiv_id).abs_url,
            pdf_url=result.pdf_url or None,
        )


def _squash(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


# -- transport --------------------------------------------------------------------------


class _Transient(Exception):
    """A failure worth retrying."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class _BadRequest(Exception):
    """HTTP 400: arXiv rejected the query (e.g. an id it cannot parse)."""


class _Refused(Exception):
    """Any other status that retrying will not fix (403, 404…)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _error_summary(body: bytes) -> str | None:
    from lxml import etree

    try:
        root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    summary = root.findtext("atom:entry/atom:summary", namespaces=_NS)
    return _squash(summary) or None


def _check_feed(body: bytes) -> None:
    """Raise :class:`_Transient` for a 200 answer that is not a usable Atom feed."""
    if not body.strip():
        raise _Transient("empty response body")
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as error:
        raise _Transient(f"malformed XML: {error}") from error
    if root.tag != f"{{{_ATOM_NS}}}feed":
        raise _Transient(f"unexpected document root {root.tag!r}")
    entries = len(root.findall("atom:entry", _NS))

    def number(path: str) -> int:
        try:
            return int((root.findtext(path, namespaces=_NS) or "0").strip())
        except ValueError:
            return 0

    total, start = number("opensearch:totalResults"), number("opensearch:startIndex")
    if entries == 0 and total > start:
        raise _Transient(f"empty page although the feed reports {total} results")


@cache
def _session_class() -> type[Any]:
    """The session ``arxiv.Client`` sends through (built on first use: requests loads then)."""
    import requests

    class _ArxivSession(requests.Session):
        """The session ``arxiv.Client`` sends through: rate limit, timeout, answer checks."""

        def __init__(self, *, timeout: float, min_interval: float, limiter: RateLimiter) -> None:
            super().__init__()
            self._timeout = timeout
            self._min_interval = min_interval
            self._limiter = limiter

        def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
            kwargs["timeout"] = kwargs.get("timeout") or self._timeout
            try:
                with self._limiter.request(self._min_interval):
                    verb = method if isinstance(method, str) else method.decode()
                    response = super().request(verb, url, *args, **kwargs)
            except requests.Timeout as error:
                raise _Transient(f"no answer within {self._timeout:g} s") from error
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
                raise _Transient(f"connection failed: {error}") from error
            status = response.status_code
            if status == 200:
                _check_feed(response.content)
            elif status == 400:
                raise _BadRequest(_error_summary(response.content) or "bad request")
            elif status in _RETRY_STATUSES or status >= 500:
                raise _Transient(
                    f"HTTP {status}", _retry_after(response.headers.get("Retry-After"))
                )
            else:
                raise _Refused(status)
            return response

    return _ArxivSession


# -- the service ------------------------------------------------------------------------


class ArxivService:
    """Looks papers up on arXiv by id (batched) or by title."""

    MAX_IDS_PER_CALL = 100
    IDS_PER_REQUEST = 100
    MAX_SEARCH_RESULTS = 50

    def __init__(
        self,
        query_url_format: str = DEFAULT_QUERY_URL,
        *,
        min_interval: float = 3.0,
        max_attempts: int = 4,
        backoff_base: float = 1.0,
        timeout: float = 20.0,
        max_backoff: float = 60.0,
        limiter: RateLimiter = ARXIV_RATE_LIMITER,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.query_url_format = query_url_format
        self.min_interval = min_interval
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.timeout = timeout
        self.max_backoff = max_backoff
        self._limiter = limiter

    # -- public API -------------------------------------------------------------------

    async def fetch(self, ids: Sequence[ArxivId | str]) -> dict[str, PaperMetadata]:
        """Metadata for the given papers, keyed by id without version.

        Ids arXiv does not know are simply absent. All ids go in as few requests as
        possible (``id_list``, up to :attr:`IDS_PER_REQUEST` per request). A versioned id
        fetches that version; the same paper given twice keeps the first form.
        """
        wanted: dict[str, ArxivId] = {}
        for item in ids:
            ref = parse_arxiv_ref(item) if isinstance(item, str) else item
            wanted.setdefault(ref.id, ref)
        if len(wanted) > self.MAX_IDS_PER_CALL:
            raise InvalidInput(
                f"At most {self.MAX_IDS_PER_CALL} arXiv papers can be looked up at once, "
                f"and {len(wanted)} were given. Split the list and try again."
            )
        found: dict[str, PaperMetadata] = {}
        refs = list(wanted.values())
        for start in range(0, len(refs), self.IDS_PER_REQUEST):
            chunk = refs[start : start + self.IDS_PER_REQUEST]
            for paper in await self._call(self._fetch_chunk, chunk):
                if paper.arxiv_id in wanted:
                    found.setdefault(paper.arxiv_id, paper)
        return found

    async def get(self, ref: ArxivId | str) -> PaperMetadata | None:
        """One paper, or None when arXiv does not know it."""
        parsed = parse_arxiv_ref(ref) if isinstance(ref, str) else ref
        return (await self.fetch([parsed])).get(parsed.id)

    async def search(self, title: str, limit: int = 5) -> list[PaperMetadata]:
        """Papers whose title has the words of ``title``, closest titles first."""
        query = title_query(title)
        limit = max(1, min(limit, self.MAX_SEARCH_RESULTS))
        papers = await self._call(self._search, query, limit)
        wanted = _normalise_title(title)
        return sorted(
            papers,
            key=lambda paper: (
                -difflib.SequenceMatcher(None, wanted, _normalise_title(paper.title)).ratio()
            ),
        )

    # -- worker-thread bodies ---------------------------------------------------------

    def _client(self, page_size: int) -> arxiv.Client:
        # The package's own delay and retries are off: the shared limiter and the
        # backoff in _call replace them.
        import arxiv

        client = arxiv.Client(page_size=page_size, delay_seconds=0.0, num_retries=0)
        client.query_url_format = self.query_url_format
        client._session.close()
        client._session = _session_class()(
            timeout=self.timeout, min_interval=self.min_interval, limiter=self._limiter
        )
        return client

    def _fetch_chunk(self, chunk: Sequence[ArxivId]) -> list[PaperMetadata]:
        import arxiv

        search = arxiv.Search(id_list=[ref.versioned for ref in chunk], max_results=len(chunk))
        client = self._client(self.IDS_PER_REQUEST)
        try:
            return [PaperMetadata.from_result(result) for result in client.results(search)]
        finally:
            client._session.close()

    def _search(self, query: str, limit: int) -> list[PaperMetadata]:
        import arxiv

        search = arxiv.Search(query=query, max_results=limit)
        client = self._client(limit)
        try:
            return [PaperMetadata.from_result(result) for result in client.results(search)]
        finally:
            client._session.close()

    # -- retries ----------------------------------------------------------------------

    def _wait(self, state: RetryCallState) -> float:
        backoff: float = self.backoff_base * 2 ** (state.attempt_number - 1)
        error = state.outcome.exception() if state.outcome is not None else None
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            backoff = max(backoff, float(retry_after))
        return min(backoff, self.max_backoff)

    @staticmethod
    def _log_retry(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        delay = state.next_action.sleep if state.next_action is not None else 0.0
        log.warning(
            "arXiv attempt %d failed (%s); retrying in %.2f s", state.attempt_number, error, delay
        )

    async def _call(self, body: Callable[..., T], *args: Any) -> T:
        import arxiv

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type((_Transient, arxiv.ArxivError)),
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    loop = asyncio.get_running_loop()
                    return await loop.run_in_executor(_ARXIV_THREADS, partial(body, *args))
        except _BadRequest as error:
            raise InvalidInput(
                f"arXiv did not accept this request ({error}). Check the arXiv id and try again."
            ) from error
        except _Refused as error:
            raise ServiceUnavailable(
                f"arXiv refused the request ({error}); try again later."
            ) from error
        except (_Transient, arxiv.ArxivError) as error:
            log.error("arXiv gave up after %d attempts: %s", self.max_attempts, error)
            attempts = "attempt" if self.max_attempts == 1 else "attempts"
            raise ServiceUnavailable(
                f"arXiv did not answer after {self.max_attempts} {attempts}; "
                "try again in a few minutes."
            ) from error
        raise AssertionError("unreachable: tenacity either returns or raises")


def _normalise_title(title: str) -> str:
    return " ".join(re.findall(r"\w+", title.casefold()))


def title_query(title: str, max_words: int = 12) -> str:
    """An arXiv ``search_query`` matching titles that contain the words of ``title``.

    Words are reduced to letters and digits (so quotes, colons and operators in a pasted
    title cannot change the query's meaning), lowercased (``AND``/``OR`` stay words),
    common stop words are dropped when other words remain, and each word must occur in
    the title: ``ti:visual AND ti:instruction AND ti:tuning``.
    """
    words = list(dict.fromkeys(re.findall(r"\w+", title.casefold())))
    words = [word.replace("_", "") for word in words if word.replace("_", "")]
    if not words:
        raise InvalidInput("Give a few words of the paper's title to search arXiv for.")
    content = [word for word in words if word not in _STOPWORDS]
    chosen = (content or words)[:max_words]
    return " AND ".join(f"ti:{word}" for word in chosen)
