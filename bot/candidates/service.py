"""Candidates: the Daily Papers feed's papers of a period, ranked for one group.

Knows nothing of Discord. A listing reads the feed (cached, within the request budget), the
group's history (sessions, proposals with votes, the reading list), ranks the feed's papers
(embeddings when EMBEDDINGS_MODEL is set, else BM25 words), and marks those the group already
proposed, scheduled, listed or read instead of offering them again.

Proposing a candidate creates the normal proposal (:class:`ProposalService`) with arXiv
metadata from the usual batched arXiv path; when arXiv does not know the paper or does not
answer, the feed's title, authors and abstract are stored instead. The feed's code, project
and Space links fill the paper's Code and Demo cells, when it is proposed and when a
session with it is scheduled, unless an organizer set them (the links then stay, also on a
refresh from arXiv; organizers change them with /paper links).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from bot import notices
from bot.candidates.embeddings import Embeddings
from bot.candidates.feed import DailyPapersFeed, FeedItem, merge_details
from bot.candidates.ranking import (
    Ranked,
    Signal,
    cosine_similarity,
    lexical_similarity,
    paper_text,
    rank,
    signals_from_history,
)
from bot.clock import Clock
from bot.dates import Period, WeeklySlot, parse_period, parse_time, utc_to_local, weekly_clock_notes
from bot.errors import InvalidInput, NotFound, ServiceUnavailable
from bot.events import Handler, SessionAction, SessionChanged
from bot.guilds import GuildSettingsService
from bot.papers.arxiv_ids import parse_arxiv_ref
from bot.papers.lookup import PaperSpec
from bot.papers.proposals import ProposalInfo, ProposalService
from bot.papers.service import PaperService
from bot.text import check_text
from storage.db import Database
from storage.models import CandidateDigestConfig, FeedPaper, Paper, ProposalStatus, id_of
from storage.repositories import HistoryRow
from storage.repositories.papers import arxiv_key

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

QUERY_LIMIT = 30
SIMILARITY_MEMO = 4  # similarity matrices kept (a 500 × 1,000 one is 2 MB)
MAX_DIGEST_COUNT = 10
MAX_LINKS = 5
EMBEDDINGS = "embeddings"
WORDS = "words"

READ = "read"
SCHEDULED = "scheduled"
PROPOSED = "proposed"
LISTED = "on the reading list"
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Candidate:
    ranked: Ranked
    mark: str | None = None  # read, scheduled, proposed (#n), on the reading list

    @property
    def item(self) -> FeedItem:
        return self.ranked.item


@dataclass(frozen=True, slots=True)
class CandidateList:
    period: Period
    query: str | None
    fresh: list[Candidate]  # not yet proposed, scheduled or read: best first
    known: list[Candidate]  # marked: already proposed, scheduled, listed or read
    method: str  # "embeddings" or "words"
    note: str | None = None  # e.g. why the embeddings were not used
    in_feed: int = 0  # papers the feed listed for the period (before the query)
    history: int = 0  # papers of the group's history the ranking learned from


def normalise_query(text: str | None) -> str | None:
    """The query's words, lowercased, or None; mentions and long queries are refused."""
    cleaned = check_text(text, what="query", limit=QUERY_LIMIT)
    if cleaned is None:
        return None
    words = _WORD.findall(cleaned.casefold())
    return " ".join(words) or None


def matches(item: FeedItem, query: str | None) -> bool:
    if not query:
        return True
    haystack = " ".join((item.title, item.abstract, *item.keywords)).casefold()
    return all(word in haystack for word in query.split())


def marks_of(rows: Sequence[HistoryRow], now: datetime) -> dict[str, str]:
    """arXiv id → what the group did with it (the strongest: read > scheduled > proposed >
    on the reading list); withdrawn proposals leave a paper open to proposing again."""
    order = {READ: 0, SCHEDULED: 1, PROPOSED: 2, LISTED: 3}
    out: dict[str, str] = {}

    def put(arxiv_id: str | None, mark: str, label: str | None = None) -> None:
        if not arxiv_id:
            return
        current = out.get(arxiv_id)
        if current is None or order[mark] < order[current.split(" ")[0]]:
            out[arxiv_id] = label or mark

    for row in rows:
        arxiv_id = row.paper.arxiv_id
        if row.kind == "session":
            past = row.starts_at is not None and row.starts_at <= now
            put(arxiv_id, READ if past else SCHEDULED)
        elif row.kind == "reading":
            put(arxiv_id, READ if row.read else LISTED)
        elif row.kind == "proposal" and row.status == ProposalStatus.OPEN:
            put(arxiv_id, PROPOSED, f"{PROPOSED} #{row.proposal_number}")
        elif row.kind == "proposal" and row.status == ProposalStatus.SCHEDULED:
            put(arxiv_id, SCHEDULED)
    return out


def feed_links(item: FeedItem) -> tuple[list[list[str]], list[list[str]]]:
    """The feed's links in the README's style: ([GitHub], [Project Page]) and ([HuggingFace])."""
    code: list[list[str]] = []
    if item.github_repo:
        host = item.github_repo.split("/")[2].lower().removeprefix("www.")
        code.append(["GitHub" if host == "github.com" else "Code", item.github_repo])
    if item.project_page:
        code.append(["Project Page", item.project_page])
    demo = [["HuggingFace", f"https://huggingface.co/spaces/{space}"] for space in item.spaces]
    return code, demo


def _merge_links(old: list[list[str]], new: list[list[str]]) -> list[list[str]]:
    seen = {url.rstrip("/").lower() for _, url in old}
    merged = [list(link) for link in old]
    for label, url in new:
        if url.rstrip("/").lower() not in seen:
            merged.append([label, url])
            seen.add(url.rstrip("/").lower())
    return merged[:MAX_LINKS]


def item_from_row(row: FeedPaper) -> FeedItem:
    return FeedItem(
        arxiv_id=row.arxiv_id,
        title=row.title,
        abstract=row.abstract,
        authors=tuple(row.authors or ()),
        upvotes=row.upvotes,
        published_at=row.published_at,
        feed_day=row.feed_day,
        keywords=tuple(row.keywords or ()),
        github_repo=row.github_repo,
        project_page=row.project_page,
        spaces=tuple(row.spaces or ()),
        details=row.details_at is not None,
    )


class CandidateService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        feed: DailyPapersFeed,
        embeddings: Embeddings,
        papers: PaperService,
        proposals: ProposalService,
        guilds: GuildSettingsService,
    ) -> None:
        self.db = db
        self.clock = clock
        self.feed = feed
        self.embeddings = embeddings
        self.papers = papers
        self.proposals = proposals
        self.guilds = guilds  # GuildSettingsService: the server's time zone
        self._similarities: OrderedDict[str, np.ndarray] = OrderedDict()

    def subscriptions(self) -> Mapping[type, Handler]:
        """Fill feed links into the papers of sessions as they are scheduled."""
        return {SessionChanged: self._on_session_changed}

    async def aclose(self) -> None:
        await self.embeddings.aclose()

    # ----------------------------------------------------------------------------------
    # Listing

    async def today(self, guild_id: int) -> date:
        config = await self.guilds.get(guild_id)
        return utc_to_local(self.clock.now(), config.timezone).date()

    async def period_of(self, guild_id: int, text: str | None) -> Period:
        return parse_period(text, await self.today(guild_id))

    async def listing(
        self, guild_id: int, period: Period, query: str | None = None
    ) -> CandidateList:
        """The feed's papers of ``period`` (matching ``query``), ranked for the group."""
        items = await self.feed.period(period)
        await self._remember(items)
        shown = [i for i in items if matches(i, query)]
        async with self.db.unit() as uow:
            rows = await uow.candidates.history(guild_id)
        now = self.clock.now()
        signals = signals_from_history(rows, now)
        ranked, method, note = await self._rank(shown, signals)
        marks = marks_of(rows, now)
        fresh = [Candidate(r) for r in ranked if r.item.arxiv_id not in marks]
        known = [Candidate(r, marks[r.item.arxiv_id]) for r in ranked if r.item.arxiv_id in marks]
        return CandidateList(
            period=period,
            query=query,
            fresh=fresh,
            known=known,
            method=method,
            note=note,
            in_feed=len(items),
            history=len(signals),
        )

    async def _rank(
        self, items: Sequence[FeedItem], signals: Sequence[Signal]
    ) -> tuple[list[Ranked], str, str | None]:
        texts = [paper_text(i.title, i.abstract) for i in items]
        history = [s.text for s in signals]
        if self.embeddings.enabled and items and signals:
            try:
                vectors = await self.embeddings.vectors(history + texts)
                similarity = cosine_similarity(vectors[: len(history)], vectors[len(history) :])
                return rank(items, signals, similarity), EMBEDDINGS, None
            except ServiceUnavailable as error:
                log.warning("embeddings unavailable, ranking by words: %s", error)
                note = f"{error} Ranked by words instead."
                similarity = await self._lexical(history, texts)
                return rank(items, signals, similarity), WORDS, note
        if not signals:
            import numpy as np

            empty = np.zeros((0, len(items)), dtype=np.float32)
            return rank(items, signals, empty), WORDS, None
        similarity = await self._lexical(history, texts)
        method = EMBEDDINGS if self.embeddings.enabled else WORDS
        return rank(items, signals, similarity), method, None

    async def _lexical(self, history: list[str], texts: list[str]) -> np.ndarray:
        """BM25 similarities, remembered for the last few inputs: paging through a listing
        ranks the same texts again and must answer within Discord's three seconds."""
        key = hashlib.sha256("\x00".join([*history, "\x01", *texts]).encode()).hexdigest()
        if key in self._similarities:
            self._similarities.move_to_end(key)
            return self._similarities[key]
        # BM25 over a few thousand texts takes a moment: off the event loop.
        similarity = await asyncio.to_thread(lexical_similarity, history, texts)
        self._similarities[key] = similarity
        while len(self._similarities) > SIMILARITY_MEMO:
            self._similarities.popitem(last=False)
        return similarity

    async def _remember(self, items: Sequence[FeedItem]) -> None:
        """Keep the feed's papers (for Propose buttons after a restart, and links)."""
        if not items:
            return
        now = self.clock.now()
        rows = [
            FeedPaper(
                arxiv_id=i.arxiv_id,
                title=i.title,
                abstract=i.abstract,
                authors=list(i.authors),
                upvotes=i.upvotes,
                published_at=i.published_at,
                feed_day=i.feed_day,
                keywords=list(i.keywords),
                github_repo=i.github_repo,
                project_page=i.project_page,
                spaces=list(i.spaces),
                listed_at=now,
                details_at=now if i.details else None,
            )
            for i in items
        ]
        async with self.db.unit() as uow:
            await uow.candidates.save_feed_papers(rows)

    async def with_details(self, candidates: Sequence[Candidate]) -> list[Candidate]:
        """The candidates with keywords and links: from the database, else from the feed
        while the request budget allows (the rest are shown without them)."""
        ids = [c.item.arxiv_id for c in candidates]
        async with self.db.unit() as uow:
            stored = await uow.candidates.feed_papers(ids)
        known = {i: item_from_row(r) for i, r in stored.items() if r.details_at is not None}
        missing = [i for i in ids if i not in known]
        fetched = await self.feed.details_many(missing) if missing else {}
        if fetched:
            await self._remember(
                [
                    merge_details(c.item, fetched[c.item.arxiv_id])
                    for c in candidates
                    if c.item.arxiv_id in fetched
                ]
            )
        known.update(fetched)
        out = []
        for c in candidates:
            details = known.get(c.item.arxiv_id)
            item = merge_details(c.item, details) if details is not None else c.item
            out.append(replace(c, ranked=replace(c.ranked, item=item)))
        return out

    # ----------------------------------------------------------------------------------
    # Proposing

    async def _feed_item(self, arxiv_id: str) -> FeedItem | None:
        async with self.db.unit() as uow:
            row = (await uow.candidates.feed_papers([arxiv_id])).get(arxiv_id)
        item = item_from_row(row) if row is not None else None
        if (item is None or not item.details) and self.feed.can_fetch_details():
            try:
                details = await self.feed.details(arxiv_id)
            except ServiceUnavailable as error:
                log.info("no feed details for %s: %s", arxiv_id, error)
                details = None
            if details is not None:
                item = merge_details(item, details) if item is not None else details
                await self._remember([item])
        return item

    async def propose(self, guild_id: int, arxiv_id: str, *, proposer_id: int) -> ProposalInfo:
        """The normal proposal for a feed paper, with the feed's links in Code and Demo."""
        ref = parse_arxiv_ref(arxiv_id)
        item = await self._feed_item(ref.id)
        try:
            spec = (await self.papers.lookup(guild_id, [ref.id], any_url=False))[0]
        except (NotFound, ServiceUnavailable) as error:
            if item is None:
                raise
            log.info("arXiv has no answer for %s (%s); using the feed's metadata", ref.id, error)
            spec = PaperSpec(arxiv_key(ref.id), ref, title=item.title, authors=item.authors)
        view = await self.proposals.propose(guild_id, spec, proposer_id=proposer_id)
        if item is not None:
            paper = await self._fill(guild_id, view.paper, item)
            view = replace(view, paper=paper)
        return view

    async def _fill(self, guild_id: int, paper: Paper, item: FeedItem) -> Paper:
        """The feed's links (and abstract, when none is stored) onto a stored paper."""
        async with self.db.unit() as uow:
            stored = await uow.papers.get(guild_id, id_of(paper))
            if stored is None:
                return paper
            changed = False
            if stored.arxiv_id is None and stored.ref_key == arxiv_key(item.arxiv_id):
                # Stored from the feed (arXiv did not answer): the id, link and date still hold.
                stored.arxiv_id = item.arxiv_id
                stored.url = stored.url or item.arxiv_url
                stored.published_at = stored.published_at or item.published_at
                changed = True
            if not stored.abstract and item.abstract:
                stored.abstract = item.abstract
                changed = True
            code, demo = feed_links(item)
            if not stored.links_edited and (code or demo):
                stored.code_links = _merge_links(list(stored.code_links or []), code)
                stored.demo_links = _merge_links(list(stored.demo_links or []), demo)
                stored.links_edited = True  # a refresh from arXiv keeps them
                changed = True
            if changed:
                await uow.papers.touch(stored)
            return stored

    async def _on_session_changed(self, event: SessionChanged) -> None:
        if event.action not in (SessionAction.CREATED, SessionAction.UPDATED):
            return
        async with self.db.unit() as uow:
            linked = await uow.sessions.papers(event.session_id)
            papers = [lp.paper for lp in linked if lp.paper.arxiv_id and not lp.paper.links_edited]
            stored = await uow.candidates.feed_papers(p.arxiv_id for p in papers if p.arxiv_id)
        for paper in papers:
            row = stored.get(paper.arxiv_id or "")
            if row is not None and row.details_at is not None:
                await self._fill(event.guild_id, paper, item_from_row(row))

    # ----------------------------------------------------------------------------------
    # Digest settings

    async def digest_config(self, guild_id: int) -> CandidateDigestConfig:
        async with self.db.unit() as uow:
            row = await uow.candidates.digest(guild_id)
        return row or CandidateDigestConfig(guild_id=guild_id)

    async def configure_digest(
        self,
        guild_id: int,
        *,
        enabled: bool | None = None,
        channel_id: int | None = None,
        weekday: int | None = None,
        time_text: str | None = None,
        count: int | None = None,
    ) -> CandidateDigestConfig:
        """Validate and save; turning it on needs a channel."""
        at: time | None = parse_time(time_text) if time_text is not None else None
        if weekday is not None and not 0 <= weekday <= 6:
            raise InvalidInput("The weekday must be Monday … Sunday.")
        if count is not None and not 1 <= count <= MAX_DIGEST_COUNT:
            raise InvalidInput(f"The digest holds 1 to {MAX_DIGEST_COUNT} papers.")
        async with self.db.unit() as uow:
            row = await uow.candidates.digest_or_new(guild_id)
            if channel_id is not None:
                row.channel_id = channel_id
            if weekday is not None:
                row.weekday = weekday
            if at is not None:
                row.at = at
            if count is not None:
                row.count = count
            if enabled is not None:
                row.enabled = enabled
            elif any(v is not None for v in (channel_id, weekday, at, count)):
                row.enabled = True
            if row.enabled and row.channel_id is None:
                raise InvalidInput(
                    "Choose the channel the digest goes to: /candidates set channel:…"
                )
            row.updated_at = self.clock.now()
            await uow.flush()
        if row.enabled and (weekday is not None or at is not None):
            zone = (await self.guilds.get(guild_id)).timezone
            slot = WeeklySlot(row.weekday, row.at)
            for note in weekly_clock_notes(self.clock.now(), slot, zone, "the digest"):
                notices.add(note)
        return row
