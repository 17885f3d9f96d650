"""Read models of the schedule: a session with what it takes to show it, and pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from storage.models import PaperRole, ReadingSession, SessionKind, id_of
from storage.repositories import LinkedPaper

KIND_LABELS: dict[str, str] = {
    SessionKind.PAPER: "Paper",
    SessionKind.CONTINUE: "Continue",
    SessionKind.BLOCK_PART: "Block part",
    SessionKind.TOPIC: "Topic",
    SessionKind.SPECIAL: "Special session",
    SessionKind.TBA: "TBA",
}


@dataclass(frozen=True, eq=False)
class SessionInfo:
    """A session with what it takes to show it."""

    session: ReadingSession
    papers: list[LinkedPaper]
    continues: ReadingSession | None = None  # the session a "continue" continues (root)
    continues_papers: list[LinkedPaper] = field(default_factory=list)

    @property
    def id(self) -> int:
        """The global key (internals only: members see and type :attr:`number`)."""
        assert self.session.id is not None
        return self.session.id

    @property
    def number(self) -> int:
        """The session's number in its server: what members see as ``#3`` and type."""
        return self.session.number

    @property
    def starts_at(self) -> datetime:
        return self.session.starts_at

    @property
    def ends_at(self) -> datetime:
        return self.session.starts_at + timedelta(minutes=self.session.duration_minutes)


@dataclass(frozen=True, slots=True)
class Page:
    items: list[SessionInfo]
    number: int  # 0-based
    pages: int
    total: int


def block_name_key(name: str) -> str:
    """What makes two spellings of a block name the same block ("RLHF Block." = "rlhf block")."""
    return name.strip().rstrip(".").strip().lower()


def _root_of(session: ReadingSession, by_id: dict[int, ReadingSession]) -> ReadingSession:
    seen: set[int] = set()
    current = session
    while current.continues_id is not None and current.continues_id in by_id:
        if current.id in seen:
            break
        seen.add(id_of(current))
        current = by_id[current.continues_id]
    return current


def headline(view: SessionInfo) -> str:
    """The one-line name of a session, in the README's words."""
    s = view.session
    main_titles = [lp.label or lp.paper.title for lp in view.papers if lp.role == PaperRole.MAIN]
    if s.kind == SessionKind.BLOCK_PART:
        text = f"{s.block_name}. Part {s.block_part}"
        return f"{text}. {s.title}" if s.title else text
    if s.kind == SessionKind.CONTINUE:
        if s.title:
            return s.title
        root = view.continues
        if root is not None:
            root_titles = [lp.paper.title for lp in view.continues_papers] or [root.title or ""]
            named = ", ".join(t for t in root_titles if t)
            return f"Continue: {named}" if named else "Continue"
        return "Continue"
    if s.kind == SessionKind.TBA:
        return s.title or "TBA"
    if s.kind == SessionKind.PAPER:
        return s.title or (main_titles[0] if main_titles else "Paper to be announced")
    return s.title or ", ".join(main_titles) or KIND_LABELS.get(s.kind, s.kind)
