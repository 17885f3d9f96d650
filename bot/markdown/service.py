"""Markdown export and import of the schedule and the reading list, in the README's shape.

Export reads the server's sessions, papers, pinned comments and reading list with a few bulk
queries and writes the README (``markdown_render``). Import reads a README
(``markdown_parse``, offline: papers are stored from the cells, source "import"; arXiv
metadata can be refreshed later), plans what it means for this server (``markdown_import``),
and applies the plan in one transaction, or only reports it (the preview).

Sessions are identified by their date within the server: importing the same file twice
changes nothing, and importing an edited file updates the rows in place. An import never
deletes a session or a reading-list entry; it replaces only what the file says about the
sessions it names (their papers, layout, and the comments an earlier import added).

New sessions start at the server's meeting time, or at 18:00 in the server's time zone when
no meeting time is set (``DEFAULT_MEETING_TIME``); a Time column in the file wins.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from bot.clock import Clock
from bot.dates import format_date, local_to_utc, timezone, utc_to_local
from bot.errors import InvalidInput
from bot.events import EventBus, GuildSettingsChanged, ScheduleImported
from bot.guilds import GuildSettingsService
from bot.markdown.render import (
    DEFAULT_MEETING_TIME,
    PRESENTER_CELL,
    CellPaper,
    CellSession,
    ExportItem,
    ExportTopic,
    document,
)
from bot.markdown.report import ImportReport, RowChange
from bot.markdown.syntax import escape
from bot.readinglist.marks import ReadMarks, read_marks
from storage.db import Database
from storage.models import GuildConfig, PaperSource

if TYPE_CHECKING:
    from bot.markdown.parse import Issue, ParsedDocument

__all__ = [
    "DEFAULT_MEETING_TIME",
    "ExportOptions",
    "ExportResult",
    "ImportReport",
    "MarkdownService",
    "RowChange",
    "decode_markdown",
]

MAX_IMPORT_BYTES = 64 * 1024 * 1024
EXPORT_FILENAME = "schedule.md"


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for one synchronous, CPU-bound step: the export's
    writing.

    Writing a schedule allocates hundreds of thousands of acyclic objects that stay alive
    until the step ends; with the collector on, each time enough of them survive it scans
    every live object of the process again. bench/markdown_scale.py (SQLite, two runs each
    way), export of 100,000 sessions: 5.1-5.8 s paused against 6.0-7.5 s on, time per
    session 1.17-1.29x that of 1,000 sessions against 1.40-1.59x. The import gains nothing
    measurable (100,000 sessions: 18.0-20.0 s against 18.7-20.5 s), so it runs with the
    collector on. Reference counting still frees everything. Only wrap code that does not
    await: no other task can run while the collector is off, and it is on again (when it
    was on) before the event loop runs anything else.
    """
    if not gc.isenabled():
        yield  # someone else turned it off: leave it so
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def decode_markdown(data: bytes, *, limit: int = MAX_IMPORT_BYTES) -> str:
    """The text of an uploaded file, or a clear refusal (too large, not UTF-8, binary)."""
    if len(data) > limit:
        raise InvalidInput(
            f"The file is {len(data) / 1_048_576:.1f} MiB; at most {limit / 1_048_576:.0f} MiB "
            "can be imported. Nothing was imported."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"The file is not UTF-8 text (undecodable byte at position {exc.start}); save it "
            "as UTF-8 and try again. Nothing was imported."
        ) from None
    if "\x00" in text:
        raise InvalidInput("The file is not a text file. Nothing was imported.")
    return text


# ----------------------------------------------------------------------------------------
# Results


@dataclass(slots=True)
class ExportOptions:
    since: date | None = None  # first day, inclusive, in the server's time zone
    until: date | None = None  # last day, inclusive
    upcoming: bool = False  # only sessions that have not ended
    reading_list: bool = True


@dataclass(slots=True)
class ExportResult:
    text: str
    sessions: int
    topics: int
    filename: str = EXPORT_FILENAME

    @property
    def data(self) -> bytes:
        return self.text.encode("utf-8")


# ----------------------------------------------------------------------------------------
# The service


class MarkdownService:
    def __init__(
        self,
        db: Database,
        events: EventBus,
        clock: Clock,
        *,
        default_timezone: str = "UTC",
        guilds: GuildSettingsService | None = None,
    ) -> None:
        self.db = db
        self.events = events
        self.clock = clock
        self.default_timezone = default_timezone
        self.guilds = guilds  # its cache must learn a group name an import sets

    # ------------------------------------------------------------------ export

    def _bounds(
        self, config: GuildConfig, options: ExportOptions
    ) -> tuple[datetime | None, datetime | None]:
        tz = config.timezone
        start = local_to_utc(options.since, time(0, 0), tz) if options.since else None
        end = (
            local_to_utc(options.until + timedelta(days=1), time(0, 0), tz)
            if options.until
            else None
        )
        if options.upcoming:
            floor = self.clock.now() - timedelta(days=1)  # sessions last at most a day
            start = floor if start is None else max(start, floor)
        if start is not None and end is not None and start >= end:
            raise InvalidInput("The date range is empty: the first day comes after the last.")
        return start, end

    async def export(self, guild_id: int, options: ExportOptions | None = None) -> ExportResult:
        options = options or ExportOptions()
        async with self.db.unit() as uow:
            config = await uow.guilds.get_or_create(
                guild_id, default_timezone=self.default_timezone
            )
            start, end = self._bounds(config, options)
            sessions = await uow.markdown.export_sessions(guild_id, start, end)
            paper_rows = await uow.markdown.export_papers(guild_id, start, end)
            comment_rows = await uow.markdown.export_comments(guild_id, start, end)
            topics_rows: Sequence[Any] = ()
            items_rows: Sequence[Any] = ()
            marks = ReadMarks({})
            if options.reading_list:
                topics_rows = await uow.markdown.reading_topics(guild_id)
                items_rows = await uow.markdown.reading_items(guild_id)
                marks = await read_marks(uow, guild_id, self.clock.now())
        with _collector_paused():
            return self._write(
                config, options, sessions, paper_rows, comment_rows, topics_rows, items_rows, marks
            )

    def _write(
        self,
        config: GuildConfig,
        options: ExportOptions,
        sessions: Sequence[Any],
        paper_rows: Sequence[Any],
        comment_rows: Sequence[Any],
        topics_rows: Sequence[Any],
        items_rows: Sequence[Any],
        marks: ReadMarks,
    ) -> ExportResult:
        """The document from the rows the export read."""
        papers: dict[int, list[CellPaper]] = defaultdict(list)
        for p in paper_rows:
            papers[p.session_id].append(
                CellPaper(
                    p.ref_key,
                    p.title,
                    p.url,
                    p.authors or (),
                    p.code_links or (),
                    p.demo_links or (),
                    p.role,
                    p.label,
                    p.source != PaperSource.IMPORT,
                )
            )
        comments: dict[int, list[str]] = defaultdict(list)
        for c in comment_rows:
            comments[c.session_id].append(c.text)
        now = self.clock.now()
        zone = timezone(config.timezone)
        fmt = config.date_format
        usual = config.meeting_time or DEFAULT_MEETING_TIME
        written = 0

        def rows() -> Iterator[tuple[str, CellSession]]:
            # one row at a time: a row's cells are garbage as soon as they are written
            nonlocal written
            for s in sessions:
                if options.upcoming and s.starts_at + timedelta(minutes=s.duration_minutes) <= now:
                    continue
                written += 1
                local = s.starts_at.astimezone(zone)
                details = s.details or {}
                yield (
                    format_date(local.date(), fmt),
                    CellSession(
                        s.kind,
                        s.title,
                        s.block_name,
                        s.block_part,
                        papers.get(s.id, []),
                        details,
                        comments.get(s.id, []),
                        _presenter(s.presenter_id, s.presenter_name, details),
                        _time_text(local, s.duration_minutes, usual, config.session_minutes),
                    ),
                )

        topics = _topic_tree(topics_rows, items_rows, marks) if options.reading_list else []
        text = document(config.group_name, rows(), topics)
        return ExportResult(text, written, len(topics_rows))

    # ------------------------------------------------------------------ import

    async def import_text(
        self,
        guild_id: int,
        text: str,
        *,
        dry_run: bool = False,
        overwrite: bool = False,
        actor_id: int | None = None,
    ) -> ImportReport:
        """Plan the import of ``text``; unless ``dry_run``, apply it in one transaction.

        What the server holds is never lost: empty cells keep stored values, and a value
        the file has differently is a conflict that keeps the stored one, unless
        ``overwrite``. Raises :class:`InvalidInput` (nothing written) when the file is not a
        schedule; a dry run writes nothing at all, not even the server's settings row."""
        report = await self._import(
            guild_id, text, dry_run=dry_run, overwrite=overwrite, actor_id=actor_id
        )
        if not dry_run and report.group_name:
            if self.guilds is not None:
                await self.guilds.fresh(guild_id)
            await self.events.publish(GuildSettingsChanged(guild_id, frozenset({"group_name"})))
        if not dry_run and report.changed:
            await self.events.publish(ScheduleImported(guild_id, tuple(report.session_ids)))
        return report

    async def config(self, guild_id: int) -> GuildConfig:
        """The server's settings as stored, or the defaults (nothing is written)."""
        async with self.db.unit() as uow:
            stored = await uow.guilds.get(guild_id)
        return stored or GuildConfig(guild_id=guild_id, timezone=self.default_timezone)

    async def _import(
        self, guild_id: int, text: str, *, dry_run: bool, overwrite: bool, actor_id: int | None
    ) -> ImportReport:
        # The parser and the planner are loaded by the first import, not by every export.
        from bot.markdown.importer import ImportPlanner
        from bot.markdown.parse import parse_document

        async with self.db.unit() as uow:
            stored = await uow.guilds.get(guild_id)
            config = stored or GuildConfig(guild_id=guild_id, timezone=self.default_timezone)
            today = utc_to_local(self.clock.now(), config.timezone).date()
            doc = parse_document(text, date_format=config.date_format, today=today)
            if not doc.is_schedule:
                raise InvalidInput(_not_a_schedule(doc))
            planner = ImportPlanner(guild_id, config, doc, self.clock.now(), overwrite=overwrite)
            await planner.load(uow)
            report = planner.plan()
            if not planner.sessions and not planner.topics:
                raise InvalidInput(_not_a_schedule(doc, planner.issues))
            report.dry_run = dry_run
            if not dry_run:
                if stored is None:
                    await uow.guilds.get_or_create(guild_id, default_timezone=config.timezone)
                await planner.apply(uow, actor_id)
        return report


def _not_a_schedule(doc: ParsedDocument, issues: list[Issue] | None = None) -> str:
    found = issues if issues is not None else doc.issues
    detail = f" First problem: {found[0]}." if found else ""
    if doc.tables:
        return (
            "The schedule table has no row that could be read (each row needs a date such as "
            f"07.02.2025). Nothing was imported.{detail}"
        )
    return (
        "This file is not a schedule: it has no table of dated sessions (a Date column and "
        "what each session is about) and no reading list. Nothing was imported."
        f"{detail}"
    )


def _presenter(member: int | None, name: str | None, details: dict[str, Any]) -> str | None:
    """The presenter as the Comments cell writes it: a linked name as the file had it, a
    name, or the member (``<@id>``, inert text outside Discord)."""
    if member:
        return escape(f"<@{member}>")
    if not name:
        return None
    cell = details.get(PRESENTER_CELL)
    return str(cell) if isinstance(cell, str) and cell else escape(name)


def _time_text(local: datetime, minutes: int, usual: time, usual_minutes: int) -> str | None:
    """The time of a session that does not start at the usual time or lasts another time."""
    if local.time() == usual and minutes == usual_minutes:
        return None
    end = local + timedelta(minutes=minutes)
    return f"{local:%H:%M}–{end:%H:%M}"


def _topic_tree(
    topic_rows: Sequence[Any], item_rows: Sequence[Any], marks: ReadMarks
) -> list[ExportTopic]:
    nodes = {row.id: ExportTopic(row.name) for row in topic_rows}
    items: dict[int, list[ExportItem]] = defaultdict(list)
    for item in item_rows:
        read = marks.is_read(item.id, item.read)
        items[item.topic_id].append(ExportItem(read, item.title, item.url, item.label))
    roots: list[ExportTopic] = []
    ordered = sorted(topic_rows, key=lambda r: (r.position, r.id))
    for row in ordered:
        node = nodes[row.id]
        node.items = items.get(row.id, [])
        parent = nodes.get(row.parent_id) if row.parent_id is not None else None
        (parent.children if parent is not None else roots).append(node)
    return roots
