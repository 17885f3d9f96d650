"""Planning the sessions of an import: the rows by date, each matched to the server's
session of that day, the values and papers the row gives it, the row's own wording kept as
a layout, and the "continues" links between sessions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from bot.dates import local_to_utc, timezone
from bot.errors import InvalidInput
from bot.markdown.cells import cell_segments
from bot.markdown.import_merge import _Merge
from bot.markdown.import_papers import _PaperPlanning
from bot.markdown.import_state import _SessionPlan, _urls
from bot.markdown.parsed import SKIPPED, Issue, ParsedRow
from bot.markdown.render import (
    CODE_LINKS,
    CODE_NOTE,
    DEFAULT_MEETING_TIME,
    DEMO_LINKS,
    DEMO_NOTE,
    EXTRA,
    LAYOUT,
    PRESENTER_CELL,
    CellPaper,
    CellSession,
    fingerprint,
    generic_authors_cell,
    generic_paper_cell,
    render_template,
    template,
)
from bot.markdown.rows import join_rows
from storage.models import PaperRole, SessionKind


def _kind(desired: str, existing: Any | None, has_papers: bool) -> str:
    """What the README cannot tell apart is kept as the server has it."""
    if existing is None:
        return desired
    interchangeable = {SessionKind.TOPIC, SessionKind.SPECIAL}
    if desired in interchangeable and existing.kind in interchangeable:
        return str(existing.kind)
    if (
        desired == SessionKind.SPECIAL
        and existing.kind == SessionKind.TBA
        and not has_papers
        and existing.title
    ):
        return str(existing.kind)
    return desired


class _SessionPlanning(_PaperPlanning):
    """Sessions: one plan per date the file names."""

    def _rows(self) -> list[ParsedRow]:
        """Rows by date; a second row with the date of another joins that session."""
        rows = sorted(self.doc.rows, key=lambda r: (r.day, r.line))
        out: list[ParsedRow] = []
        seen: dict[date, ParsedRow] = {}
        for row in rows:
            first = seen.get(row.day)
            if first is not None:
                join_rows(first, row)
                self.issues.append(
                    Issue(
                        row.line,
                        f"the same date as line {first.line} ({row.date_text}): joined to "
                        "that session",
                    )
                )
                continue
            seen[row.day] = row
            out.append(row)
        return out

    def _start(self, row: ParsedRow, existing: Any | None) -> datetime | None:
        tz = self.config.timezone
        if row.start_time is None and existing is not None:
            stored: datetime = existing.starts_at
            return stored
        at = row.start_time or self.config.meeting_time or DEFAULT_MEETING_TIME
        try:
            return local_to_utc(row.day, at, tz)
        except InvalidInput as exc:
            self.issues.append(Issue(row.line, str(exc), SKIPPED))
            return None

    def plan_sessions(self, rows: list[ParsedRow]) -> None:
        zone = timezone(self.config.timezone)
        by_date: dict[date, list[Any]] = defaultdict(list)
        for stored in self.existing_sessions:
            by_date[stored.starts_at.astimezone(zone).date()].append(stored)
        named: set[int] = set()
        previous: _SessionPlan | None = None
        for row in rows:
            candidates = by_date.get(row.day, [])
            existing = candidates[0] if candidates else None
            if len(candidates) > 1:
                self.issues.append(
                    Issue(
                        row.line,
                        f"the server has {len(candidates)} sessions on {row.date_text}; the "
                        f"first (#{candidates[0].number}) is the one this row updates",
                    )
                )
            start = self._start(row, existing)
            if start is None:
                continue
            if existing is not None:
                named.add(existing.id)
            plan = self._plan_session(row, existing, start)
            if plan.values["kind"] == SessionKind.CONTINUE and not plan.keep_continues:
                plan.continues = previous or self._earlier(start, named)
                if plan.continues is None:
                    self.issues.append(
                        Issue(row.line, "a Continue row with nothing before it to continue")
                    )
            if plan.values["kind"] != SessionKind.TBA:
                previous = plan
            self.sessions.append(plan)
        self.report.untouched = len([s for s in self.existing_sessions if s.id not in named])

    def _earlier(self, start: datetime, named: set[int]) -> Any | None:
        earlier = [
            s
            for s in self.existing_sessions
            if s.starts_at < start and s.kind != SessionKind.TBA and s.id not in named
        ]
        return earlier[-1] if earlier else None

    def _file_papers(
        self, row: ParsedRow
    ) -> tuple[list[tuple[str, str, str | None]], list[CellPaper]]:
        papers: list[tuple[str, str, str | None]] = []
        finals: list[CellPaper] = []
        seen: set[str] = set()
        for paper in row.papers:
            key, role = self._key(paper.ref), paper.role
            if key in seen:
                continue
            seen.add(key)
            final = self.paper_plans[key].final
            assert final is not None
            label = self._label(paper.ref)
            papers.append((key, role, label))
            finals.append(
                CellPaper(
                    final.ref_key,
                    final.title,
                    final.url,
                    final.authors,
                    final.code_links,
                    final.demo_links,
                    role,
                    label,
                    final.abbreviate,
                )
            )
        return papers, finals

    def _file_details(
        self,
        row: ParsedRow,
        kind: str,
        title: str | None,
        papers: list[tuple[str, str, str | None]],
        finals: list[CellPaper],
    ) -> dict[str, Any]:
        """What the row says that the import keeps in ``details``: the session's own links
        and notes, the kept columns, a linked presenter, and the row's own wording."""
        details: dict[str, Any] = {}
        paper_urls = {
            kind_: {u for f in finals if f.role == PaperRole.MAIN for u in _urls(getattr(f, kind_))}
            for kind_ in ("code_links", "demo_links")
        }
        for paper in row.papers:  # the row's links of its paper (kept or in conflict)
            paper_urls["code_links"].update(_urls(paper.code_links))
            paper_urls["demo_links"].update(_urls(paper.demo_links))
        own_code = [list(p) for p in row.code_links if p[1] not in paper_urls["code_links"]]
        own_demo = [list(p) for p in row.demo_links if p[1] not in paper_urls["demo_links"]]
        if own_code:
            details[CODE_LINKS] = own_code
        if own_demo:
            details[DEMO_LINKS] = own_demo
        if row.code_note:
            details[CODE_NOTE] = row.code_note
        if row.demo_note:
            details[DEMO_NOTE] = row.demo_note
        if row.extras:
            details[EXTRA] = dict(row.extras)
        if row.presenter_markup:
            details[PRESENTER_CELL] = row.presenter_markup
        block_name = row.block_name if kind == SessionKind.BLOCK_PART else None
        block_part = row.block_part if kind == SessionKind.BLOCK_PART else None
        if row.joined_lines:
            return details  # several rows: written back in the generic form
        cells = CellSession(kind, title, block_name, block_part, finals, details)
        layout: dict[str, Any] = {}
        index = {key: i for i, (key, _, _) in enumerate(papers)}
        for name, source, markup, keys, generic in (
            ("paper", row.paper_cell, row.paper_markup, row.paper_link_keys, generic_paper_cell),
            (
                "authors",
                row.authors_cell,
                row.authors_markup,
                row.authors_link_keys,
                generic_authors_cell,
            ),
        ):
            # A layout is kept only where the row's wording differs from the generic one
            # (compared once as written, then with the papers as they will be stored).
            wanted = generic(cells)
            if markup == wanted or (name == "authors" and _authors_are_data(row, kind)):
                continue
            segments = cell_segments(source)
            positions = [index.get(self.alias.get(k, k)) if k is not None else None for k in keys]
            own = template(segments, positions)
            if render_template(own, finals) != wanted:
                layout[name] = own
        if layout and not _shows_every_link(layout, kind, finals):
            layout = {}  # the row's wording lacks a paper's link (it came from another column)
        if layout:
            layout["fp"] = fingerprint(
                kind,
                title,
                block_name,
                block_part,
                [(f.ref_key, f.role) for f in finals],
            )
            details[LAYOUT] = layout
        return details

    def _plan_session(self, row: ParsedRow, existing: Any | None, start: datetime) -> _SessionPlan:
        kind = _kind(row.kind, existing, bool(row.papers))
        title = row.title
        if (
            kind == SessionKind.PAPER
            and title is None
            and existing is not None
            and existing.kind == SessionKind.PAPER
        ):
            title = existing.title  # the README has no place for a paper session's title
        papers, finals = self._file_papers(row)
        details = self._file_details(row, kind, title, papers, finals)
        block_name = row.block_name if kind == SessionKind.BLOCK_PART else None
        block_part = row.block_part if kind == SessionKind.BLOCK_PART else None
        values: dict[str, Any] = {
            "starts_at": start,
            "kind": kind,
            "title": title,
            "block_name": block_name,
            "block_part": block_part,
            "details": details,
        }
        if row.duration is not None:
            values["duration_minutes"] = row.duration
        if row.presenter_name is not None:
            values["presenter_name"] = row.presenter_name
        if row.presenter_id is not None:
            values["presenter_id"] = row.presenter_id
        if existing is None:
            return _SessionPlan(
                row, None, values, tuple(papers), row.comments, (), (), papers_changed=bool(papers)
            )
        return _Merge(self, row, existing, values, papers).plan()

    def resolve_continues(self) -> None:
        """Mark sessions whose "continues" link changes (new targets are always a change)."""
        for plan in self.sessions:
            if plan.existing is None or plan.keep_continues:
                continue
            current = plan.existing.continues_id
            if plan.values["kind"] != SessionKind.CONTINUE:
                changed = current is not None
            else:
                changed = _target_id(plan.continues) != current or current is None
            if changed:
                plan.fields = (*plan.fields, "continues")


_NEW = -1


def _authors_are_data(row: ParsedRow, kind: str) -> bool:
    """The Authors cell of a one-paper row names that paper's authors: data of the paper
    (merged, or in conflict), not wording of the row."""
    return kind == SessionKind.PAPER and any(p.authors for p in row.papers)


def _shows_every_link(layout: dict[str, Any], kind: str, finals: Sequence[CellPaper]) -> bool:
    """Whether the cells written from ``layout`` (and the generic ones) link every paper."""
    main = {i for i, f in enumerate(finals) if f.role != PaperRole.SEE_ALSO}
    shown: set[int] = set()
    for name, generic_shows in (
        ("paper", kind == SessionKind.PAPER),
        ("authors", kind != SessionKind.PAPER),
    ):
        cell = layout.get(name)
        if cell is None:
            shown |= main if generic_shows else set()
        else:
            shown |= {item[1] for item in cell if item and item[0] == "p"}
    return all(i in shown for i in main if finals[i].url)


def _target_id(target: Any | None) -> int | None:
    """The id a "continues" link points to; ``_NEW`` for a session the import creates."""
    if target is None:
        return None
    if isinstance(target, _SessionPlan):
        return target.existing.id if target.existing is not None else _NEW
    return int(target.id)
