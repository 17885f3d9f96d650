"""The per-session merge of an import: what a row does to the session the server already
holds on its date, field by field, and the conflicts it reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.dates import timezone
from bot.markdown.import_state import _headline, _PlannerState, _quote, _SessionPlan, _urls
from bot.markdown.parsed import ParsedRow
from bot.markdown.render import (
    CODE_LINKS,
    CODE_NOTE,
    DEMO_LINKS,
    DEMO_NOTE,
    EXTRA,
    LAYOUT,
    PRESENTER_CELL,
    canonical_comment,
)
from storage.models import CommentSource, PaperRole, SessionKind


class _Merge:
    """What a row does to a stored session: fill what it lacks, add to it, leave it, or
    report a conflict (and, with overwrite, replace)."""

    def __init__(
        self,
        planner: _PlannerState,
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
