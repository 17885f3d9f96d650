"""A loopback stand-in for the Hugging Face Daily Papers API.

``GET /api/daily_papers?date=|week=|month=&p=&limit=&sort=&submitter=`` and
``GET /api/papers/{id}`` answer from ``shared/testdata/hf-daily-papers/`` (read at test time,
never copied), in the API's shape: a known period is the concatenation of its files cut into
pages of ``limit`` (default 50, ``p`` counts from 0); an unknown well-formed period is ``[]``;
a malformed one is HTTP 400; no period gives the latest day. Tests can add entries or whole
periods, and inject faults for the next N requests (429, 500, 503, a malformed body, an
entry of the wrong shape, a hung answer). Every request is recorded.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections import deque
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.harness.arxiv import shared_dir
from tests.harness.loopback import LoopbackServer

__all__ = ["FakeDailyPapers", "FeedFault", "FeedRequest", "feed_dir"]

DEFAULT_LIMIT = 50
DATE_FILES = {
    "2024-03-14": ["daily_papers-2024-03-14.json"],
    "2026-06-12": ["recorded-daily_papers-2026-06-12.json"],
    "2026-07-31": ["recorded-daily_papers-2026-07-31.pretty.json"],
}
WEEK_FILES = {"2024-W11": ["daily_papers-week-2024-W11.json"]}
MONTH_FILES = {
    "2024-03": [
        "daily_papers-month-2024-03.json",
        "daily_papers-month-2024-03-p1.json",
        "daily_papers-month-2024-03-p2.json",
    ]
}
LATEST = "2024-03-14"
_DATE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")
_WEEK = re.compile(r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_PAPER_ID = re.compile(r"^[0-9A-Za-z.\-]+$")


def feed_dir() -> Path:
    return shared_dir() / "testdata" / "hf-daily-papers"


class FeedFault(StrEnum):
    RATE_LIMITED = "429"
    SERVER_ERROR = "500"
    UNAVAILABLE = "503"
    MALFORMED = "malformed"  # a 200 whose body is not JSON
    WRONG_SHAPE = "wrong_shape"  # a JSON object where an array belongs, entries not objects
    TIMEOUT = "timeout"  # held until the test releases it


@dataclass(frozen=True, slots=True)
class FeedRequest:
    time: float
    path: str
    query: dict[str, str]
    headers: dict[str, str]


class FakeDailyPapers(LoopbackServer):
    """Use ``async with FakeDailyPapers() as feed:``; point the bot at ``feed.endpoint``."""

    def __init__(self, root: Path | None = None) -> None:
        super().__init__()
        self.root = root or feed_dir()
        self.requests: list[FeedRequest] = []
        self._faults: deque[FeedFault] = deque()
        self._periods: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._papers: dict[str, dict[str, Any]] = {}
        self._cache: dict[str, list[dict[str, Any]]] = {}

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/daily_papers", self._daily)
        app.router.add_get("/api/papers/{paper_id}", self._paper)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- data -----------------------------------------------------------------------------

    def load(self, name: str) -> list[dict[str, Any]]:
        """The entries of one fixture file (a copy the caller may change)."""
        if name not in self._cache:
            self._cache[name] = json.loads((self.root / name).read_text(encoding="utf-8"))
        return copy.deepcopy(self._cache[name])

    def paper_file(self, arxiv_id: str) -> dict[str, Any] | None:
        if arxiv_id in self._papers:
            return copy.deepcopy(self._papers[arxiv_id])
        path = self.root / "papers" / f"{arxiv_id}.json"
        if _PAPER_ID.match(arxiv_id) and path.is_file():
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            return data
        return None

    def set_period(self, kind: str, value: str, entries: list[dict[str, Any]]) -> None:
        """Serve ``entries`` for ``kind`` (date, week or month) = ``value``."""
        self._periods[(kind, value)] = entries

    def set_paper(self, arxiv_id: str, body: dict[str, Any]) -> None:
        self._papers[arxiv_id] = body

    def entries_of(self, kind: str, value: str) -> list[dict[str, Any]]:
        if (kind, value) in self._periods:
            return copy.deepcopy(self._periods[(kind, value)])
        files = {"date": DATE_FILES, "week": WEEK_FILES, "month": MONTH_FILES}[kind]
        out: list[dict[str, Any]] = []
        for name in files.get(value, []):
            out.extend(self.load(name))
        return out

    # -- faults ---------------------------------------------------------------------------

    def fail_next(self, fault: FeedFault | str, times: int = 1) -> None:
        for _ in range(times):
            self._faults.append(FeedFault(fault))

    def clear_faults(self) -> None:
        self._faults.clear()

    def lists(self) -> list[FeedRequest]:
        return [r for r in self.requests if r.path == "/api/daily_papers"]

    def details(self) -> list[FeedRequest]:
        return [r for r in self.requests if r.path.startswith("/api/papers/")]

    # -- handlers -------------------------------------------------------------------------

    def _record(self, request: web.Request) -> None:
        self.requests.append(
            FeedRequest(time.monotonic(), request.path, dict(request.query), dict(request.headers))
        )

    async def _fault(self) -> web.Response | None:
        if not self._faults:
            return None
        fault = self._faults.popleft()
        if fault is FeedFault.TIMEOUT:
            await self.hold()
            return None
        if fault is FeedFault.MALFORMED:
            return web.Response(
                status=200, text='[{"paper": {"id": "24', content_type="application/json"
            )
        if fault is FeedFault.WRONG_SHAPE:
            return _json(["not an entry", 42])
        status = int(fault.value)
        message = {429: "Too Many Requests", 500: "Internal Error", 503: "Service Unavailable"}
        headers = {"Retry-After": "30"} if status == 429 else {}
        return _error(status, message[status], headers)

    async def _daily(self, request: web.Request) -> web.Response:
        self._record(request)
        if (faulty := await self._fault()) is not None:
            return faulty
        q = request.query
        try:
            page = int(q.get("p", "0") or 0)
            limit = int(q.get("limit", str(DEFAULT_LIMIT)) or DEFAULT_LIMIT)
        except ValueError:
            return _error(400, "Invalid p or limit")
        if page < 0 or limit < 1:
            return _error(400, "Invalid p or limit")
        sort = q.get("sort")
        if sort not in (None, "publishedAt", "trending"):
            return _error(400, "Invalid sort")
        checks = {"date": _DATE, "week": _WEEK, "month": _MONTH}
        entries: list[dict[str, Any]] | None = None
        for kind, pattern in checks.items():
            if kind in q:
                if not pattern.match(q[kind]):
                    return _error(400, f"Invalid {kind}")
                entries = self.entries_of(kind, q[kind])
                break
        if entries is None:
            entries = self.entries_of("date", LATEST)
        if sort == "trending":
            entries.sort(key=lambda e: -((e.get("paper") or {}).get("upvotes") or 0))
        return _json(entries[page * limit : (page + 1) * limit])

    async def _paper(self, request: web.Request) -> web.Response:
        self._record(request)
        if (faulty := await self._fault()) is not None:
            return faulty
        body = self.paper_file(request.match_info["paper_id"])
        if body is None:
            return _error(404, "Paper not found")
        return _json(body)


def _json(data: Any) -> web.Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return web.Response(body=body, headers={"Content-Type": "application/json; charset=utf-8"})


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    body = json.dumps({"error": message}).encode()
    all_headers = {"Content-Type": "application/json", "X-Error-Message": message}
    all_headers.update(headers or {})
    return web.Response(status=status, body=body, headers=all_headers)
