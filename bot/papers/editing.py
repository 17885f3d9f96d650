"""Organizers correct a stored paper: its title, authors, link, Code and Demo links.

Every field is checked as where it is first given (titles and author lists like the details
form, Code/Demo links like ``/paper links``, the link like any paper reference). A paper
outside arXiv is known by its link, or by its title when it has none (see
:mod:`bot.papers.identity`), so changing either may change its key; a key another paper of
the server already has is refused. An arXiv paper keeps its arXiv link.

After the change committed, every session showing the paper is announced as updated on the
event bus (the Discord event, the pinned schedule and the automatic publish follow, as for
any other edit of the schedule), and the reading list when the paper is in it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.errors import Conflict, InvalidInput, NotFound
from bot.events import EventBus, ReadingListChanged, SessionAction, SessionChanged
from bot.papers.identity import equivalent_keys, of_title, of_url
from bot.papers.refs import URL_LIMIT, RefKind, classify_ref, parse_authors, parse_links
from bot.text import TITLE_LIMIT, check_text
from storage.db import Database
from storage.models import Paper, SessionStatus, id_of
from storage.repositories import UnitOfWork

FIELD_NAMES = {
    "title": "title",
    "authors": "authors",
    "url": "link",
    "code_links": "Code links",
    "demo_links": "Demo links",
}


@dataclass(frozen=True, slots=True)
class PaperEdit:
    """What an organizer submitted; ``None`` keeps a field as it is, an empty text clears
    it (the title cannot be cleared; an empty link leaves the paper known by its title)."""

    title: str | None = None
    authors: str | None = None
    url: str | None = None
    code: str | None = None
    demo: str | None = None


@dataclass(frozen=True, slots=True)
class PaperEdited:
    paper: Paper
    changed: tuple[str, ...]  # names of the fields that changed (FIELD_NAMES keys)
    session_ids: tuple[int, ...]  # the sessions announced as updated
    in_reading_list: bool = False

    @property
    def changed_text(self) -> str:
        return ", ".join(FIELD_NAMES[name] for name in self.changed)


def _check_url(text: str) -> str:
    """A link to the paper: any web page outside arXiv, within the stored length."""
    url = text.strip()
    kind = classify_ref(url)  # an arXiv link that is not a paper gets the parser's message
    if kind == RefKind.ARXIV:
        raise InvalidInput(
            f"{url[:80]} is an arXiv paper: put that paper in the session instead "
            "(/session edit paper:…), and it comes with arXiv's details."
        )
    identity = of_url(url) if kind in (RefKind.PAPER_URL, RefKind.OTHER_URL) else None
    host = (identity.url or "").split("://", 1)[-1].split("/", 1)[0] if identity else ""
    if identity is None or identity.url is None or "." not in host:
        raise InvalidInput(
            f"{url[:80]!r} is not a link. Give the paper's page, e.g. "
            "https://openreview.net/forum?id=…, or leave it empty."
        )
    if len(identity.url) > URL_LIMIT:
        raise InvalidInput(f"That link is longer than {URL_LIMIT} characters.")
    return identity.url


class PaperEditor:
    def __init__(self, db: Database, events: EventBus, clock: Clock) -> None:
        self.db = db
        self.events = events
        self.clock = clock

    async def edit(
        self, guild_id: int, paper_id: int, changes: PaperEdit, *, actor_id: int | None
    ) -> PaperEdited:
        async with self.db.unit() as uow:
            paper = await uow.papers.get(guild_id, paper_id)
            if paper is None:
                raise NotFound("That paper is not in this server (pick one from the list).")
            new = self._validated(paper, changes)
            changed = tuple(name for name, value in new.items() if getattr(paper, name) != value)
            if not changed:
                return PaperEdited(paper, (), ())
            if paper.arxiv_id is None and {"title", "url"} & set(changed):
                await self._rekey(uow, paper, new.get("url", paper.url), new.get("title"))
            for name in changed:
                setattr(paper, name, new[name])
            if {"code_links", "demo_links"} & set(changed):
                paper.links_edited = True  # a refresh from arXiv keeps them
            await uow.papers.touch(paper)
        session_ids, listed = await self.announce(guild_id, paper_id, actor_id=actor_id)
        return PaperEdited(paper, changed, session_ids, listed)

    async def announce(
        self, guild_id: int, paper_id: int, *, actor_id: int | None
    ) -> tuple[tuple[int, ...], bool]:
        """A paper's stored fields changed: every session showing it (not cancelled) is
        announced as updated and the reading list as changed, so the Discord event, the
        pinned schedule and automatic publishing follow. Returns (session ids, listed)."""
        async with self.db.unit() as uow:
            sessions = await uow.sessions.sessions_with_paper(guild_id, paper_id)
            session_ids = tuple(id_of(s) for s in sessions if s.status != SessionStatus.CANCELLED)
            listed = bool(await uow.readinglist.items_for_paper(guild_id, paper_id))
        for session_id in session_ids:
            await self.events.publish(
                SessionChanged(guild_id, session_id, SessionAction.UPDATED, actor_id)
            )
        if listed:
            await self.events.publish(ReadingListChanged(guild_id))
        return session_ids, listed

    @staticmethod
    def _validated(paper: Paper, changes: PaperEdit) -> dict[str, object]:
        """The new values of the fields given, each checked; raises what is wrong."""
        new: dict[str, object] = {}
        if changes.title is not None:
            limit = max(TITLE_LIMIT, len(paper.title))  # a long title may stay as long
            title = check_text(changes.title, what="paper title", limit=limit)
            if title is None:
                raise InvalidInput("A paper needs a title.")
            new["title"] = title
        if changes.authors is not None:
            new["authors"] = list(parse_authors(changes.authors))
        if changes.url is not None:
            if paper.arxiv_id is not None:
                raise InvalidInput(
                    f"{paper.title[:80]!r} is arXiv paper {paper.arxiv_id}: its link is arXiv's."
                )
            new["url"] = _check_url(changes.url) if changes.url.strip() else None
        for name, text, kind in (
            ("code_links", changes.code, "code"),
            ("demo_links", changes.demo, "demo"),
        ):
            links = parse_links(text, kind)
            if links is not None:
                new[name] = links
        return new

    @staticmethod
    async def _rekey(uow: UnitOfWork, paper: Paper, url: object, title: object) -> None:
        """A paper outside arXiv is known by its link, else by its title: a change of either
        changes its key, which no other paper of the server may have."""
        identity = (
            of_url(url)
            if isinstance(url, str)
            else of_title(title if isinstance(title, str) else paper.title)
        )
        if identity is None:  # pragma: no cover - the link was checked against URL_LIMIT
            raise InvalidInput("That link is too long to be stored.")
        if identity.key == paper.ref_key:
            return
        keys = [k for k in equivalent_keys(identity.key) if k != paper.ref_key]
        found = await uow.papers.by_keys(paper.guild_id, keys)
        other = next((p for p in found.values() if p.id != paper.id), None)
        if other is not None:
            what = "link" if isinstance(url, str) else "title"
            raise Conflict(
                f"“{other.title[:80]}” already has this {what}: the server "
                "keeps one entry per paper. Put that one in the sessions instead."
            )
        paper.ref_key = identity.key
