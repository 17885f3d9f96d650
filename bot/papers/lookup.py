"""Looking papers up: references resolved to PaperSpecs, from the server's own papers or
from arXiv (one batched request for what the cache lacks, a title search), and the spec of
a paper outside arXiv from the details a member gave, all before any writing transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.clock import Clock
from bot.errors import InvalidInput, NotFound
from bot.papers.arxiv import ArxivService, PaperMetadata, _normalise_title
from bot.papers.arxiv_ids import ArxivId, UrlKind, classify_url, parse_arxiv_ref
from bot.papers.identity import canonical_url, of_arxiv, of_url, title_from_url
from bot.papers.refs import (
    _ID_SHAPED,
    _STORED,
    _URLISH,
    MAX_REFS,
    STORED_PREFIX,
    URL_LIMIT,
    RefKind,
    _is_arxiv,
    classify_ref,
    parse_authors,
)
from bot.text import TITLE_LIMIT, check_text
from storage.db import Database


@dataclass(frozen=True, slots=True)
class PaperSpec:
    """A resolved reference, ready to be stored."""

    ref_key: str
    arxiv_id: ArxivId | None = None
    metadata: PaperMetadata | None = None  # fresh from arXiv; None when the cache is good
    url: str | None = None
    title: str | None = None
    # Metadata a member typed for a paper outside arXiv (OpenReview, distill.pub, a PDF).
    authors: tuple[str, ...] = ()
    given: bool = False  # title/authors come from the member, not from the URL


class PaperLookup:
    """The paper service's lookups (the base of PaperService)."""

    def __init__(self, db: Database, clock: Clock, arxiv: ArxivService) -> None:
        self.db = db
        self.clock = clock
        self.arxiv = arxiv

    async def _by_title(self, title: str) -> PaperSpec:
        candidates = await self.arxiv.search(title, limit=5)
        wanted = _normalise_title(title)
        for meta in candidates:
            if _normalise_title(meta.title) == wanted:
                return PaperSpec(of_arxiv(meta.ref).key, meta.ref, meta)
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
        stored_ids: list[int] = []
        for raw in refs:
            text = raw.strip()
            if not text:
                continue
            if match := _STORED.match(text):
                stored_ids.append(int(match["id"]))
                specs.append(PaperSpec(f"{STORED_PREFIX}{match['id']}"))
                continue
            if not _is_arxiv(text) and _ID_SHAPED.match(text):
                parse_arxiv_ref(text)  # raises InvalidInput saying what is wrong with the id
            if _is_arxiv(text):
                ref = parse_arxiv_ref(text)
                specs.append(PaperSpec(of_arxiv(ref).key, ref))
            elif _URLISH.match(text):
                identity = of_url(canonical_url(text))
                if identity is None:
                    raise InvalidInput("That link is too long to be stored.")
                url = identity.url or text
                kind = classify_url(url)
                if identity.arxiv is not None:  # pragma: no cover - parse_arxiv_ref took it
                    specs.append(PaperSpec(identity.key, identity.arxiv))
                elif kind == UrlKind.PAPER or any_url:
                    specs.append(PaperSpec(identity.key, url=url, title=title_from_url(url)))
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
        if stored_ids:
            specs = await self._stored_specs(guild_id, specs, stored_ids)
        resolved: list[PaperSpec] = []
        for item in specs:
            if isinstance(item, str):  # a title: the server's own paper first, else arXiv
                item = await self._stored_title(guild_id, item) or await self._by_title(item)
            resolved.append(item)

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

    async def _stored_title(self, guild_id: int, title: str) -> PaperSpec | None:
        """The server's paper with exactly this title (as an import stores papers named
        without a link), so a title never creates the same paper twice."""
        async with self.db.unit() as uow:
            found = await uow.papers.by_title(guild_id, title, limit=1)
        if not found:
            return None
        paper = found[0]
        ref = ArxivId(paper.arxiv_id, paper.arxiv_version) if paper.arxiv_id else None
        return PaperSpec(paper.ref_key, ref, url=paper.url, title=paper.title)

    async def _stored_specs(
        self, guild_id: int, specs: list[PaperSpec | str], ids: list[int]
    ) -> list[PaperSpec | str]:
        """Replace ``paper:<id>`` placeholders by the stored papers' keys."""
        async with self.db.unit() as uow:
            found = {i: await uow.papers.get(guild_id, i) for i in dict.fromkeys(ids)}
        missing = [i for i, paper in found.items() if paper is None]
        if missing:
            raise NotFound("That stored paper is not in this server (any more): pick it again.")
        out: list[PaperSpec | str] = []
        for spec in specs:
            if isinstance(spec, PaperSpec) and spec.ref_key.startswith(STORED_PREFIX):
                paper = found[int(spec.ref_key.removeprefix(STORED_PREFIX))]
                assert paper is not None
                ref = ArxivId(paper.arxiv_id, paper.arxiv_version) if paper.arxiv_id else None
                out.append(PaperSpec(paper.ref_key, ref, url=paper.url, title=paper.title))
            else:
                out.append(spec)
        return out

    async def candidates(self, title: str, limit: int = 10) -> list[PaperMetadata]:
        """arXiv papers whose title has the words of ``title``, closest first.

        For "propose by title": the member picks one. Raises :class:`NotFound` when there is
        none, so the member gets a clear message instead of an empty menu.
        """
        cleaned = check_text(title, what="paper title", limit=TITLE_LIMIT)
        if cleaned is None:
            raise InvalidInput("Give a few words of the paper's title.")
        found = await self.arxiv.search(cleaned, limit=limit)
        if not found:
            raise NotFound(
                f"arXiv has no paper whose title has the words {cleaned[:80]!r}. Check the "
                "spelling, or paste the arXiv id or link instead."
            )
        return found

    def manual_spec(
        self, url: str, title: str | None, authors: str | None, *, any_url: bool = False
    ) -> PaperSpec:
        """A paper outside arXiv with the title and authors a member gave (``any_url``: also
        a page that does not look like a paper, as a session's reading may be)."""
        if classify_ref(url) not in (RefKind.PAPER_URL, RefKind.OTHER_URL):
            raise InvalidInput(f"{url[:80]!r} is not a link to a paper.")
        canonical = canonical_url(url)
        if len(canonical) > URL_LIMIT:
            raise InvalidInput(f"That link is longer than {URL_LIMIT} characters.")
        if not any_url and classify_url(canonical) != UrlKind.PAPER:
            raise InvalidInput(
                f"{canonical[:80]} does not look like a paper (an arXiv, OpenReview, "
                "ACL Anthology, distill.pub or PDF link)."
            )
        clean_title = check_text(title, what="paper title", limit=TITLE_LIMIT)
        if clean_title is None:
            raise InvalidInput("Give the paper's title.")
        identity = of_url(canonical)
        assert identity is not None  # within URL_LIMIT
        return PaperSpec(
            identity.key,
            url=canonical,
            title=clean_title,
            authors=parse_authors(authors),
            given=True,
        )
