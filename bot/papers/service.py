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

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.errors import InvalidInput, NotFound
from bot.papers.arxiv import PaperMetadata
from bot.papers.arxiv_ids import parse_arxiv_ref
from bot.papers.identity import (
    canonical_url,
    equivalent_keys,
    is_stand_in_title,
    of_arxiv,
    of_url,
    title_from_url,
)
from bot.papers.links import Links, extract_links
from bot.papers.lookup import PaperLookup, PaperSpec
from bot.papers.refs import _STORED, URL_LIMIT, RefKind, classify_ref, parse_links
from bot.readinglist.marks import read_marks
from storage.models import Paper, PaperSource, ReadingSession, id_of
from storage.repositories import UnitOfWork


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


class PaperService(PaperLookup):
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
