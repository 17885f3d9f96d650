"""Planning and applying the import of a README-style schedule into one server.

``parse.py`` says what each line of the file means; the planner compares that with what the
server holds and decides, row by row, what to create, update, leave alone or report as a
conflict (the preview), and ``apply`` writes exactly that in the caller's unit of work with
bulk statements.

Merge, never loss:

- sessions are identified by their date within the server; papers by their identity
  (``bot.papers.identity``: arXiv id, canonical URL, else the title);
- an empty cell never replaces a stored value, and a value the server lacks is filled in;
- a stored paper is never renamed: a row's own link text is kept with that row (a label);
- a different non-empty value is a conflict: reported on its line, the stored value kept,
  unless the organizer asks to overwrite;
- nothing is deleted: sessions and reading-list entries the file does not name stay.

New sessions start at the server's meeting time, or at ``DEFAULT_MEETING_TIME`` (18:00) in
the server's time zone when none is set; a Time column in the file wins.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot.dates import format_date, local_to_utc, timezone
from bot.errors import InvalidInput
from bot.markdown.parsed import (
    SKIPPED,
    Issue,
    PaperRef,
    ParsedDocument,
    ParsedRow,
    ParsedTopic,
)
from bot.markdown.render import (
    CODE_LINKS,
    CODE_NOTE,
    DEFAULT_MEETING_TIME,
    DEMO_LINKS,
    DEMO_NOTE,
    EXTRA,
    LAYOUT,
    PRESENTER_CELL,
    TITLE_FALLBACK,
    CellPaper,
    CellSession,
    authors_text,
    canonical_comment,
    fingerprint,
    generic_authors_cell,
    generic_paper_cell,
    render_template,
    template,
)
from bot.markdown.report import ImportReport, RowChange
from bot.markdown.rows import cell_segments, join_rows
from bot.papers.identity import (
    TITLE_PREFIX,
    equivalent_keys,
    is_stand_in_title,
    normalise_title,
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

__all__ = ["DEFAULT_MEETING_TIME", "ImportPlanner", "ImportReport", "RowChange"]

MAX_PATH = 1000

_KIND_NAMES: dict[str, str] = {
    SessionKind.PAPER: "paper",
    SessionKind.CONTINUE: "continue",
    SessionKind.BLOCK_PART: "block part",
    SessionKind.TOPIC: "topic",
    SessionKind.SPECIAL: "special session",
    SessionKind.TBA: "TBA",
}


# ----------------------------------------------------------------------------------------
# Planning an import


@dataclass(slots=True)
class _PaperPlan:
    ref: PaperRef
    title: str
    has_text: bool
    line: int  # the first line naming the paper: its conflicts are reported there
    authors: tuple[str, ...] | None = None
    code: tuple[tuple[str, str], ...] | None = None
    demo: tuple[tuple[str, str], ...] | None = None
    # the final state (existing row merged with the file)
    id: int | None = None
    existing: Any | None = None
    final: CellPaper | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)

    @property
    def merged(self) -> CellPaper:
        """The final state, once planning has merged the stored row with the file."""
        assert self.final is not None, "the paper was not merged yet"
        return self.final


@dataclass(slots=True)
class _SessionPlan:
    row: ParsedRow
    existing: Any | None
    values: dict[str, Any]
    papers: tuple[tuple[str, str, str | None], ...]  # (plan key, role, label)
    comments_add: Sequence[str]
    comments_delete: Sequence[int]
    fields: tuple[str, ...]
    conflicts: tuple[str, ...] = ()
    continues: _SessionPlan | Any | None = None
    keep_continues: bool = False  # the stored content is kept: so is what it continues
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


def _quote(value: Any, limit: int = 60) -> str:
    if isinstance(value, list | tuple):
        value = ", ".join(str(v[1] if isinstance(v, list | tuple) else v) for v in value)
    text = " ".join(str(value).split())
    return repr(_short(text, limit))


def _same_authors(stored: Sequence[str], wanted: Sequence[str]) -> bool:
    """The same people, also when one side abbreviates ("Haotian Liu" / "H. Liu")."""
    if list(stored) == list(wanted) or authors_text(stored) == authors_text(wanted):
        return True
    surnames = [n.split()[-1].casefold() for n in stored if n.split()]
    return surnames == [n.split()[-1].casefold() for n in wanted if n.split()]


def _urls(links: Sequence[Sequence[str]] | None) -> list[str]:
    return [str(pair[1]) for pair in links or () if len(pair) == 2]


class ImportPlanner:
    """Compares a parsed file with what one server holds; ``plan`` then ``apply``."""

    def __init__(
        self,
        guild_id: int,
        config: GuildConfig,
        doc: ParsedDocument,
        now: datetime,
        *,
        overwrite: bool = False,
    ) -> None:
        self.guild_id = guild_id
        self.config = config
        self.doc = doc
        self.now = now
        self.overwrite = overwrite
        self.issues: list[Issue] = list(doc.issues)
        self.paper_plans: dict[str, _PaperPlan] = {}
        self.alias: dict[str, str] = {}  # a key of the file → the plan that stands for it
        self.sessions: list[_SessionPlan] = []
        self.topics: list[_TopicPlan] = []
        self.report = ImportReport(dry_run=True, overwrite=overwrite)

    # ------------------------------------------------------------------ loading

    def _refs(self) -> list[PaperRef]:
        refs = [p.ref for r in self.doc.rows for p in r.papers]
        return refs + [i.ref for t in _walk(self.doc.topics) for i in t.items]

    async def load(self, uow: UnitOfWork) -> None:
        gid = self.guild_id
        refs = self._refs()
        self.existing_sessions = await uow.markdown.sessions_for_import(gid)
        self.existing_links: dict[int, list[tuple[int, str, str | None]]] = defaultdict(list)
        self.existing_titles: dict[int, str] = {}
        for link in await uow.markdown.session_papers(gid):
            self.existing_links[link.session_id].append((link.paper_id, link.role, link.label))
            self.existing_titles[link.paper_id] = link.title
        self.existing_comments: dict[int, list[Any]] = defaultdict(list)
        for comment in await uow.markdown.comments_for_import(gid):
            self.existing_comments[comment.session_id].append(comment)
        wanted = {key: equivalent_keys(key) for key in dict.fromkeys(r.ref_key for r in refs)}
        found = {
            p.ref_key: p
            for p in await uow.markdown.papers_by_keys(
                gid, [k for keys in wanted.values() for k in keys]
            )
        }
        self.existing_papers: dict[str, Any] = {}
        for key, keys in wanted.items():
            match = next((found[k] for k in keys if k in found), None)
            if match is not None:
                self.existing_papers[key] = match
        # Papers named by a title, and stored papers known only by a title, match by title.
        titles = [r.title for r in refs if r.ref_key not in self.existing_papers and r.title]
        self.papers_by_title: dict[str, list[Any]] = defaultdict(list)
        if titles:
            for paper in await uow.markdown.papers_by_titles(gid, titles):
                self.papers_by_title[normalise_title(paper.title)].append(paper)
        self.existing_topics = await uow.markdown.reading_topics(gid)
        self.existing_items = await uow.markdown.reading_items(gid)

    # ------------------------------------------------------------------ papers

    def _key(self, ref: PaperRef) -> str:
        return self.alias.get(ref.ref_key, ref.ref_key)

    def _unify_titles(self) -> None:
        """A paper named by its title only is the paper of the same title the file links
        elsewhere ("Spline-based Transformers" in November, linked in October)."""
        linked: dict[str, str] = {}
        for ref in self._refs():
            if not ref.ref_key.startswith(TITLE_PREFIX) and ref.text:
                linked.setdefault(normalise_title(ref.text), ref.ref_key)
        for ref in self._refs():
            if ref.ref_key.startswith(TITLE_PREFIX) and ref.text:
                target = linked.get(normalise_title(ref.text))
                if target is not None:
                    self.alias[ref.ref_key] = target

    def _stored_match(self, plan: _PaperPlan) -> Any | None:
        key = plan.ref.ref_key
        existing = self.existing_papers.get(key)
        if existing is not None:
            return existing
        candidates = self.papers_by_title.get(normalise_title(plan.title), [])
        if key.startswith(TITLE_PREFIX):
            return candidates[0] if candidates else None
        # a stored paper known only by its title gets this link
        return next((p for p in candidates if p.ref_key.startswith(TITLE_PREFIX)), None)

    def plan_papers(self, rows: list[ParsedRow]) -> None:
        self._unify_titles()

        def note(ref: PaperRef, line: int) -> _PaperPlan:
            key = self._key(ref)
            plan = self.paper_plans.get(key)
            if plan is None:
                plan = _PaperPlan(ref, ref.title, ref.has_title, line)
                self.paper_plans[key] = plan
            elif not plan.has_text and ref.has_title:
                plan.title, plan.has_text = ref.title, True
            if plan.ref.url is None and ref.url is not None:
                plan.ref = ref  # the linked reference stands for the paper
            return plan

        for row in rows:
            for paper in row.papers:
                plan = note(paper.ref, row.line)
                if paper.role != PaperRole.MAIN:
                    continue
                if plan.authors is None and paper.authors:
                    plan.authors = paper.authors
                if plan.code is None and paper.code_links:
                    plan.code = paper.code_links
                if plan.demo is None and paper.demo_links:
                    plan.demo = paper.demo_links
        for topic in _walk(self.doc.topics):
            for item in topic.items:
                note(item.ref, item.line)

        claimed: dict[int, str] = {}
        for key, plan in list(self.paper_plans.items()):
            existing = self._stored_match(plan)
            if existing is not None and existing.id in claimed:
                # two references of the file name one stored paper: one plan for both
                self.alias[key] = claimed[existing.id]
                for other, target in list(self.alias.items()):
                    if target == key:
                        self.alias[other] = claimed[existing.id]
                del self.paper_plans[key]
                continue
            if existing is not None:
                claimed[existing.id] = key
            self._merge_paper(plan, existing)

    def _merge_paper(self, plan: _PaperPlan, existing: Any | None) -> None:
        ref = plan.ref
        if existing is None:
            plan.final = CellPaper(
                ref.ref_key,
                plan.title,
                ref.url,
                plan.authors or (),
                plan.code or (),
                plan.demo or (),
                abbreviate=False,
            )
            return
        plan.id = existing.id
        plan.existing = existing
        from_arxiv = existing.source == PaperSource.ARXIV
        changes: dict[str, Any] = {}
        name = _short(existing.title, 50)
        if ref.url and existing.ref_key.startswith(TITLE_PREFIX):
            # a paper the server knew only by its title: now it has a link
            changes.update(ref_key=ref.ref_key, url=ref.url)
            if ref.arxiv_id:
                changes.update(arxiv_id=ref.arxiv_id, arxiv_version=ref.arxiv_version)
        elif ref.url and not existing.url:
            changes["url"] = ref.url
        url = changes.get("url", existing.url)
        if (
            plan.has_text
            and plan.title != existing.title
            and is_stand_in_title(existing.title, url)
            and not from_arxiv
        ):
            changes["title"] = plan.title  # a title made up from the link is no title
        if plan.authors and not from_arxiv:
            stored = list(existing.authors or ())
            if not stored:
                changes["authors"] = list(plan.authors)
            elif not _same_authors(stored, plan.authors):
                self._conflict(
                    plan, f"authors of {name!r}", stored, plan.authors, changes, "authors"
                )
        for column, wanted, what in (
            ("code_links", plan.code, "code links"),
            ("demo_links", plan.demo, "demo links"),
        ):
            if not wanted:
                continue
            current = [list(p) for p in getattr(existing, column) or ()]
            new = [list(p) for p in wanted]
            if set(_urls(current)) == set(_urls(new)):
                continue
            if not current or set(_urls(current)) <= set(_urls(new)):
                changes[column] = new
            else:
                self._conflict(plan, f"{what} of {name!r}", current, new, changes, column)
            if column in changes and from_arxiv:
                changes["links_edited"] = True
        plan.changes = changes
        plan.final = CellPaper(
            changes.get("ref_key", existing.ref_key),
            changes.get("title", existing.title),
            changes.get("url", existing.url),
            changes.get("authors", existing.authors or []),
            changes.get("code_links", existing.code_links or []),
            changes.get("demo_links", existing.demo_links or []),
            abbreviate=existing.source != PaperSource.IMPORT,
        )

    def _conflict(
        self,
        plan: _PaperPlan,
        what: str,
        stored: Any,
        wanted: Any,
        changes: dict[str, Any],
        column: str,
    ) -> None:
        if self.overwrite:
            changes[column] = [list(v) if isinstance(v, tuple) else v for v in wanted]
            plan.conflicts.append(f"{what}: replaced {_quote(stored)} with {_quote(wanted)}")
        else:
            plan.conflicts.append(
                f"{what}: the file says {_quote(wanted)}, the server keeps {_quote(stored)}"
            )

    def _label(self, ref: PaperRef) -> str | None:
        final = self.paper_plans[self._key(ref)].final
        assert final is not None
        return ref.text if ref.text is not None and ref.text != final.title else None

    # ------------------------------------------------------------------ sessions

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
                        if self.overwrite and existing.name != name:
                            plan.changes["name"] = name
                        if self.overwrite and existing.position != position:
                            plan.changes["position"] = position
                    self.topics.append(plan)
                seen = {key for key, *_ in plan.items}
                for item in node.items:
                    key = self._key(item.ref)
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
        self._item_changes: dict[int, dict[str, Any]] = {}
        for topic in self.topics:
            if topic.id is None:
                report.topics_created += 1
            for key, read, label, position, _line in topic.items:
                paper_id = self.paper_plans[key].id
                current = items.get((topic.id, paper_id)) if topic.id and paper_id else None
                if current is None:
                    report.items_created += 1
                    continue
                change = self._item_change(current, read, label, position)
                if change:
                    self._item_changes[current.id] = change
                    report.items_updated += 1
        self._existing_items = items

    def _item_change(
        self, current: Any, read: bool, label: str | None, position: int
    ) -> dict[str, Any]:
        """A read mark is added, a missing label filled in; with overwrite the file's marks,
        labels and order replace the stored ones."""
        change: dict[str, Any] = {}
        if (read and not current.read) or (self.overwrite and read != current.read):
            change.update(read=read, read_at=self.now if read else None)
        if label and (current.label is None or self.overwrite) and label != current.label:
            change["label"] = label
        if self.overwrite and position != current.position:
            change["position"] = position
        return change

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
                    self.paper_plans[k].merged.title
                    for k, r, _ in plan.papers
                    if r == PaperRole.MAIN
                ),
                None,
            )
            paper_conflicts = [
                c
                for k, _, _ in plan.papers
                if self.paper_plans[k].line == row.line
                for c in self.paper_plans[k].conflicts
            ]
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
                (*plan.conflicts, *paper_conflicts),
                row.joined_lines,
            )
            if plan.existing is None:
                change.fields = ()
                report.created.append(change)
                report.comments_added += len(plan.comments_add)
            elif change.conflicts and not self.overwrite:
                report.conflicts.append(change)
                report.comments_added += len(plan.comments_add)
            elif plan.fields:
                report.updated.append(change)
                report.comments_added += len(plan.comments_add)
                report.comments_removed += len(plan.comments_delete)
            else:
                report.unchanged_rows.append(change)
        report.papers_created = sum(1 for p in self.paper_plans.values() if p.id is None)
        report.papers_updated = sum(1 for p in self.paper_plans.values() if p.changes)
        if not self.config.group_name and self.doc.title and self.doc.title != TITLE_FALLBACK:
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
                    "title": p.merged.title,
                    "authors": list(p.merged.authors),
                    "categories": [],
                    "code_links": [list(pair) for pair in p.merged.code_links],
                    "demo_links": [list(pair) for pair in p.merged.demo_links],
                    "links_edited": False,
                    "source": PaperSource.IMPORT,
                    "created_at": now,
                    "updated_at": now,
                }
                for p in new_papers
            ),
        )
        for paper in new_papers:
            paper.id = ids[paper.ref.ref_key]
        await store.update_papers(
            gid,
            [
                {"id": p.id, **p.changes, "updated_at": now}
                for p in self.paper_plans.values()
                if p.changes
            ],
        )

        # New sessions are numbered in the server in the order they happen.
        new_sessions = sorted(
            (s for s in self.sessions if s.existing is None), key=lambda s: s.values["starts_at"]
        )
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
            if plan.keep_continues:
                continue
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
            [s.id for s in replaced if s.existing is not None and s.id is not None],
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
            gid,
            (
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
            ),
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
                elif current.id in self._item_changes:
                    updates.append({"id": current.id, **self._item_changes[current.id]})
        await store.insert_items(inserts)
        await store.update_items(gid, updates)


class _Merge:
    """What a row does to a stored session: fill what it lacks, add to it, leave it, or
    report a conflict (and, with overwrite, replace)."""

    def __init__(
        self,
        planner: ImportPlanner,
        row: ParsedRow,
        existing: Any,
        values: dict[str, Any],
        papers: list[tuple[str, str, str | None]],
    ) -> None:
        self.planner = planner
        self.row = row
        self.existing = existing
        self.file = values
        self.papers = papers
        self.values: dict[str, Any] = {}
        self.conflicts: list[str] = []
        self.overwrite = planner.overwrite

    def conflict(self, what: str, wanted: Any, stored: Any) -> bool:
        """Report a conflict; True when the file's value is to be taken (overwrite)."""
        if self.overwrite:
            self.conflicts.append(f"{what}: replaced {_quote(stored)} with {_quote(wanted)}")
        else:
            self.conflicts.append(
                f"{what}: the file says {_quote(wanted)}, the server keeps {_quote(stored)}"
            )
        return self.overwrite

    def _stored_headline(self) -> str:
        existing = self.existing
        titles = [
            self.planner.existing_titles.get(pid, "")
            for pid, role, _ in self.planner.existing_links.get(existing.id, [])
            if role == PaperRole.MAIN
        ]
        return _headline(
            existing.kind,
            existing.title,
            existing.block_name,
            existing.block_part,
            ", ".join(t for t in titles if t) or None,
        )

    def _content(self) -> tuple[bool, bool]:
        """(take the file's kind, title and papers; they differ from what is stored)."""
        existing, file = self.existing, self.file
        planner = self.planner
        stored = planner.existing_links.get(existing.id, [])
        wanted = [(planner.paper_plans[k].id, r, lbl) for k, r, lbl in self.papers]
        content = (file["kind"], file["title"], file["block_name"], file["block_part"])
        current = (existing.kind, existing.title, existing.block_name, existing.block_part)
        if content == current and wanted == stored:
            return True, False
        file_empty = file["kind"] == SessionKind.TBA and not file["title"] and not self.papers
        if file_empty:
            return False, False
        stored_empty = existing.kind == SessionKind.TBA and not existing.title and not stored
        stored_ids = {pid for pid, _, _ in stored}
        wanted_ids = {pid for pid, _, _ in wanted if pid is not None}
        adds = (
            stored_ids <= wanted_ids
            and existing.title in (None, file["title"])
            and existing.block_name in (None, file["block_name"])
            and existing.block_part in (None, file["block_part"])
        )
        if stored_empty or adds:
            return True, True
        headline = _headline(
            file["kind"],
            file["title"],
            file["block_name"],
            file["block_part"],
            ", ".join(
                planner.paper_plans[k].merged.title
                for k, r, _ in self.papers
                if r == PaperRole.MAIN
            )
            or None,
        )
        what = "papers" if stored_ids != wanted_ids else "title"
        return self.conflict(what, headline, self._stored_headline()), True

    def plan(self) -> _SessionPlan:
        existing, file, row = self.existing, self.file, self.row
        values = self.values
        take_content, differs = self._content()
        for name in ("kind", "title", "block_name", "block_part"):
            values[name] = file[name] if take_content else getattr(existing, name)
        values["starts_at"] = self._start()
        self._duration()
        self._presenter()
        values["details"] = self._details(take_content)
        comments_add, comments_delete = self._comments()
        fields: list[str] = []
        for name, value in values.items():
            if getattr(existing, name) != value:
                fields.append(_FIELD_NAMES.get(name, name))
        papers_changed = take_content and differs and self._papers_differ()
        if papers_changed:
            fields.append("papers")
        elif any(self.planner.paper_plans[k].changes for k, _, _ in self.papers):
            fields.append("paper details")
        if comments_add or comments_delete:
            fields.append("comments")
        return _SessionPlan(
            row,
            existing,
            values,
            tuple(self.papers),
            comments_add,
            comments_delete,
            tuple(dict.fromkeys(fields)),
            tuple(self.conflicts),
            keep_continues=not take_content,
            papers_changed=papers_changed,
        )

    def _papers_differ(self) -> bool:
        planner = self.planner
        stored = planner.existing_links.get(self.existing.id, [])
        wanted = [(planner.paper_plans[k].id, r, lbl) for k, r, lbl in self.papers]
        return stored != wanted

    def _start(self) -> datetime:
        existing, row = self.existing, self.row
        kept: datetime = existing.starts_at
        given: datetime = self.file["starts_at"]
        if row.start_time is None or given == kept:
            return kept
        zone = self.planner.config.timezone
        stored = kept.astimezone(timezone(zone))
        if self.conflict("time", f"{row.start_time:%H:%M}", f"{stored:%H:%M}"):
            return given
        return kept

    def _duration(self) -> None:
        existing, wanted = self.existing, self.file.get("duration_minutes")
        if wanted is None or wanted == existing.duration_minutes:
            return
        usual = self.planner.config.session_minutes
        if existing.duration_minutes == usual or self.conflict(
            "length", f"{wanted} min", f"{existing.duration_minutes} min"
        ):
            self.values["duration_minutes"] = wanted

    def _presenter(self) -> None:
        existing, file = self.existing, self.file
        name, member = file.get("presenter_name"), file.get("presenter_id")
        if name is None and member is None:
            return
        if existing.presenter_name is None and existing.presenter_id is None:
            self.values["presenter_name"] = name
            self.values["presenter_id"] = member
            return
        if (name, member) == (existing.presenter_name, existing.presenter_id) or (
            member is None and name == existing.presenter_name
        ):
            return
        if member is not None and member == existing.presenter_id:
            return
        wanted = f"<@{member}>" if member is not None else name
        stored = f"<@{existing.presenter_id}>" if existing.presenter_id else existing.presenter_name
        if self.conflict("presenter", wanted, stored):
            self.values["presenter_name"] = name
            self.values["presenter_id"] = member

    def _details(self, take_content: bool) -> dict[str, Any]:
        existing = self.existing
        stored: dict[str, Any] = dict(existing.details or {})
        file: dict[str, Any] = self.file["details"]
        out = dict(stored)
        if take_content:
            out.pop(LAYOUT, None)
            if LAYOUT in file:
                out[LAYOUT] = file[LAYOUT]
        for key in (CODE_LINKS, DEMO_LINKS):
            wanted = file.get(key)
            if not wanted or wanted == stored.get(key):
                continue
            current = stored.get(key) or []
            if (
                not current
                or set(_urls(current)) <= set(_urls(wanted))
                or self.conflict(key.replace("_", " "), wanted, current)
            ):
                out[key] = wanted
        for key, what in ((CODE_NOTE, "code note"), (DEMO_NOTE, "demo note")):
            wanted = file.get(key)
            if not wanted or wanted == stored.get(key):
                continue
            if not stored.get(key) or self.conflict(what, wanted, stored.get(key)):
                out[key] = wanted
        columns = dict(stored.get(EXTRA) or {})
        for name, value in (file.get(EXTRA) or {}).items():
            current = columns.get(name)
            if current == value:
                continue
            if not current or self.conflict(name, value, current):
                columns[name] = value
        if columns:
            out[EXTRA] = columns
        if PRESENTER_CELL in file and self.values.get("presenter_name") is not None:
            out[PRESENTER_CELL] = file[PRESENTER_CELL]
        return out

    def _comments(self) -> tuple[Sequence[str], Sequence[int]]:
        """Comments the file adds; with overwrite, earlier imported ones it no longer has go.
        Comments logged in Discord always stay."""
        wanted = self.row.comments
        stored = self.planner.existing_comments.get(self.existing.id, [])
        remaining = list(wanted)
        imported_missing: list[Any] = []
        for comment in stored:
            canon = canonical_comment(comment.text)
            if canon in remaining:
                remaining.remove(canon)
            elif comment.source == CommentSource.IMPORT:
                imported_missing.append(comment)
        if not wanted or not imported_missing:
            return remaining, ()
        texts = [c.text for c in imported_missing]
        if self.conflict("comments", list(wanted), texts):
            return remaining, [c.id for c in imported_missing]
        return (), ()


_FIELD_NAMES = {
    "starts_at": "time",
    "duration_minutes": "length",
    "block_name": "block",
    "block_part": "part",
    "details": "links, notes or columns",
    "presenter_name": "presenter",
    "presenter_id": "presenter",
}


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


def _walk(topics: list[ParsedTopic]) -> list[ParsedTopic]:
    out: list[ParsedTopic] = []
    for topic in topics:
        out.append(topic)
        out.extend(_walk(topic.children))
    return out
