"""Planning the papers of an import: one plan per paper the file names (rows and reading
list), matched to the stored paper by identity or title, merged with it field by field.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.markdown.import_state import _PaperPlan, _PlannerState, _quote, _short, _urls, _walk
from bot.markdown.parsed import PaperRef, ParsedRow
from bot.markdown.render import CellPaper, authors_text
from bot.papers.identity import TITLE_PREFIX, is_stand_in_title, normalise_title
from storage.models import PaperRole, PaperSource


def _same_authors(stored: Sequence[str], wanted: Sequence[str]) -> bool:
    """The same people, also when one side abbreviates ("Haotian Liu" / "H. Liu")."""
    if list(stored) == list(wanted) or authors_text(stored) == authors_text(wanted):
        return True
    surnames = [n.split()[-1].casefold() for n in stored if n.split()]
    return surnames == [n.split()[-1].casefold() for n in wanted if n.split()]


class _PaperPlanning(_PlannerState):
    """Papers: which stored paper each reference is, and what the file adds to it."""

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
