"""Papers: turning what members paste into stored papers with arXiv metadata.

Lookups happen in two steps so no database transaction waits on the network:
:meth:`PaperService.lookup` parses the references and fetches what the cache lacks from arXiv
(one batched request), then :meth:`PaperService.store` writes the papers inside the caller's
unit of work.

A reference is one of: an arXiv id or link (any form :func:`parse_arxiv_ref` accepts), a
link to a paper elsewhere (OpenReview, distill.pub, a PDF...; stored with the metadata the
member gives), a title (searched on arXiv), or ``paper:<id>``, the value autocomplete hands
back for a paper already stored in the server.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from urllib.parse import urlsplit

from bot.clock import Clock
from bot.errors import InvalidInput, NotFound
from bot.papers.arxiv import ArxivService, PaperMetadata, _normalise_title
from bot.papers.arxiv_ids import ArxivId, UrlKind, classify_url, parse_arxiv_ref
from bot.papers.identity import (
    canonical_url,
    equivalent_keys,
    is_stand_in_title,
    of_arxiv,
    of_url,
    title_from_url,
)
from bot.papers.links import Link, Links, extract_links
from bot.readinglist.marks import read_marks
from bot.text import NAME_LIMIT, TITLE_LIMIT, check_text, clean_line
from storage.db import Database
from storage.models import Paper, PaperSource, ReadingSession, id_of
from storage.repositories import UnitOfWork

MAX_REFS = 100
MAX_AUTHORS = 50
MAX_LINKS_PER_KIND = 5
LINK_LABEL_LIMIT = 40
URL_LIMIT = 500  # also the longest single reference (a link; an id or title is shorter)
REFS_LIMIT = 6000  # several references in one text (Discord's longest option)
AUTHORS_LIMIT = 2000
LINKS_LIMIT = 1500  # the links typed for the Code or Demo column
STORED_PREFIX = "paper:"
_URLISH = re.compile(r"^(?:https?://|www\.)", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s,;]+")
_STORED = re.compile(r"^paper:(?P<id>\d{1,18})$", re.IGNORECASE)
# Shaped like an arXiv id even if it is not a valid one ("0000.0000", "2313.12345",
# "foo-th/9901001"): such input gets the parser's precise message, not a title search.
_ID_SHAPED = re.compile(
    r"^(?:arxiv\s*:\s*)?(?:\d{4}\.\d{3,6}|[a-z]+(?:-[a-z]+)?(?:\.[a-z-]+)?/\d{5,8})(?:v\d+)?$",
    re.IGNORECASE,
)
_WITHDRAWN = re.compile(
    r"\b(?:this|the) (?:paper|article|submission|manuscript|work) (?:has been|is|was) withdrawn"
    r"|\bwithdrawn by (?:the )?(?:authors?|arxiv)"
    r"|\barxiv admin note:[^.]*\bwithdrawn",
    re.IGNORECASE,
)
_LINK_TOKEN = re.compile(
    r"\[(?P<label>[^\]]{0,80})\]\(\s*(?P<url>[^()\s]+)\s*\)|(?P<bare>[^\s,\[\]]+)"
)
_CLEAR_WORDS = frozenset({"-", "none", "clear", "remove"})


class RefKind(StrEnum):
    ARXIV = "arxiv"
    PAPER_URL = "paper_url"  # a paper outside arXiv: needs metadata from the member
    OTHER_URL = "other_url"  # a link that is not a paper (a repository, a blog post...)
    STORED = "stored"  # paper:<id>, a paper this server already has
    TITLE = "title"


def split_refs(text: str) -> list[str]:
    """One option value → references.

    Ids and links may be separated by spaces, commas or semicolons; anything else is one
    title ("Visual Instruction Tuning").
    """
    text = text.strip()
    if not text:
        return []
    if len(text) > REFS_LIMIT:
        raise InvalidInput(
            f"That is {len(text):,} characters of references; give at most {REFS_LIMIT:,}."
        )
    parts = [p for p in _SEPARATORS.split(text) if p]
    looks_like_refs = all(
        _URLISH.match(p) or _is_arxiv(p) or _ID_SHAPED.match(p) or _STORED.match(p) for p in parts
    )
    return parts if looks_like_refs else [" ".join(text.split())]


def _is_arxiv(text: str) -> bool:
    try:
        parse_arxiv_ref(text)
    except InvalidInput:
        return False
    return True


def classify_ref(text: str) -> RefKind:
    """What kind of reference ``text`` is; malformed arXiv ids raise the parser's message."""
    text = text.strip()
    if not text:
        raise InvalidInput("Give an arXiv id or link, a link to the paper, or its title.")
    if _STORED.match(text):
        return RefKind.STORED
    if _is_arxiv(text):
        return RefKind.ARXIV
    if _ID_SHAPED.match(text):
        parse_arxiv_ref(text)  # raises InvalidInput saying what is wrong with the id
    if _URLISH.match(text):
        if classify_url(text) == UrlKind.PAPER:
            return RefKind.PAPER_URL
        host = urlsplit(canonical_url(text)).netloc.removeprefix("www.")
        if host == "arxiv.org" or host.endswith(".arxiv.org"):
            parse_arxiv_ref(text)  # "an arXiv link but not to a paper"
        return RefKind.OTHER_URL
    return RefKind.TITLE


def stored_ref(paper: Paper) -> str:
    """The reference autocomplete hands back for a stored paper."""
    return f"{STORED_PREFIX}{paper.id}"


def paper_ref(paper: Paper) -> str:
    """A reference that resolves to ``paper`` again without any request (cached)."""
    if paper.arxiv_id:
        return paper.arxiv_id
    if paper.url:
        return paper.url
    return stored_ref(paper)


def is_withdrawn(paper: Paper | PaperMetadata) -> bool:
    """Whether arXiv lists the paper (this version) as withdrawn by its authors."""
    comment = paper.comment or ""
    abstract = (paper.abstract or "")[:400]
    return bool(_WITHDRAWN.search(comment) or _WITHDRAWN.search(abstract))


def check_not_withdrawn(paper: Paper) -> None:
    if not is_withdrawn(paper):
        return
    name = paper.arxiv_id or paper.title
    earlier = (
        f" Give an earlier version (e.g. {paper.arxiv_id}v{paper.arxiv_version - 1}) to use it."
        if paper.arxiv_id and paper.arxiv_version and paper.arxiv_version > 1
        else ""
    )
    raise InvalidInput(f"arXiv lists {name} as withdrawn by its authors.{earlier}")


def parse_authors(text: str | None) -> tuple[str, ...]:
    """'H. Liu, C. Li; Q. Wu' → ('H. Liu', 'C. Li', 'Q. Wu'); mentions are refused."""
    if text is None:
        return ()
    cleaned = check_text(text, what="author list", limit=AUTHORS_LIMIT)
    if cleaned is None:
        return ()
    names = [clean_line(n) for n in re.split(r"[,;]|\band\b", cleaned)]
    names = [n for n in names if n]
    if len(names) > MAX_AUTHORS:
        raise InvalidInput(f"{len(names)} authors is more than {MAX_AUTHORS}; add 'et al.'.")
    for name in names:
        if len(name) > NAME_LIMIT:
            raise InvalidInput(
                f"An author name is {len(name)} characters long; separate authors by commas."
            )
    return tuple(names)


def parse_links(text: str | None, kind: str) -> list[list[str]] | None:
    """Links an organizer typed for the Code or Demo column, README style.

    ``None`` leaves the column as it is; ``-`` (or ``none``) empties it. Accepts bare URLs
    and ``[Label](url)`` links separated by spaces or commas; a bare URL is labelled like the
    README does (GitHub, Project Page, HuggingFace, Colab, Demo...).
    """
    if text is None:
        return None
    text = text.strip()
    if text.lower() in _CLEAR_WORDS:
        return []
    if len(text) > LINKS_LIMIT:
        raise InvalidInput(f"Give at most {LINKS_LIMIT:,} characters of {kind} links.")
    links: list[list[str]] = []
    for match in _LINK_TOKEN.finditer(text):
        url = (match["url"] or match["bare"]).strip("<>")
        given = match["label"]
        if "://" not in url and re.match(r"^[\w-]+(?:\.[\w-]+)+(?:[/?#]|$)", url):
            url = f"https://{url}"  # "github.com/owner/repo", "www.example.org"
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or "." not in parts.netloc or len(url) > URL_LIMIT:
            raise InvalidInput(
                f"{url[:80]!r} is not a link. Give links such as https://github.com/owner/repo, "
                "separated by spaces, or - to remove them."
            )
        label = given or _default_label(url, kind)
        label = check_text(label, what="link label", limit=LINK_LABEL_LIMIT) or kind.title()
        if [label, url] not in links:
            links.append([label, url])
    if len(links) > MAX_LINKS_PER_KIND:
        raise InvalidInput(f"Give at most {MAX_LINKS_PER_KIND} {kind} links.")
    return links


def _default_label(url: str, kind: str) -> str:
    """The site's name (GitHub, HuggingFace, Colab...), else the column's usual word."""
    named: tuple[Link, ...] = extract_links(url).all
    if named and named[0].name not in ("Project Page", "Demo"):
        return named[0].name
    return "Demo" if kind == "demo" else "Project Page"


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


@dataclass(frozen=True, slots=True)
class PaperDetails:
    """A stored paper with where it appears in the server (``/paper info``)."""

    paper: Paper
    # (number in the server, status, votes)
    proposals: list[tuple[int, str, int]] = field(default_factory=list)
    sessions: list[ReadingSession] = field(default_factory=list)
    reading: list[tuple[str, bool]] = field(default_factory=list)  # (topic path, read)


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

    async def needs_details(self, guild_id: int, ref: str, *, any_url: bool = False) -> bool:
        """Whether ``ref`` is a link outside arXiv whose title and authors only a member can
        give: not stored yet, or stored with a title made from its link or without authors.
        ``any_url``: also a link that does not look like a paper (a session's reading)."""
        kind = classify_ref(ref)
        if kind != RefKind.PAPER_URL and not (any_url and kind == RefKind.OTHER_URL):
            return False
        if len(canonical_url(ref)) > URL_LIMIT:
            return False  # too long for the form's paper: stored by its link alone, if at all
        stored = await self.stored(guild_id, ref)
        if stored is None:
            return True
        return stored.source == PaperSource.MANUAL and (
            not stored.authors or is_stand_in_title(stored.title, stored.url)
        )

    async def stored(self, guild_id: int, ref: str) -> Paper | None:
        """The stored paper ``ref`` names, without any request; None when not stored."""
        kind = classify_ref(ref)
        async with self.db.unit() as uow:
            return await self._stored(uow, guild_id, ref.strip(), kind)

    async def _stored(
        self, uow: UnitOfWork, guild_id: int, ref: str, kind: RefKind
    ) -> Paper | None:
        if kind == RefKind.STORED:
            match = _STORED.match(ref)
            assert match is not None
            return await uow.papers.get(guild_id, int(match["id"]))
        if kind == RefKind.ARXIV:
            return await uow.papers.by_key(guild_id, of_arxiv(parse_arxiv_ref(ref)).key)
        if kind in (RefKind.PAPER_URL, RefKind.OTHER_URL):
            identity = of_url(canonical_url(ref))
            if identity is None:
                return None
            return await self._by_identity(uow, guild_id, identity.key)
        found = await uow.papers.by_title(guild_id, " ".join(ref.split()))
        return found[0] if found else None

    async def find(self, guild_id: int, ref: str, *, refresh: bool = False) -> Paper:
        """The paper a member means, for reading or changing it.

        An arXiv paper the server does not have yet is fetched and cached (``refresh``
        re-fetches a cached one, keeping organizer-edited links). Other references must name
        a stored paper.
        """
        kind = classify_ref(ref)
        ref = ref.strip()
        paper = await self.stored(guild_id, ref)
        if kind == RefKind.ARXIV and (paper is None or refresh):
            specs = await self.lookup(guild_id, [ref], refresh=refresh)
            async with self.db.unit() as uow:
                return (await self.store(uow, guild_id, specs))[0]
        if paper is not None and refresh and paper.arxiv_id:
            specs = await self.lookup(guild_id, [paper.arxiv_id], refresh=True)
            async with self.db.unit() as uow:
                return (await self.store(uow, guild_id, specs))[0]
        if paper is not None and refresh:
            raise InvalidInput(
                f"{paper.title[:80]!r} is not an arXiv paper: its details come from the member "
                "who added it, so there is nothing to re-fetch."
            )
        if paper is None:
            what = "paper titled " + repr(ref[:80]) if kind == RefKind.TITLE else ref[:80]
            raise NotFound(
                f"This server has no {what} yet. Give its arXiv id or link, or propose it "
                "with /paper propose."
            )
        return paper

    async def search(self, guild_id: int, text: str, limit: int = 25) -> list[Paper]:
        """Stored papers whose title, arXiv id or link contains ``text`` (autocomplete)."""
        async with self.db.unit() as uow:
            return await uow.papers.search(guild_id, text, limit=limit)

    async def details(self, guild_id: int, paper: Paper) -> PaperDetails:
        async with self.db.unit() as uow:
            proposals = await uow.proposals.for_paper(guild_id, id_of(paper))
            counts = await uow.proposals.vote_counts([id_of(p) for p in proposals])
            sessions = await uow.sessions.sessions_with_paper(guild_id, id_of(paper))
            items = await uow.readinglist.items_for_paper(guild_id, id_of(paper))
            topics = {t.id: t for t in await uow.readinglist.topics(guild_id)}
            marks = await read_marks(uow, guild_id, self.clock.now())
        return PaperDetails(
            paper=paper,
            proposals=[(p.number, p.status, counts.get(p.id, 0)) for p in proposals if p.id],
            sessions=sessions,
            reading=[
                (topics[i.topic_id].path, marks.is_read(i.id, i.read))
                for i in items
                if i.topic_id in topics
            ],
        )

    async def set_links(
        self, guild_id: int, ref: str, *, code: str | None, demo: str | None
    ) -> Paper:
        """Organizers set the Code and Demo links; a later refresh from arXiv keeps them."""
        code_links = parse_links(code, "code")
        demo_links = parse_links(demo, "demo")
        if code_links is None and demo_links is None:
            raise InvalidInput("Give code links, demo links, or both (- removes them).")
        paper = await self.find(guild_id, ref)
        async with self.db.unit() as uow:
            stored = await uow.papers.get(guild_id, id_of(paper))
            if stored is None:
                raise NotFound("That paper was removed meanwhile.")
            if code_links is not None:
                stored.code_links = code_links
            if demo_links is not None:
                stored.demo_links = demo_links
            stored.links_edited = True
            await uow.papers.touch(stored)
            return stored

    async def store(
        self, uow: UnitOfWork, guild_id: int, specs: Sequence[PaperSpec]
    ) -> list[Paper]:
        """Create or refresh the papers of ``specs`` inside the caller's transaction."""
        existing = await uow.papers.by_keys(guild_id, [s.ref_key for s in specs])
        now = self.clock.now()
        papers: list[Paper] = []
        for spec in specs:
            paper = existing.get(spec.ref_key)
            if paper is None and spec.url and not spec.arxiv_id:
                # The same page with or without a trailing slash (…) is the same paper.
                paper = await self._by_identity(uow, guild_id, spec.ref_key)
            if paper is None:
                paper = Paper(
                    guild_id=guild_id,
                    ref_key=spec.ref_key,
                    title=spec.title or spec.url or spec.ref_key,
                    url=spec.url,
                    authors=list(spec.authors),
                    source=PaperSource.ARXIV if spec.arxiv_id else PaperSource.MANUAL,
                    created_at=now,
                    updated_at=now,
                )
                if spec.url and not spec.arxiv_id:
                    links = extract_links(spec.url)
                    paper.code_links = [[link.name, link.url] for link in links.code]
                await uow.papers.add(paper)
            elif (
                spec.given
                and spec.title
                and paper.source != PaperSource.ARXIV
                and (paper.title == title_from_url(paper.url or "") or not paper.authors)
            ):
                # The member typed the details of a paper outside arXiv: theirs are better
                # than a title made up from the link, or than nothing.
                paper.title = spec.title
                paper.authors = list(spec.authors) or paper.authors
                await uow.papers.touch(paper)
            if spec.metadata is not None:
                apply_metadata(paper, spec.metadata)
                paper.fetched_at = now
                await uow.papers.touch(paper)
            existing[spec.ref_key] = paper
            papers.append(paper)
        return papers

    @staticmethod
    async def _by_identity(uow: UnitOfWork, guild_id: int, key: str) -> Paper | None:
        """The stored paper ``key`` names, under any of its equivalent keys."""
        found = await uow.papers.by_keys(guild_id, equivalent_keys(key))
        return next((found[k] for k in equivalent_keys(key) if k in found), None)

    async def resolve(
        self, uow: UnitOfWork, guild_id: int, refs: Sequence[str], *, actor_id: int | None
    ) -> list[Paper]:
        """Look up and store in one go (for callers already inside a unit of work)."""
        return await self.store(uow, guild_id, await self.lookup(guild_id, refs))
