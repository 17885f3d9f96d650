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

The planner is assembled from one module per part: what it starts from
(``import_state.py``), papers (``import_papers.py``), sessions (``import_sessions.py``) and
the merge with a stored one (``import_merge.py``), the reading list
(``import_readinglist.py``) and the write (``import_apply.py``).
"""

from __future__ import annotations

from bot.dates import format_date
from bot.markdown.import_apply import _Applying
from bot.markdown.import_sessions import _SessionPlanning
from bot.markdown.import_state import _headline, _short
from bot.markdown.render import TITLE_FALLBACK
from bot.markdown.report import ImportReport, RowChange
from storage.models import PaperRole

__all__ = ["ImportPlanner", "ImportReport", "RowChange"]


class ImportPlanner(_Applying, _SessionPlanning):
    """Compares a parsed file with what one server holds; ``plan`` then ``apply``."""

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
