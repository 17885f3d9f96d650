"""A loopback stand-in for the arXiv query API (``/api/query``).

It replays the real responses recorded under ``shared/testdata/arxiv-api/`` and serves
entries a test builds with :meth:`FakeArxiv.add_entry`, in the same Atom shape. Every
request is logged with its arrival time (``time.monotonic``) so tests can check rate
limiting, and faults (429, 503, a hung response, an empty page, broken XML, HTTP 400) can
be injected for the next N requests.

The product calls arXiv from a worker thread with ``requests``, so the server can run on
the test's own event loop.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr

from aiohttp import web

from tests.harness.loopback import LoopbackServer

__all__ = [
    "ArxivFault",
    "ArxivRequest",
    "FakeArxiv",
    "FakeEntry",
    "readme_path",
    "recordings_dir",
    "shared_dir",
]

_ATOM = "http://www.w3.org/2005/Atom"
_NS = {"atom": _ATOM, "arxiv": "http://arxiv.org/schemas/atom"}
_CONTENT_TYPE = "application/atom+xml"
_FEED_OPEN = (
    "<?xml version='1.0' encoding='UTF-8'?>\n"
    '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
    'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">\n'
)
# What the real API accepts as an id syntactically (it answers HTTP 400 otherwise).
_API_ID = re.compile(
    r"(?:\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)?(?:\.[a-z]+(?:-[a-z]+)?)?/\d{7})(?:v\d+)?",
    re.IGNORECASE,
)
_VERSION = re.compile(r"^(?P<id>.+?)(?:v(?P<version>\d+))?$")
_WORD = re.compile(r"\w+", re.UNICODE)


def shared_dir() -> Path:
    """The shared data directory: ``$SHARED_DIR`` or ``<repo>/../shared``."""
    override = os.environ.get("SHARED_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2].parent / "shared"


def recordings_dir() -> Path:
    return shared_dir() / "testdata" / "arxiv-api"


def readme_path() -> Path:
    return shared_dir() / "examples" / "schedule-readme.md"


class ArxivFault(StrEnum):
    RATE_LIMITED = "429"
    UNAVAILABLE = "503"
    SERVER_ERROR = "500"
    BAD_REQUEST = "400"
    TIMEOUT = "timeout"
    EMPTY_PAGE = "empty"
    MALFORMED_XML = "malformed"
    BLANK_BODY = "blank"


@dataclass(frozen=True, slots=True)
class ArxivRequest:
    """One request as the fake saw it."""

    time: float
    path: str
    query_string: str
    id_list: tuple[str, ...]
    search_query: str
    start: int
    max_results: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class FakeEntry:
    """A paper the fake serves; rendered in the Atom shape of the real API."""

    arxiv_id: str
    version: int = 1
    title: str = "Untitled"
    authors: list[str] = field(default_factory=lambda: ["Ada Lovelace"])
    abstract: str = ""
    comment: str | None = None
    categories: list[str] = field(default_factory=lambda: ["cs.LG"])
    published: datetime = field(default_factory=lambda: datetime(2023, 4, 17, 17, 59, tzinfo=UTC))
    updated: datetime | None = None
    journal_ref: str | None = None
    doi: str | None = None
    with_pdf_link: bool = True

    def to_xml(self, version: int | None = None) -> str:
        shown = f"{self.arxiv_id}v{version or self.version}"
        updated = self.updated or self.published + timedelta(days=30 * (self.version - 1))
        lines = [
            "  <entry>",
            f"    <id>http://arxiv.org/abs/{escape(shown)}</id>",
            f"    <title>{escape(self.title)}</title>",
            f"    <updated>{_stamp(updated)}</updated>",
            f'    <link href="https://arxiv.org/abs/{escape(shown)}" rel="alternate" '
            'type="text/html"/>',
        ]
        if self.with_pdf_link:
            lines.append(
                f'    <link href="https://arxiv.org/pdf/{escape(shown)}" rel="related" '
                'type="application/pdf" title="pdf"/>'
            )
        lines.append(f"    <summary>{escape(self.abstract)}</summary>")
        lines.extend(
            f'    <category term={quoteattr(term)} scheme="http://arxiv.org/schemas/atom"/>'
            for term in self.categories
        )
        lines.append(f"    <published>{_stamp(self.published)}</published>")
        if self.comment is not None:
            lines.append(f"    <arxiv:comment>{escape(self.comment)}</arxiv:comment>")
        if self.categories:
            lines.append(f"    <arxiv:primary_category term={quoteattr(self.categories[0])}/>")
        if self.journal_ref is not None:
            lines.append(f"    <arxiv:journal_ref>{escape(self.journal_ref)}</arxiv:journal_ref>")
        if self.doi is not None:
            lines.append(f"    <arxiv:doi>{escape(self.doi)}</arxiv:doi>")
        for author in self.authors:
            lines.append(f"    <author>\n      <name>{escape(author)}</name>\n    </author>")
        lines.append("  </entry>")
        return "\n".join(lines) + "\n"


@dataclass(slots=True)
class _Recorded:
    url: str
    status: int
    body: str


@dataclass(slots=True)
class _RecordedEntry:
    """An entry cut out of a recorded response, served verbatim."""

    arxiv_id: str
    version: int
    title: str
    abstract: str
    authors: list[str]
    xml: str

    def to_xml(self, version: int | None = None) -> str:
        return self.xml


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _split_version(raw: str) -> tuple[str, int | None]:
    match = _VERSION.match(raw)
    assert match is not None
    version = match["version"]
    return match["id"], int(version) if version else None


def _ids(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _query_key(query: dict[str, list[str]]) -> tuple[frozenset[str], str, int, int]:
    def one(name: str, default: str) -> str:
        values = query.get(name)
        return values[0] if values else default

    return (
        frozenset(_ids(one("id_list", ""))),
        one("search_query", "").strip(),
        int(one("start", "0") or 0),
        int(one("max_results", "10") or 10),
    )


def _words(text: str) -> list[str]:
    return [word.casefold() for word in _WORD.findall(text)]


class _Query:
    """A small evaluator for arXiv's ``search_query`` syntax.

    Supports ``field:word``, ``field:"a phrase"``, bare words (= ``all:``), ``AND``, ``OR``
    and ``ANDNOT`` evaluated left to right, with parentheses ignored. Word matching is
    case-insensitive on whole words; phrases must appear as consecutive words.
    """

    _TOKEN = re.compile(r'(?:(?P<field>\w+):)?(?:"(?P<phrase>[^"]*)"|(?P<word>[^\s()"]+))')

    def __init__(self, text: str) -> None:
        self.terms: list[tuple[str, str, list[str]]] = []
        operator = "AND"
        for match in self._TOKEN.finditer(text):
            word = match["word"]
            if match["field"] is None and word in {"AND", "OR", "ANDNOT"}:
                operator = word
                continue
            field_name = (match["field"] or "all").lower()
            phrase = match["phrase"] if match["phrase"] is not None else word
            self.terms.append((operator, field_name, _words(phrase)))
            operator = "AND"

    def matches(self, entry: FakeEntry | _RecordedEntry) -> bool:
        result = True
        for index, (operator, field_name, words) in enumerate(self.terms):
            hit = self._term(entry, field_name, words)
            if index == 0:
                result = hit
            elif operator == "AND":
                result = result and hit
            elif operator == "OR":
                result = result or hit
            else:
                result = result and not hit
        return bool(self.terms) and result

    @staticmethod
    def _term(entry: FakeEntry | _RecordedEntry, field_name: str, words: list[str]) -> bool:
        fields = {
            "ti": entry.title,
            "abs": entry.abstract,
            "au": " ".join(entry.authors),
            "id": entry.arxiv_id,
        }
        haystack = fields.get(
            field_name, f"{entry.title} {entry.abstract} {' '.join(entry.authors)}"
        )
        tokens = _words(haystack)
        if not words:
            return False
        span = len(words)
        return any(tokens[i : i + span] == words for i in range(len(tokens) - span + 1))


class FakeArxiv(LoopbackServer):
    """The fake server. Use ``async with FakeArxiv() as fake:`` or ``start()``/``close()``."""

    def __init__(self, recordings: Path | None = None) -> None:
        super().__init__()
        self._recordings_dir = recordings or recordings_dir()
        self._recorded: dict[tuple[frozenset[str], str, int, int], _Recorded] = {}
        self._recorded_entries: dict[str, _RecordedEntry] = {}
        self._entries: dict[str, FakeEntry] = {}
        self._faults: deque[tuple[ArxivFault, float | None]] = deque()
        self.requests: list[ArxivRequest] = []
        self._load_recordings()

    # -- life cycle -------------------------------------------------------------------

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/query", self._handle)
        app.router.add_post("/api/query", self._handle)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def query_url_format(self) -> str:
        """Plug into ``arxiv.Client.query_url_format`` / ``ArxivService(query_url_format)``."""
        return f"{self.base_url}/api/query?{{}}"

    # -- content ----------------------------------------------------------------------

    def add_entry(
        self,
        arxiv_id: str,
        version: int = 1,
        *,
        title: str = "Untitled",
        authors: Sequence[str] = ("Ada Lovelace",),
        abstract: str = "",
        comment: str | None = None,
        categories: Sequence[str] = ("cs.LG",),
        published: datetime | None = None,
        updated: datetime | None = None,
        journal_ref: str | None = None,
        doi: str | None = None,
        with_pdf_link: bool = True,
    ) -> FakeEntry:
        """Serve a paper; ``version`` is the latest version (older ones are served too)."""
        base, parsed_version = _split_version(arxiv_id)
        entry = FakeEntry(
            arxiv_id=base,
            version=parsed_version or version,
            title=title,
            authors=list(authors),
            abstract=abstract,
            comment=comment,
            categories=list(categories),
            published=published or datetime(2023, 4, 17, 17, 59, 21, tzinfo=UTC),
            updated=updated,
            journal_ref=journal_ref,
            doi=doi,
            with_pdf_link=with_pdf_link,
        )
        self._entries[base] = entry
        return entry

    def remove_entry(self, arxiv_id: str) -> None:
        self._entries.pop(_split_version(arxiv_id)[0], None)

    def add_readme_entries(self, path: Path | None = None) -> list[str]:
        """Serve an entry for every arXiv paper linked from the schedule README.

        Titles come from the link texts (the longest one per id, so "Stiennon et al." loses
        to the real title); authors, dates and categories are synthetic but plausible.
        Returns the ids in order of first appearance.
        """
        text = (path or readme_path()).read_text(encoding="utf-8", errors="replace")
        titles: dict[str, str] = {}
        link = re.compile(
            r"\[(?P<text>[^\]]*)\]\(\s*https?://(?:www\.)?arxiv\.org/(?:abs|pdf)/"
            r"(?P<id>\d{4}\.\d{4,5})(?:v\d+)?(?:\.pdf)?\s*\)"
        )
        for match in link.finditer(text):
            label = " ".join(match["text"].split())
            current = titles.get(match["id"])
            if current is None or len(label) > len(current):
                titles[match["id"]] = label
        bare = re.compile(r"https?://(?:www\.)?arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5})")
        for match in bare.finditer(text):
            titles.setdefault(match[1], "")
        for arxiv_id, label in titles.items():
            self.add_entry(arxiv_id, **_synthetic_fields(arxiv_id, label))
        return list(titles)

    # -- faults -----------------------------------------------------------------------

    def fail_next(
        self, fault: ArxivFault | str, times: int = 1, *, retry_after: float | None = None
    ) -> None:
        """Answer the next ``times`` requests with ``fault`` instead of the real answer."""
        kind = ArxivFault(fault)
        for _ in range(times):
            self._faults.append((kind, retry_after))

    def clear_faults(self) -> None:
        self._faults.clear()

    # -- request log ------------------------------------------------------------------

    @property
    def request_count(self) -> int:
        return len(self.requests)

    @property
    def request_times(self) -> list[float]:
        return [request.time for request in self.requests]

    def min_spacing(self) -> float | None:
        """Smallest gap in seconds between consecutive requests (None below two)."""
        times = sorted(self.request_times)
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        return min(gaps) if gaps else None

    def reset_log(self) -> None:
        self.requests.clear()

    # -- internals --------------------------------------------------------------------

    def _load_recordings(self) -> None:
        if not self._recordings_dir.is_dir():
            return
        for path in sorted(self._recordings_dir.glob("*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            query = parse_qs(urlsplit(data["url"]).query, keep_blank_values=True)
            key = _query_key(query)
            recorded = _Recorded(data["url"], int(data["status_code"]), data["body"])
            self._recorded[key] = recorded
            if recorded.status == 200 and key[0]:
                for entry in _entries_of(recorded.body):
                    self._recorded_entries.setdefault(entry.arxiv_id, entry)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        arrived = time.monotonic()
        raw_query = request.query_string
        if request.method == "POST":
            raw_query = (await request.text()) or raw_query
        query = parse_qs(raw_query, keep_blank_values=True)
        try:
            key = _query_key(query)
        except ValueError:
            return _text_response(400, "start and max_results must be integers")
        ids, search_query, start, max_results = key
        self.requests.append(
            ArxivRequest(
                time=arrived,
                path=request.path,
                query_string=raw_query,
                id_list=_ids(query.get("id_list", [""])[0]),
                search_query=search_query,
                start=start,
                max_results=max_results,
                headers=dict(request.headers),
            )
        )
        fault, retry_after = self._faults.popleft() if self._faults else (None, None)
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        if fault is ArxivFault.RATE_LIMITED:
            return _text_response(429, "Rate exceeded.", headers)
        if fault is ArxivFault.UNAVAILABLE:
            return _text_response(503, "Service Unavailable", headers)
        if fault is ArxivFault.SERVER_ERROR:
            return _text_response(500, "Internal Server Error", headers)
        if fault is ArxivFault.BAD_REQUEST:
            bad = next(iter(ids), search_query or "query")
            return _atom_response(400, _error_feed(bad))
        if fault is ArxivFault.TIMEOUT:
            await self.hold()

        status, body, total = self._answer(query, raw_query)
        if fault is ArxivFault.EMPTY_PAGE and status == 200:
            # What the real API sporadically sends: a valid feed whose totals say there
            # are results, with no entries in it.
            body = _feed(raw_query, [], total=max(total, 1), start=start, per_page=max_results)
        elif fault is ArxivFault.BLANK_BODY:
            body = ""
        elif fault is ArxivFault.MALFORMED_XML:
            body = body[: max(len(body) // 2, 80)].rsplit("<", 1)[0] + "<entry><title>bro"
        return _atom_response(status, body)

    def _answer(self, query: dict[str, list[str]], raw_query: str) -> tuple[int, str, int]:
        """(status, body, total matches) for a request without faults."""
        key = _query_key(query)
        _, search_query, start, max_results = key
        ids = _ids(query.get("id_list", [""])[0])
        search = _Query(search_query) if search_query else None
        recorded = self._recorded.get(key)
        if recorded is not None:
            # Entries a test built take precedence over the recordings.
            if ids:
                overridden = any(_split_version(i)[0] in self._entries for i in ids)
            else:
                overridden = search is not None and any(map(search.matches, self._entries.values()))
            if not overridden:
                total = _total_of(recorded.body) if recorded.status == 200 else 0
                return recorded.status, recorded.body, total
        for raw_id in ids:
            if not _API_ID.fullmatch(raw_id):
                return 400, _error_feed(raw_id), 0
        entries_xml: list[str] = []
        if ids:
            seen: set[str] = set()
            for raw_id in ids:
                found = self._lookup(raw_id)
                if found is None or raw_id in seen:
                    continue
                seen.add(raw_id)
                entry, xml = found
                if search is None or search.matches(entry):
                    entries_xml.append(xml)
        elif search is not None:
            pool: list[FakeEntry | _RecordedEntry] = [
                *self._entries.values(),
                *(e for i, e in self._recorded_entries.items() if i not in self._entries),
            ]
            entries_xml = [entry.to_xml() for entry in pool if search.matches(entry)]
        total = len(entries_xml)
        page = entries_xml[start : start + max_results]
        return 200, _feed(raw_query, page, total=total, start=start, per_page=max_results), total

    def _lookup(self, raw_id: str) -> tuple[FakeEntry | _RecordedEntry, str] | None:
        base, version = _split_version(raw_id)
        built = self._entries.get(base)
        if built is not None:
            if version is not None and version > built.version:
                return None
            return built, built.to_xml(version)
        recorded = self._recorded_entries.get(base)
        if recorded is not None and version in (None, recorded.version):
            return recorded, recorded.xml
        return None


_FIRST_NAMES = ("Ana", "Bo", "Chen", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas")
_LAST_NAMES = ("Alvarez", "Brown", "Chen", "Dubois", "Eriksen", "Fischer", "Gupta", "Haddad")
_CATEGORY_SETS = (["cs.CV", "cs.CL"], ["cs.LG", "stat.ML"], ["cs.CL"], ["cs.LG", "cs.AI"])


def _synthetic_fields(arxiv_id: str, label: str) -> dict[str, object]:
    digest = hashlib.sha256(arxiv_id.encode()).digest()
    title = label if len(label.split()) >= 3 else f"{label or 'A Study'} of Multimodal Learning"
    authors = [
        f"{_FIRST_NAMES[digest[i] % len(_FIRST_NAMES)]} "
        f"{_LAST_NAMES[digest[i + 1] % len(_LAST_NAMES)]}"
        for i in range(0, 2 * (2 + digest[10] % 4), 2)
    ]
    year, month = 2000 + int(arxiv_id[:2]), int(arxiv_id[2:4])
    return {
        "version": 1 + digest[11] % 3,
        "title": title,
        "authors": authors,
        "abstract": f"We study {title.rstrip('?!.').lower()}. Experiments on standard benchmarks "
        "show consistent gains over strong baselines.",
        "categories": _CATEGORY_SETS[digest[12] % len(_CATEGORY_SETS)],
        "published": datetime(year, month, 1 + digest[13] % 27, 17, 0, tzinfo=UTC),
    }


def _entries_of(body: str) -> Iterable[_RecordedEntry]:
    root = ElementTree.fromstring(body.encode("utf-8"))
    chunks = re.findall(r"  <entry>.*?</entry>\n", body, flags=re.DOTALL)
    for element, xml in zip(root.iterfind("atom:entry", _NS), chunks, strict=True):
        entry_id = element.findtext("atom:id", "", _NS).split("/abs/", 1)[-1]
        base, version = _split_version(entry_id)
        yield _RecordedEntry(
            arxiv_id=base,
            version=version or 1,
            title=" ".join(element.findtext("atom:title", "", _NS).split()),
            abstract=element.findtext("atom:summary", "", _NS),
            authors=[
                a.findtext("atom:name", "", _NS) for a in element.iterfind("atom:author", _NS)
            ],
            xml=xml,
        )


def _total_of(body: str) -> int:
    match = re.search(r"<opensearch:totalResults>(\d+)</opensearch:totalResults>", body)
    return int(match[1]) if match else 0


def _feed(raw_query: str, entries: Sequence[str], *, total: int, start: int, per_page: int) -> str:
    now = _stamp(datetime.now(UTC))
    digest = hashlib.sha1(raw_query.encode()).hexdigest()[:27]
    return (
        _FEED_OPEN
        + f"  <id>https://arxiv.org/api/{digest}</id>\n"
        + f"  <title>arXiv Query: {escape(raw_query)}</title>\n"
        + f"  <updated>{now}</updated>\n"
        + f"  <link href={quoteattr('https://arxiv.org/api/query?' + raw_query)} "
        + 'type="application/atom+xml"/>\n'
        + f"  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>\n"
        + f"  <opensearch:totalResults>{total}</opensearch:totalResults>\n"
        + f"  <opensearch:startIndex>{start}</opensearch:startIndex>\n"
        + "".join(entries)
        + "</feed>\n"
    )


def _error_feed(bad_id: str) -> str:
    """The feed the API sends with HTTP 400 (shape of the recorded ``abc`` response)."""
    now = _stamp(datetime.now(UTC))
    anchor = "incorrect_id_format_for_" + re.sub(r"\W", "_", bad_id)
    return (
        _FEED_OPEN
        + "  <id>https://arxiv.org/</id>\n"
        + "  <title>arXiv Search Results</title>\n"
        + f"  <updated>{now}</updated>\n"
        + "  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>\n"
        + "  <opensearch:totalResults>1</opensearch:totalResults>\n"
        + "  <opensearch:startIndex>0</opensearch:startIndex>\n"
        + "  <entry>\n"
        + f"    <id>https://arxiv.org/api/errors#{escape(anchor)}</id>\n"
        + "    <title>Error</title>\n"
        + f"    <updated>{now}</updated>\n"
        + f'    <link href="https://arxiv.org/api/errors#{escape(anchor)}" rel="alternate" '
        + 'type="text/html"/>\n'
        + f"    <summary>incorrect id format for {escape(bad_id)}</summary>\n"
        + "    <author>\n      <name>arXiv api core</name>\n    </author>\n"
        + "  </entry>\n"
        + "</feed>\n"
    )


def _atom_response(status: int, body: str) -> web.Response:
    return web.Response(
        status=status, body=body.encode("utf-8"), headers={"Content-Type": _CONTENT_TYPE}
    )


def _text_response(status: int, text: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, text=text, headers=headers or {})
