"""Papers: turning what members paste into stored papers with arXiv metadata.

Lookups happen in two steps so no database transaction waits on the network:
:meth:`PaperService.lookup` parses the references and fetches what the cache lacks from arXiv
(one batched request), then :meth:`PaperService.store` writes the papers inside the caller's
unit of work.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from bot.clock import Clock
from bot.errors import InvalidInput, NotFound
from bot.services.arxiv import ArxivService, PaperMetadata, _normalise_title
from bot.services.arxiv_ids import ArxivId, UrlKind, classify_url, parse_arxiv_ref
from bot.services.links import Links, extract_links
from bot.services.text import TITLE_LIMIT, check_text
from storage.db import Database
from storage.models import Paper, PaperSource
from storage.repositories import UnitOfWork
from storage.repositories.papers import arxiv_key, url_key

MAX_REFS = 100
_URLISH = re.compile(r"^(?:https?://|www\.)", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s,;]+")
# Shaped like an arXiv id even if it is not a valid one ("2313.00001", "hep-xx/9901001"):
# such input gets the parser's precise message instead of a title search.
_ID_SHAPED = re.compile(
    r"^(?:arxiv:\s*)?(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[a-z]{2})?/\d{7})(?:v\d+)?$", re.IGNORECASE
)


def split_refs(text: str) -> list[str]:
    """One option value → references.

    Ids and links may be separated by spaces, commas or semicolons; anything else is one
    title ("Visual Instruction Tuning").
    """
    text = text.strip()
    if not text:
        return []
    parts = [p for p in _SEPARATORS.split(text) if p]
    looks_like_refs = all(_URLISH.match(p) or _is_arxiv(p) for p in parts)
    return parts if looks_like_refs else [" ".join(text.split())]


def _is_arxiv(text: str) -> bool:
    try:
        parse_arxiv_ref(text)
    except InvalidInput:
        return False
    return True


@dataclass(frozen=True, slots=True)
class PaperSpec:
    """A resolved reference, ready to be stored."""

    ref_key: str
    arxiv_id: ArxivId | None = None
    metadata: PaperMetadata | None = None  # fresh from arXiv; None when the cache is good
    url: str | None = None
    title: str | None = None


def _canonical_url(url: str) -> str:
    url = url.strip()
    if url.lower().startswith("www."):
        url = "https://" + url
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.lower(), fragment="").geturl()


def _title_from_url(url: str) -> str:
    parts = urlsplit(url)
    tail = [p for p in parts.path.split("/") if p]
    name = tail[-1] if tail else parts.netloc
    return f"{parts.netloc}{'/' + name if tail else ''}"


def apply_metadata(paper: Paper, meta: PaperMetadata, now_links: Links | None = None) -> None:
    """Copy arXiv metadata onto a stored paper; organizer-edited links are kept."""
    paper.arxiv_id = meta.arxiv_id
    paper.arxiv_version = meta.version
    paper.url = meta.abs_url
    paper.title = meta.title
    paper.authors = list(meta.authors)
    paper.abstract = meta.abstract
    paper.categories = list(meta.categories)
    paper.primary_category = meta.primary_category or None
    paper.published_at = meta.published
    paper.source_updated_at = meta.updated
    paper.comment = meta.comment
    paper.journal_ref = meta.journal_ref
    paper.doi = meta.doi
    paper.pdf_url = meta.pdf_url
    paper.source = PaperSource.ARXIV
    if not paper.links_edited:
        links = now_links if now_links is not None else meta.links
        paper.code_links = [[link.name, link.url] for link in links.code]
        paper.demo_links = [[link.name, link.url] for link in links.demo]


class PaperService:
    def __init__(self, db: Database, clock: Clock, arxiv: ArxivService) -> None:
        self.db = db
        self.clock = clock
        self.arxiv = arxiv

    async def _by_title(self, title: str) -> PaperSpec:
        candidates = await self.arxiv.search(title, limit=5)
        wanted = _normalise_title(title)
        for meta in candidates:
            if _normalise_title(meta.title) == wanted:
                return PaperSpec(arxiv_key(meta.arxiv_id), meta.ref, meta)
        if not candidates:
            raise NotFound(
                f"arXiv has no paper titled {title[:80]!r}. Paste its arXiv id or link instead."
            )
        options = "; ".join(f"{m.arxiv_id} {m.title[:60]}" for m in candidates[:3])
        raise NotFound(
            f"No paper is titled exactly {title[:80]!r}. Did you mean one of these? "
            f"{options}. Give the arXiv id to be sure."
        )

    async def lookup(
        self, guild_id: int, refs: Sequence[str], *, any_url: bool = True, refresh: bool = False
    ) -> list[PaperSpec]:
        """Parse and resolve references; fetch from arXiv what the cache lacks (one request)."""
        if len(refs) > MAX_REFS:
            raise InvalidInput(
                f"{len(refs)} references at once is too many; give at most {MAX_REFS}."
            )
        specs: list[PaperSpec | str] = []
        for raw in refs:
            text = raw.strip()
            if not text:
                continue
            if _is_arxiv(text) or _ID_SHAPED.match(text):
                ref = parse_arxiv_ref(text)  # raises the parser's message for a bad id
                specs.append(PaperSpec(arxiv_key(ref.id), ref))
            elif _URLISH.match(text):
                url = _canonical_url(text)
                kind = classify_url(url)
                if kind == UrlKind.ARXIV:  # pragma: no cover - parse_arxiv_ref took it
                    ref = parse_arxiv_ref(url)
                    specs.append(PaperSpec(arxiv_key(ref.id), ref))
                elif kind == UrlKind.PAPER or any_url:
                    specs.append(PaperSpec(url_key(url), url=url, title=_title_from_url(url)))
                else:
                    raise InvalidInput(
                        f"{text[:80]} does not look like a paper (an arXiv, OpenReview, "
                        "ACL Anthology or PDF link)."
                    )
            else:
                title = check_text(text, what="paper title", limit=TITLE_LIMIT)
                if title is None:
                    continue
                specs.append(title)  # resolved by a title search below
        resolved: list[PaperSpec] = []
        for item in specs:
            resolved.append(await self._by_title(item) if isinstance(item, str) else item)

        arxiv_specs = [s for s in resolved if s.arxiv_id is not None and s.metadata is None]
        if arxiv_specs:
            async with self.db.unit() as uow:
                cached = await uow.papers.by_keys(guild_id, [s.ref_key for s in arxiv_specs])
            need: list[ArxivId] = []
            for spec in arxiv_specs:
                paper = cached.get(spec.ref_key)
                assert spec.arxiv_id is not None
                newer = (
                    paper is not None
                    and spec.arxiv_id.version is not None
                    and spec.arxiv_id.version != paper.arxiv_version
                )
                if refresh or paper is None or paper.fetched_at is None or newer:
                    need.append(spec.arxiv_id)
            fetched = await self.arxiv.fetch(need) if need else {}
            missing = [ref.versioned for ref in need if ref.id not in fetched]
            if missing:
                raise NotFound(
                    f"arXiv has no paper {', '.join(missing[:5])}"
                    f"{' …' if len(missing) > 5 else ''}. Check the id."
                )
            resolved = [
                replace(s, metadata=fetched[s.arxiv_id.id])
                if s.arxiv_id is not None and s.arxiv_id.id in fetched
                else s
                for s in resolved
            ]
        unique: dict[str, PaperSpec] = {}
        for spec in resolved:
            unique.setdefault(spec.ref_key, spec)
        return list(unique.values())

    async def store(
        self, uow: UnitOfWork, guild_id: int, specs: Sequence[PaperSpec]
    ) -> list[Paper]:
        """Create or refresh the papers of ``specs`` inside the caller's transaction."""
        existing = await uow.papers.by_keys(guild_id, [s.ref_key for s in specs])
        now = self.clock.now()
        papers: list[Paper] = []
        for spec in specs:
            paper = existing.get(spec.ref_key)
            if paper is None:
                paper = Paper(
                    guild_id=guild_id,
                    ref_key=spec.ref_key,
                    title=spec.title or spec.url or spec.ref_key,
                    url=spec.url,
                    source=PaperSource.ARXIV if spec.arxiv_id else PaperSource.MANUAL,
                )
                if spec.url and not spec.arxiv_id:
                    links = extract_links(spec.url)
                    paper.code_links = [[link.name, link.url] for link in links.code]
                await uow.papers.add(paper)
            if spec.metadata is not None:
                apply_metadata(paper, spec.metadata)
                paper.fetched_at = now
                await uow.papers.touch(paper)
            existing[spec.ref_key] = paper
            papers.append(paper)
        return papers

    async def resolve(
        self, uow: UnitOfWork, guild_id: int, refs: Sequence[str], *, actor_id: int | None
    ) -> list[Paper]:
        """Look up and store in one go (for callers already inside a unit of work)."""
        return await self.store(uow, guild_id, await self.lookup(guild_id, refs))
