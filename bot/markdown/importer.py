"""Planning and applying the import of a README-style schedule into one server.

``markdown_parse`` says what each line of the file means; the planner compares that with
what the server holds and decides, row by row, what to create, update or leave alone (the
preview), and ``apply`` writes exactly that in the caller's unit of work with bulk
statements.

Sessions are identified by their date within the server. New sessions start at the
server's meeting time, or at ``DEFAULT_MEETING_TIME`` (18:00) in the server's time zone when
none is set; a Time column in the file wins. What the README shape cannot express (a paper
session's own title, presenter, notes, length, the extra columns of another group's table)
is kept as the server has it when a file does not say it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from bot.dates import format_date, local_to_utc, timezone
from bot.errors import InvalidInput
from bot.markdown.parse import (
    Issue,
    PaperRef,
    ParsedDocument,
    ParsedRow,
    ParsedTopic,
    cell_segments,
)
from bot.markdown.render import (
    CODE_LINKS,
    CODE_NOTE,
    DEMO_LINKS,
    DEMO_NOTE,
    EXTRA,
    IMPORT_KEYS,
    LAYOUT,
    CellPaper,
    CellSession,
    canonical_comment,
    fingerprint,
    generic_authors_cell,
    generic_paper_cell,
    render_template,
    template,
)
from storage.models import (
    CommentSource,
    GuildConfig,
    PaperRole,
    PaperSource,
    SessionKind,
    SessionStatus,
)
from storage.repositories import UnitOfWork
from storage.repositories.readinglist import PATH_SEPARATOR

DEFAULT_MEETING_TIME = time(18, 0)
MAX_PATH = 1000

_KIND_NAMES = {
    SessionKind.PAPER: "paper",
    SessionKind.CONTINUE: "continue",
    SessionKind.BLOCK_PART: "block part",
    SessionKind.TOPIC: "topic",
    SessionKind.SPECIAL: "special session",
    SessionKind.TBA: "TBA",
}


@dataclass(slots=True)
class RowChange:
    line: int
    date_text: str
    headline: str
    fields: tuple[str, ...] = ()

    def describe(self, verb: str) -> str:
        what = f" ({', '.join(self.fields)})" if self.fields else ""
        return f"line {self.line}: {verb} {self.date_text} · {self.headline}{what}"


@dataclass(slots=True)
class ImportReport:
    dry_run: bool
    created: list[RowChange] = field(default_factory=list)
    updated: list[RowChange] = field(default_factory=list)
    unchanged: int = 0
    untouched: int = 0  # sessions of the server the file does not name
    papers_created: int = 0
    papers_updated: int = 0
    comments_added: int = 0
    comments_removed: int = 0
    topics_created: int = 0
    items_created: int = 0
    items_updated: int = 0
    group_name: str | None = None
    issues: list[Issue] = field(default_factory=list)
    session_ids: list[int] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.created
            or self.updated
            or self.papers_created
            or self.papers_updated
            or self.topics_created
            or self.items_created
            or self.items_updated
            or self.group_name
        )

    def summary(self) -> str:
        verb = "would be" if self.dry_run else ""
        sessions = (
            f"Sessions: {len(self.created)} {verb} created, {len(self.updated)} {verb} updated, "
            f"{self.unchanged} unchanged"
        )
        sessions = re.sub(r"\s+", " ", sessions)
        if self.untouched:
            sessions += f"; {self.untouched} in the server but not in the file (left as they are)"
        parts = [sessions + "."]
        papers = f"Papers: {self.papers_created} new, {self.papers_updated} updated."
        parts.append(papers)
        if self.comments_added or self.comments_removed:
            parts.append(f"Comments: {self.comments_added} added, {self.comments_removed} removed.")
        if self.topics_created or self.items_created or self.items_updated:
            parts.append(
                f"Reading list: {self.topics_created} new topics, {self.items_created} new "
                f"entries, {self.items_updated} updated."
            )
        if self.group_name:
            parts.append(f"Group name: {self.group_name}.")
        if self.issues:
            parts.append(f"{len(self.issues)} line(s) need a look (listed below).")
        return " ".join(parts)

    def lines(self) -> list[str]:
        """Every problem, then every change, line by line."""
        verb = ("would create", "would update") if self.dry_run else ("created", "updated")
        changes = [(c.line, c.describe(verb[0])) for c in self.created]
        changes += [(c.line, c.describe(verb[1])) for c in self.updated]
        problems = [f"⚠ {issue}" for issue in sorted(self.issues, key=lambda i: i.line)]
        return problems + [text for _, text in sorted(changes)]

    def text(self) -> str:
        return "\n".join([self.summary(), *self.lines()]) + "\n"


# ----------------------------------------------------------------------------------------
# Planning an import


@dataclass(slots=True)
class _PaperPlan:
    ref: PaperRef
    title: str
    has_text: bool
    authors: tuple[str, ...] | None = None
    code: tuple[tuple[str, str], ...] | None = None
    demo: tuple[tuple[str, str], ...] | None = None
    # the final state (existing row merged with the file)
    id: int | None = None
    final: CellPaper | None = None
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class _SessionPlan:
    row: ParsedRow
    existing: Any | None
    values: dict[str, Any]
    papers: tuple[tuple[str, str, str | None], ...]  # (ref_key, role, label)
    comments_add: Sequence[str]
    comments_delete: Sequence[int]
    fields: tuple[str, ...]
    continues: _SessionPlan | Any | None = None
    id: int | None = None
    papers_changed: bool = False


@dataclass(slots=True)
class _TopicPlan:
    name: str
    path: str
    position: int
    parent: _TopicPlan | None
    id: int | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    items: list[tuple[str, bool, str | None, int, int]] = field(default_factory=list)


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


def _headline(
    kind: str, title: str | None, block: str | None, part: int | None, first: str | None
) -> str:
    if kind == SessionKind.BLOCK_PART:
        text = f"{block}. Part {part}" if part is not None else str(block)
        return f"{text}. {title}" if title else text
    if kind == SessionKind.CONTINUE:
        return title or "Continue"
    if kind == SessionKind.PAPER:
        return first or title or "Paper"
    return title or first or _KIND_NAMES.get(kind, kind)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class ImportPlanner:
    """Compares a parsed file with what one server holds; ``plan`` then ``apply``."""

    def __init__(
        self, guild_id: int, config: GuildConfig, doc: ParsedDocument, now: datetime
    ) -> None:
        self.guild_id = guild_id
        self.config = config
        self.doc = doc
        self.now = now
        self.issues: list[Issue] = list(doc.issues)
        self.paper_plans: dict[str, _PaperPlan] = {}
        self.sessions: list[_SessionPlan] = []
        self.topics: list[_TopicPlan] = []
        self.report = ImportReport(dry_run=True)

    # ------------------------------------------------------------------ loading

    async def load(self, uow: UnitOfWork) -> None:
        gid = self.guild_id
        keys = [p.ref.ref_key for r in self.doc.rows for p in r.papers]
        keys += [i.ref.ref_key for t in _walk(self.doc.topics) for i in t.items]
        self.existing_sessions = await uow.markdown.sessions_for_import(gid)
        self.existing_links: dict[int, list[tuple[int, str, str | None]]] = defaultdict(list)
        for link in await uow.markdown.session_papers(gid):
            self.existing_links[link.session_id].append((link.paper_id, link.role, link.label))
        self.existing_comments: dict[int, list[Any]] = defaultdict(list)
        for comment in await uow.markdown.comments_for_import(gid):
            self.existing_comments[comment.session_id].append(comment)
        keys += [_toggle_slash(k) for k in keys if k.startswith("url:")]
        self.existing_papers = {p.ref_key: p for p in await uow.markdown.papers_by_keys(gid, keys)}
        self.existing_topics = await uow.markdown.reading_topics(gid)
        self.existing_items = await uow.markdown.reading_items(gid)

    # ------------------------------------------------------------------ papers

    def plan_papers(self, rows: list[ParsedRow]) -> None:
        def note(ref: PaperRef) -> _PaperPlan:
            plan = self.paper_plans.get(ref.ref_key)
            if plan is None:
                plan = _PaperPlan(ref, ref.title, ref.text is not None)
                self.paper_plans[ref.ref_key] = plan
            elif not plan.has_text and ref.text is not None:
                plan.title, plan.has_text = ref.text, True
            return plan

        for row in rows:
            for paper in row.papers:
                plan = note(paper.ref)
                if row.single_paper and paper.role == PaperRole.MAIN:
                    if plan.authors is None and row.authors is not None:
                        plan.authors = row.authors
                    if plan.code is None:
                        plan.code = row.code_links
                    if plan.demo is None:
                        plan.demo = row.demo_links
        for topic in _walk(self.doc.topics):
            for item in topic.items:
                note(item.ref)

        for key, plan in self.paper_plans.items():
            existing = self.existing_papers.get(key)
            if existing is None and key.startswith("url:"):
                # the same page stored with or without its trailing slash (as /paper does)
                existing = self.existing_papers.get(_toggle_slash(key))
            ref = plan.ref
            if existing is None:
                plan.final = CellPaper(
                    key, plan.title, ref.url, plan.authors or (), plan.code or (), plan.demo or ()
                )
                continue
            plan.id = existing.id
            from_arxiv = existing.source == PaperSource.ARXIV
            changes: dict[str, Any] = {}
            if not from_arxiv:
                if plan.has_text and existing.title != plan.title:
                    changes["title"] = plan.title
                if plan.authors is not None and tuple(existing.authors or ()) != plan.authors:
                    changes["authors"] = list(plan.authors)
                if ref.url and not existing.url:
                    changes["url"] = ref.url
            for column, wanted in (("code_links", plan.code), ("demo_links", plan.demo)):
                current = tuple(tuple(p) for p in getattr(existing, column) or ())
                if wanted is None or wanted == current or (from_arxiv and not wanted):
                    continue
                changes[column] = [list(p) for p in wanted]
                if from_arxiv:
                    changes["links_edited"] = True
            plan.changes = changes
            plan.final = CellPaper(
                existing.ref_key,
                changes.get("title", existing.title),
                changes.get("url", existing.url),
                changes.get("authors", existing.authors or []),
                changes.get("code_links", existing.code_links or []),
                changes.get("demo_links", existing.demo_links or []),
            )

    def _label(self, ref: PaperRef) -> str | None:
        final = self.paper_plans[ref.ref_key].final
        assert final is not None
        return ref.text if ref.text is not None and ref.text != final.title else None

    # ------------------------------------------------------------------ sessions

    def _rows(self) -> list[ParsedRow]:
        rows = sorted(self.doc.rows, key=lambda r: (r.day, r.line))
        out: list[ParsedRow] = []
        seen: dict[date, ParsedRow] = {}
        for row in rows:
            first = seen.get(row.day)
            if first is not None:
                self.issues.append(
                    Issue(
                        row.line,
                        f"a second row for {row.date_text} (line {first.line}); skipped",
                    )
                )
                continue
            seen[row.day] = row
            out.append(row)
        return out

    def _start(self, row: ParsedRow, existing: Any | None) -> datetime | None:
        tz = self.config.timezone
        if row.start_time is None and existing is not None:
            return existing.starts_at  # type: ignore[no-any-return]
        at = row.start_time or self.config.meeting_time or DEFAULT_MEETING_TIME
        try:
            return local_to_utc(row.day, at, tz)
        except InvalidInput as exc:
            self.issues.append(Issue(row.line, f"{exc} The row was skipped."))
            return None

    def plan_sessions(self, rows: list[ParsedRow]) -> None:
        tz = self.config.timezone
        zone = timezone(tz)
        by_date: dict[date, list[Any]] = defaultdict(list)
        for existing in self.existing_sessions:
            by_date[existing.starts_at.astimezone(zone).date()].append(existing)
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
                        f"first (#{existing.id}) is the one this row updates",
                    )
                )
            start = self._start(row, existing)
            if start is None:
                continue
            if existing is not None:
                named.add(existing.id)
            plan = self._plan_session(row, existing, start)
            if plan.values["kind"] == SessionKind.CONTINUE:
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
        papers: list[tuple[str, str, str | None]] = []
        finals: list[CellPaper] = []
        for paper in row.papers:
            key, role = paper.ref.ref_key, paper.role
            final = self.paper_plans[key].final
            assert final is not None
            label = self._label(paper.ref)
            papers.append((key, role, label))
            finals.append(
                CellPaper(
                    key,
                    final.title,
                    final.url,
                    final.authors,
                    final.code_links,
                    final.demo_links,
                    role,
                    label,
                )
            )

        # Keys an import writes are replaced; others (and the extra columns of an earlier
        # import, when this file has none: the README shape cannot carry them) are kept.
        details: dict[str, Any] = {}
        if existing is not None and existing.details:
            replaced = _REPLACED_KEYS if row.has_extra_columns else _REPLACED_KEYS_BUT_EXTRA
            details = {k: v for k, v in existing.details.items() if k not in replaced}
        own_code: Sequence[tuple[str, str]] = row.code_links
        own_demo: Sequence[tuple[str, str]] = row.demo_links
        if row.single_paper:
            main = next(f for f in finals if f.role == PaperRole.MAIN)
            code_urls = {pair[1] for pair in main.code_links}
            demo_urls = {pair[1] for pair in main.demo_links}
            own_code = [pair for pair in own_code if pair[1] not in code_urls]
            own_demo = [pair for pair in own_demo if pair[1] not in demo_urls]
        if own_code:
            details[CODE_LINKS] = [list(pair) for pair in own_code]
        if own_demo:
            details[DEMO_LINKS] = [list(pair) for pair in own_demo]
        if row.code_note:
            details[CODE_NOTE] = row.code_note
        if row.demo_note:
            details[DEMO_NOTE] = row.demo_note
        if row.extras:
            details[EXTRA] = row.extras
        block_name = row.block_name if kind == SessionKind.BLOCK_PART else None
        block_part = row.block_part if kind == SessionKind.BLOCK_PART else None
        cells = CellSession(kind, title, block_name, block_part, finals, details)
        layout: dict[str, Any] = {}
        for name, source, markup, generic in (
            ("paper", row.paper_cell, row.paper_markup, generic_paper_cell),
            ("authors", row.authors_cell, row.authors_markup, generic_authors_cell),
        ):
            # A layout is kept only where the row's wording differs from the generic one
            # (compared once as written, then with the papers as they will be stored).
            wanted = generic(cells)
            if markup == wanted:
                continue
            segments = cell_segments(source)
            refs = [p.ref.ref_key for p in row.papers]
            index = {key: i for i, (key, _, _) in enumerate(papers)}
            own = template(segments, _link_positions(segments, refs, index))
            if render_template(own, finals) != wanted:
                layout[name] = own
        if layout:
            layout["fp"] = fingerprint(
                kind,
                title,
                block_name,
                block_part,
                [(self.paper_plans[k].final.ref_key, r) for k, r, _ in papers],  # type: ignore[union-attr]
            )
            details[LAYOUT] = layout

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
        if row.has_presenter_column:
            values["presenter_name"] = row.presenter_name
            if row.presenter_id is not None:
                values["presenter_id"] = row.presenter_id
        if row.extras:
            values["notes"] = "\n".join(f"{k}: {v}" for k, v in row.extras.items())[:2000]

        comments_add, comments_delete = self._comments(row.comments, existing)
        fields: list[str] = []
        papers_changed = bool(papers)
        if existing is not None:
            for name, value in values.items():
                if getattr(existing, name) != value:
                    fields.append(_FIELD_NAMES.get(name, name))
            current = self.existing_links.get(existing.id, [])
            wanted = [(self.paper_plans[k].id, r, lbl) for k, r, lbl in papers]
            papers_changed = current != wanted
            if papers_changed:
                fields.append("papers")
            elif any(self.paper_plans[k].changes for k, _, _ in papers):
                fields.append("paper details")
            if comments_add or comments_delete:
                fields.append("comments")
        return _SessionPlan(
            row,
            existing,
            values,
            tuple(papers),
            comments_add,
            comments_delete,
            tuple(dict.fromkeys(fields)),
            papers_changed=papers_changed,
        )

    def _comments(
        self, wanted: tuple[str, ...], existing: Any | None
    ) -> tuple[Sequence[str], Sequence[int]]:
        if existing is None or existing.id not in self.existing_comments:
            return wanted, ()
        remaining = list(wanted)
        delete: list[int] = []
        for comment in self.existing_comments.get(existing.id, []) if existing else []:
            canon = canonical_comment(comment.text)
            if canon in remaining and (comment.pinned or comment.source == CommentSource.IMPORT):
                remaining.remove(canon)
            elif comment.source == CommentSource.IMPORT:
                delete.append(comment.id)
        return remaining, delete

    def resolve_continues(self) -> None:
        """Mark sessions whose "continues" link changes (new targets are always a change)."""
        for plan in self.sessions:
            if plan.existing is None:
                continue
            current = plan.existing.continues_id
            if plan.values["kind"] != SessionKind.CONTINUE:
                changed = current is not None
            else:
                changed = _target_id(plan.continues) != current or current is None
            if changed:
                plan.fields = (*plan.fields, "continues")

    # ------------------------------------------------------------------ reading list

    def plan_reading_list(self) -> None:
        by_path = {t.path.lower(): t for t in self.existing_topics}
        items = {(i.topic_id, i.paper_id): i for i in self.existing_items}
        merged: dict[str, _TopicPlan] = {}

        def visit(nodes: list[ParsedTopic], parent: _TopicPlan | None) -> None:
            for position, node in enumerate(nodes):
                name = node.name or "Untitled topic"
                piece = name.replace(PATH_SEPARATOR, "∕")
                path = (f"{parent.path}{PATH_SEPARATOR}{piece}" if parent else piece)[:MAX_PATH]
                plan = merged.get(path.lower())
                if plan is None:
                    plan = _TopicPlan(name, path, position, parent)
                    merged[path.lower()] = plan
                    existing = by_path.get(path.lower())
                    if existing is not None:
                        plan.id = existing.id
                        if existing.name != name:
                            plan.changes["name"] = name
                        if existing.position != position:
                            plan.changes["position"] = position
                    self.topics.append(plan)
                seen = {key for key, *_ in plan.items}
                for item in node.items:
                    key = item.ref.ref_key
                    if key in seen:
                        self.issues.append(
                            Issue(item.line, f"the same paper twice under {name!r}; skipped")
                        )
                        continue
                    seen.add(key)
                    plan.items.append((key, item.read, item.label, len(plan.items), item.line))
                visit(node.children, plan)

        visit(self.doc.topics, None)
        report = self.report
        for topic in self.topics:
            if topic.id is None:
                report.topics_created += 1
            for key, read, label, position, _line in topic.items:
                paper_id = self.paper_plans[key].id
                current = items.get((topic.id, paper_id)) if topic.id and paper_id else None
                if current is None:
                    report.items_created += 1
                elif (current.read, current.label, current.position) != (read, label, position):
                    report.items_updated += 1
        self._existing_items = items

    # ------------------------------------------------------------------ everything

    def plan(self) -> ImportReport:
        rows = self._rows()
        self.plan_papers(rows)
        self.plan_sessions(rows)
        self.resolve_continues()
        self.plan_reading_list()
        report = self.report
        fmt = self.config.date_format
        for plan in self.sessions:
            row = plan.row
            values = plan.values
            first = next(
                (
                    self.paper_plans[k].final.title
                    for k, r, _ in plan.papers  # type: ignore[union-attr]
                    if r == PaperRole.MAIN
                ),
                None,
            )
            change = RowChange(
                row.line,
                format_date(row.day, fmt),
                _short(
                    _headline(
                        values["kind"],
                        values["title"],
                        values["block_name"],
                        values["block_part"],
                        first,
                    )
                ),
                plan.fields,
            )
            if plan.existing is None:
                report.created.append(change)
                report.comments_added += len(plan.comments_add)
            elif plan.fields:
                report.updated.append(change)
                report.comments_added += len(plan.comments_add)
                report.comments_removed += len(plan.comments_delete)
            else:
                report.unchanged += 1
        report.papers_created = sum(1 for p in self.paper_plans.values() if p.id is None)
        report.papers_updated = sum(1 for p in self.paper_plans.values() if p.changes)
        if not self.config.group_name and self.doc.title:
            report.group_name = self.doc.title
        report.issues = sorted(self.issues, key=lambda issue: issue.line)
        return report

    # ------------------------------------------------------------------ writing

    async def apply(self, uow: UnitOfWork, actor_id: int | None) -> None:
        # Rows go to the bulk inserts as generators: each dict lives only until it is
        # converted, instead of tens of thousands at once.
        gid, now = self.guild_id, self.now
        store = uow.markdown
        new_papers = [p for p in self.paper_plans.values() if p.id is None]
        ids = await store.insert_papers(
            gid,
            (
                {
                    "guild_id": gid,
                    "ref_key": p.ref.ref_key,
                    "arxiv_id": p.ref.arxiv_id,
                    "arxiv_version": p.ref.arxiv_version,
                    "url": p.ref.url,
                    "title": p.final.title,  # type: ignore[union-attr]
                    "authors": list(p.final.authors),  # type: ignore[union-attr]
                    "categories": [],
                    "code_links": [list(pair) for pair in p.final.code_links],  # type: ignore[union-attr]
                    "demo_links": [list(pair) for pair in p.final.demo_links],  # type: ignore[union-attr]
                    "links_edited": False,
                    "source": PaperSource.IMPORT,
                    "created_at": now,
                    "updated_at": now,
                }
                for p in new_papers
            ),
        )
        for plan in new_papers:
            plan.id = ids[plan.ref.ref_key]
        await store.update_papers(
            gid,
            [
                {"id": p.id, **p.changes, "updated_at": now}
                for p in self.paper_plans.values()
                if p.changes
            ],
        )

        new_sessions = [s for s in self.sessions if s.existing is None]
        started = await store.insert_sessions(
            gid,
            (
                {
                    "guild_id": gid,
                    "duration_minutes": self.config.session_minutes,
                    "notes": None,
                    "presenter_id": None,
                    "presenter_name": None,
                    **s.values,
                    "continues_id": None,
                    "status": SessionStatus.SCHEDULED,
                    "source": "import",
                    "created_by": actor_id,
                    "created_at": now,
                    "updated_at": now,
                }
                for s in new_sessions
            ),
        )
        for plan in new_sessions:
            plan.id = started[plan.values["starts_at"]]
        updates: list[dict[str, Any]] = []
        for plan in self.sessions:
            if plan.existing is None:
                continue
            plan.id = plan.existing.id
            if plan.fields:
                changed = {k: v for k, v in plan.values.items() if getattr(plan.existing, k) != v}
                updates.append({"id": plan.id, **changed, "updated_at": now})
        await store.update_sessions(gid, updates)

        continues: list[dict[str, Any]] = []
        for plan in self.sessions:
            target = plan.continues
            if plan.values["kind"] == SessionKind.CONTINUE:
                target_id = target.id if target is not None else None
            else:
                target_id = None
            current = plan.existing.continues_id if plan.existing is not None else None
            if target_id != current:
                continues.append({"id": plan.id, "continues_id": target_id})
        await store.update_sessions(gid, continues)

        replaced = [s for s in self.sessions if s.papers_changed]
        await store.replace_session_papers(
            gid,
            [s.id for s in replaced if s.existing is not None],  # type: ignore[misc]
            (
                {
                    "session_id": s.id,
                    "paper_id": self.paper_plans[key].id,
                    "guild_id": gid,
                    "position": position,
                    "role": role,
                    "label": label,
                }
                for s in replaced
                for position, (key, role, label) in enumerate(s.papers)
            ),
        )

        await store.delete_comments(gid, [i for s in self.sessions for i in s.comments_delete])
        await store.insert_comments(
            {
                "guild_id": gid,
                "session_id": plan.id,
                "author_id": None,
                "author_name": "",
                "text": text,
                "message_id": None,
                "channel_id": None,
                "jump_url": None,
                "pinned": True,
                "source": CommentSource.IMPORT,
                "logged_by": actor_id,
                "created_at": now + timedelta(microseconds=offset),
            }
            for plan in self.sessions
            for offset, text in enumerate(plan.comments_add)
        )

        await self._apply_reading_list(uow, actor_id)
        if self.report.group_name:
            await uow.guilds.update(self.guild_id, group_name=self.report.group_name)
        self.report.session_ids = [
            s.id for s in self.sessions if s.id is not None and (s.existing is None or s.fields)
        ]

    async def _apply_reading_list(self, uow: UnitOfWork, actor_id: int | None) -> None:
        gid, now = self.guild_id, self.now
        store = uow.markdown
        topic_updates = []
        for topic in self.topics:
            if topic.id is None:
                topic.id = await store.insert_topic(
                    {
                        "guild_id": gid,
                        "parent_id": topic.parent.id if topic.parent else None,
                        "name": topic.name,
                        "path": topic.path,
                        "position": topic.position,
                    }
                )
            elif topic.changes:
                topic_updates.append({"id": topic.id, **topic.changes})
        await store.update_topics(gid, topic_updates)
        inserts, updates = [], []
        for topic in self.topics:
            for key, read, label, position, _line in topic.items:
                paper_id = self.paper_plans[key].id
                current = self._existing_items.get((topic.id, paper_id))
                if current is None:
                    inserts.append(
                        {
                            "guild_id": gid,
                            "topic_id": topic.id,
                            "paper_id": paper_id,
                            "label": label,
                            "read": read,
                            "read_at": now if read else None,
                            "position": position,
                            "added_by": actor_id,
                            "created_at": now,
                        }
                    )
                elif (current.read, current.label, current.position) != (read, label, position):
                    change: dict[str, Any] = {
                        "id": current.id,
                        "label": label,
                        "position": position,
                        "read": read,
                    }
                    if current.read != read:
                        change["read_at"] = now if read else None
                    updates.append(change)
        await store.insert_items(inserts)
        await store.update_items(gid, updates)


_FIELD_NAMES = {
    "starts_at": "time",
    "duration_minutes": "length",
    "block_name": "block",
    "block_part": "part",
    "details": "layout or links",
    "presenter_name": "presenter",
    "presenter_id": "presenter",
}


_NEW = -1
_REPLACED_KEYS = frozenset(IMPORT_KEYS)
_REPLACED_KEYS_BUT_EXTRA = _REPLACED_KEYS - {EXTRA}


def _toggle_slash(key: str) -> str:
    """A URL key with the trailing slash of its path added or removed."""
    url = key.removeprefix("url:")
    parts = urlsplit(url)
    path = parts.path[:-1] if parts.path.endswith("/") else parts.path + "/"
    return "url:" + parts._replace(path=path).geturl()


def _target_id(target: Any | None) -> int | None:
    """The id a "continues" link points to; ``_NEW`` for a session the import creates."""
    if target is None:
        return None
    if isinstance(target, _SessionPlan):
        return target.existing.id if target.existing is not None else _NEW
    return int(target.id)


def _link_positions(
    segments: Sequence[Any], refs_in_order: list[str], index: dict[str, int]
) -> list[int | None]:
    """For each link of a cell, the position of its paper in the session."""
    positions: list[int | None] = []
    cursor = 0
    for seg in segments:
        if seg.kind not in ("l", "u"):
            continue
        key = refs_in_order[cursor] if cursor < len(refs_in_order) else None
        positions.append(index.get(key) if key is not None else None)
        cursor += 1
    return positions


def _walk(topics: list[ParsedTopic]) -> list[ParsedTopic]:
    out: list[ParsedTopic] = []
    for topic in topics:
        out.append(topic)
        out.extend(_walk(topic.children))
    return out
