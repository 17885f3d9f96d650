"""The discussion log of a session: comments, pins, and the optional per-session thread.

Knows nothing of Discord: the cogs hand in plain data (who wrote what, in which message).
A comment is committed before the bot answers, so a failing Discord reply never loses it;
logging the same Discord message twice keeps one copy (the message id is unique).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from bot.clock import Clock
from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.events import CommentsChanged, EventBus
from bot.schedule.reading import GONE
from bot.schedule.service import ScheduleService, SessionInfo
from bot.text import NAME_LIMIT, check_text, clean_block, clean_line, shorten
from storage.db import Database
from storage.models import Comment, CommentSource, id_of

# A comment, typed (/comment add, or its form for long notes) or logged from a message:
# Discord's own limit for long messages. The column is unbounded text.
COMMENT_LIMIT = 4000
MESSAGE_LIMIT = COMMENT_LIMIT
JUMP_URL_LIMIT = 300
IMPORT_LIMIT = 2000  # messages read from one thread at most
PER_PAGE = 10
COMMENT_GONE = "That comment is not in this server (any more)."

NO_SESSION = (
    "No session has started yet, so there is no current session: pick one with the session option."
)


@dataclass(frozen=True, slots=True)
class Logged:
    """A comment and whether this call added it (``False``: it was already in the log)."""

    comment: Comment
    created: bool
    session: SessionInfo


@dataclass(frozen=True, slots=True)
class CommentPage:
    session: SessionInfo
    items: list[Comment]
    number: int  # 0-based
    pages: int
    total: int


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A Discord message as plain data, for the context menu and thread imports."""

    message_id: int
    author_name: str
    text: str
    author_id: int | None = None
    channel_id: int | None = None
    jump_url: str | None = None
    created_at: datetime | None = None
    from_bot: bool = False


@dataclass(frozen=True, slots=True)
class ImportResult:
    session: SessionInfo
    added: int
    already: int  # already in the log (same message)
    without_text: int  # Discord gave no text (no Message Content intent, or only files)
    skipped_bots: int
    too_long: int


class DiscussionService:
    def __init__(
        self, db: Database, events: EventBus, clock: Clock, schedule: ScheduleService
    ) -> None:
        self.db = db
        self.events = events
        self.clock = clock
        self.schedule = schedule

    # ----------------------------------------------------------------------------------
    # Which session

    async def resolve_session(
        self, guild_id: int, session_id: int | None = None, *, thread_id: int | None = None
    ) -> SessionInfo:
        """The session a command means: the one named, else the one whose thread the
        command runs in, else the session in progress or the most recent one."""
        if session_id is not None:
            return await self.schedule.get(guild_id, session_id)
        if thread_id is not None:
            async with self.db.read() as uow:
                row = await uow.sessions.by_thread(guild_id, thread_id)
            if row is not None:
                return await self.schedule.get(guild_id, id_of(row))
        view = await self.schedule.current_or_recent(guild_id)
        if view is None:
            raise NotFound(NO_SESSION)
        return view

    # ----------------------------------------------------------------------------------
    # Logging

    async def add(
        self,
        guild_id: int,
        *,
        text: str,
        author_id: int,
        author_name: str,
        session_id: int | None = None,
        thread_id: int | None = None,
    ) -> Logged:
        """A comment typed with ``/comment add`` (or pasted in its form): no mentions, at
        most COMMENT_LIMIT, stored whole."""
        cleaned = check_text(text, what="comment", limit=COMMENT_LIMIT, multiline=True)
        if cleaned is None:
            raise InvalidInput("The comment is empty: write what you want to log.")
        view = await self.resolve_session(guild_id, session_id, thread_id=thread_id)
        comment = Comment(
            guild_id=guild_id,
            session_id=view.id,
            author_id=author_id,
            author_name=_name(author_name),
            text=cleaned,
            source=CommentSource.COMMAND,
            logged_by=author_id,
            created_at=self.clock.now(),
        )
        saved, _ = await self._save(comment)
        await self.events.publish(CommentsChanged(guild_id, view.id, pinned=False))
        return Logged(saved, True, view)

    async def log_message(
        self,
        guild_id: int,
        message: IncomingMessage,
        *,
        logged_by: int,
        session_id: int | None = None,
        thread_id: int | None = None,
    ) -> Logged:
        """Log any member's message (the "Log as discussion comment" menu). The text is kept
        as written (it is escaped wherever it is shown); the same message is logged once."""
        async with self.db.unit() as uow:
            existing = await uow.comments.by_message(message.message_id)
        if existing is not None and existing.guild_id == guild_id:
            view = await self.schedule.get(guild_id, existing.session_id)
            return Logged(existing, False, view)
        text = clean_block(message.text)
        if not text:
            raise InvalidInput(
                "That message has no text to log (only attachments, embeds or stickers)."
            )
        if len(text) > MESSAGE_LIMIT:
            raise InvalidInput(
                f"That message is {len(text):,} characters long; a logged comment holds at most "
                f"{MESSAGE_LIMIT:,}."
            )
        view = await self.resolve_session(guild_id, session_id, thread_id=thread_id)
        comment = self._from_message(guild_id, view.id, message, CommentSource.MESSAGE, logged_by)
        saved, created = await self._save(comment)
        if created:
            await self.events.publish(CommentsChanged(guild_id, view.id, pinned=False))
        elif saved.session_id != view.id:
            view = await self.schedule.get(guild_id, saved.session_id)
        return Logged(saved, created, view)

    def _from_message(
        self,
        guild_id: int,
        session_id: int,
        message: IncomingMessage,
        source: str,
        logged_by: int | None,
    ) -> Comment:
        jump = (
            message.jump_url
            if message.jump_url and len(message.jump_url) <= JUMP_URL_LIMIT
            else None
        )
        when = message.created_at
        if when is None or when.tzinfo is None:
            when = self.clock.now()
        return Comment(
            guild_id=guild_id,
            session_id=session_id,
            author_id=message.author_id,
            author_name=_name(message.author_name),
            text=clean_block(message.text),
            message_id=message.message_id,
            channel_id=message.channel_id,
            jump_url=jump,
            source=source,
            logged_by=logged_by,
            created_at=when.astimezone(UTC),
        )

    async def _save(self, comment: Comment) -> tuple[Comment, bool]:
        """Commit one comment. Two members logging the same message at the same moment both
        pass the duplicate check; the unique message id then decides and the loser gets the
        winner's row."""
        try:
            async with self.db.unit() as uow:
                saved, created = await uow.comments.add(comment)
            return saved, created
        except IntegrityError:
            if comment.message_id is None:
                raise
            async with self.db.unit() as uow:
                existing = await uow.comments.by_message(comment.message_id)
            if existing is None or existing.guild_id != comment.guild_id:
                raise
            return existing, False

    # ----------------------------------------------------------------------------------
    # Reading

    async def page(
        self,
        guild_id: int,
        session_id: int | None = None,
        *,
        number: int = 0,
        per_page: int = PER_PAGE,
        thread_id: int | None = None,
    ) -> CommentPage:
        view = await self.resolve_session(guild_id, session_id, thread_id=thread_id)
        async with self.db.unit() as uow:
            total = await uow.comments.count(guild_id, view.id)
            pages = max(1, math.ceil(total / per_page))
            number = min(max(0, number), pages - 1)
            items = await uow.comments.page(
                guild_id, view.id, offset=number * per_page, limit=per_page
            )
        return CommentPage(view, items, number, pages, total)

    async def comments(self, guild_id: int, session_id: int) -> list[Comment]:
        async with self.db.unit() as uow:
            return await uow.comments.for_session(guild_id, session_id)

    async def get(self, guild_id: int, comment_id: int) -> Comment:
        async with self.db.unit() as uow:
            comment = await uow.comments.get(guild_id, comment_id)
        if comment is None:
            raise NotFound(COMMENT_GONE)
        return comment

    async def id_for(self, guild_id: int, number: int) -> int:
        """The comment a member means by ``#number`` in this server."""
        async with self.db.unit() as uow:
            comment = await uow.comments.by_number(guild_id, number)
        if comment is None:
            raise NotFound(f"There is no comment #{number} in this server.")
        return id_of(comment)

    async def search(self, guild_id: int, text: str = "", limit: int = 25) -> list[Comment]:
        """Comments for autocomplete: newest first, matching text or author."""
        text = text.strip().lstrip("#")
        async with self.db.unit() as uow:
            found = []
            if text.isdigit():
                exact = await uow.comments.by_number(guild_id, int(text))
                if exact is not None:
                    found.append(exact)
            found += await uow.comments.search(guild_id, text, limit=limit)
        unique = {c.id: c for c in found}
        return list(unique.values())[:limit]

    async def pinned(self, guild_id: int, session_ids: list[int]) -> dict[int, list[Comment]]:
        """Pinned comments per session: the Comments column of the exported schedule."""
        async with self.db.unit() as uow:
            return await uow.comments.pinned_for(guild_id, session_ids)

    # ----------------------------------------------------------------------------------
    # Changing

    async def remove(
        self, guild_id: int, comment_id: int, *, actor_id: int, organizer: bool
    ) -> Comment:
        """Remove a comment: its author or an organizer may."""
        async with self.db.unit() as uow:
            comment = await uow.comments.get(guild_id, comment_id)
            if comment is None:
                raise NotFound(COMMENT_GONE)
            if not organizer and comment.author_id != actor_id:
                raise PermissionDenied(
                    f"Only the author of comment #{comment.number} or an organizer can remove it."
                )
            await uow.comments.remove(comment)
        await self.events.publish(
            CommentsChanged(guild_id, comment.session_id, pinned=comment.pinned)
        )
        return comment

    async def set_pinned(
        self, guild_id: int, comment_id: int, pinned: bool
    ) -> tuple[Comment, bool]:
        """Pin (or unpin) a comment for the Comments column of the exported schedule;
        returns the comment and whether anything changed. Organizers only (checked by the
        caller, which knows the member's roles)."""
        async with self.db.unit() as uow:
            comment = await uow.comments.get(guild_id, comment_id)
            if comment is None:
                raise NotFound(COMMENT_GONE)
            changed = comment.pinned != pinned
            comment.pinned = pinned
            await uow.flush()
        if changed:
            await self.events.publish(CommentsChanged(guild_id, comment.session_id, pinned=True))
        return comment, changed

    # ----------------------------------------------------------------------------------
    # Per-session threads

    async def attach_thread(self, guild_id: int, session_id: int, thread_id: int) -> SessionInfo:
        """Remember the discussion thread of a session (opened by the bot)."""
        async with self.db.unit() as uow:
            row = await uow.sessions.get(guild_id, session_id)
            if row is None:
                raise NotFound(GONE)
            row.thread_id = thread_id
            await uow.sessions.touch(row)
        return await self.schedule.get(guild_id, session_id)

    async def import_messages(
        self,
        guild_id: int,
        session_id: int,
        messages: Iterable[IncomingMessage],
        *,
        logged_by: int | None,
    ) -> ImportResult:
        """Import a thread's messages into the log in one transaction. Messages already
        logged are kept once; messages without text are counted, never invented."""
        view = await self.schedule.get(guild_id, session_id)
        added = already = without_text = bots = too_long = 0
        async with self.db.unit() as uow:
            for message in messages:
                if message.from_bot:
                    bots += 1
                    continue
                text = clean_block(message.text)
                if not text:
                    without_text += 1
                    continue
                if len(text) > MESSAGE_LIMIT:
                    too_long += 1
                    continue
                comment = self._from_message(
                    guild_id, view.id, message, CommentSource.THREAD, logged_by
                )
                _, created = await uow.comments.add(comment)
                if created:
                    added += 1
                else:
                    already += 1
        if added:
            await self.events.publish(CommentsChanged(guild_id, view.id, pinned=False))
        return ImportResult(view, added, already, without_text, bots, too_long)


def _name(name: str) -> str:
    return shorten(clean_line(name or "") or "someone", NAME_LIMIT)


def comment_preview(comment: Comment, limit: int = 80) -> str:
    """A one-line excerpt of a comment (autocomplete labels, confirmations)."""
    return shorten(clean_line(comment.text), limit)
