"""The report of an import: per line of the file, what was created, updated, left
unchanged, in conflict with what the server holds, or skipped, and why."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.markdown.parsed import SKIPPED, Issue

CREATED, UPDATED, UNCHANGED, CONFLICT = "created", "updated", "unchanged", "conflict"


@dataclass(slots=True)
class RowChange:
    """One session row of the file and what the import does with it."""

    line: int
    date_text: str
    headline: str
    fields: tuple[str, ...] = ()  # what changes (created rows: nothing to list)
    conflicts: tuple[str, ...] = ()  # "presenter: the file says 'Bob', the server has 'Ada'"
    joined: tuple[int, ...] = ()  # rows without a date that continue this one

    def describe(self, verb: str) -> str:
        what = f" ({', '.join(self.fields)})" if self.fields else ""
        text = f"line {self.line}: {verb} {self.date_text} · {self.headline}{what}"
        if self.joined:
            text += f" with line{'s' if len(self.joined) > 1 else ''} "
            text += ", ".join(str(n) for n in self.joined)
        if self.conflicts:
            text += " — " + "; ".join(self.conflicts)
        return text


@dataclass(slots=True)
class ImportReport:
    dry_run: bool
    overwrite: bool = False
    created: list[RowChange] = field(default_factory=list)
    updated: list[RowChange] = field(default_factory=list)
    unchanged_rows: list[RowChange] = field(default_factory=list)
    conflicts: list[RowChange] = field(default_factory=list)
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
    def unchanged(self) -> int:
        return len(self.unchanged_rows)

    @property
    def skipped(self) -> list[Issue]:
        return [i for i in self.issues if i.kind == SKIPPED]

    @property
    def notes(self) -> list[Issue]:
        return [i for i in self.issues if i.kind != SKIPPED]

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
        if self.conflicts:
            sessions += (
                f", {len(self.conflicts)} in conflict (the server's values are kept; "
                "import with overwrite to replace them)"
            )
        skipped = self.skipped
        if skipped:
            sessions += f", {len(skipped)} row(s) skipped"
        if self.untouched:
            sessions += f"; {self.untouched} in the server but not in the file (left as they are)"
        parts = [sessions + "."]
        parts.append(f"Papers: {self.papers_created} new, {self.papers_updated} updated.")
        if self.comments_added or self.comments_removed:
            parts.append(f"Comments: {self.comments_added} added, {self.comments_removed} removed.")
        if self.topics_created or self.items_created or self.items_updated:
            parts.append(
                f"Reading list: {self.topics_created} new topics, {self.items_created} new "
                f"entries, {self.items_updated} updated."
            )
        if self.group_name:
            parts.append(f"Group name: {self.group_name}.")
        return " ".join(parts)

    def lines(self) -> list[str]:
        """Every line of the file the import has something to say about, in file order:
        notes (⚠), skipped rows and what happens to each session."""
        if self.dry_run:
            verbs = {
                CREATED: "would create",
                UPDATED: "would update",
                UNCHANGED: "unchanged",
                CONFLICT: "conflict",
            }
        else:
            verbs = {
                CREATED: "created",
                UPDATED: "updated",
                UNCHANGED: "unchanged",
                CONFLICT: "conflict",
            }
        entries: list[tuple[int, int, str]] = []
        for status, changes in (
            (CREATED, self.created),
            (UPDATED, self.updated),
            (UNCHANGED, self.unchanged_rows),
            (CONFLICT, self.conflicts),
        ):
            entries += [(c.line, 1, c.describe(verbs[status])) for c in changes]
        for issue in self.issues:
            text = str(issue) if issue.kind == SKIPPED else f"⚠ {issue}"
            entries.append((issue.line, 0, text))
        return [text for _, _, text in sorted(entries, key=lambda e: (e[0], e[1]))]

    def text(self) -> str:
        return "\n".join([self.summary(), *self.lines()]) + "\n"
