"""The reading-list part of an import: topics matched by their path, items by paper,
planned (read marks, labels, order) and then written.
"""

from __future__ import annotations

from typing import Any

from bot.markdown.import_papers import _PaperPlanning
from bot.markdown.import_state import _TopicPlan
from bot.markdown.parsed import Issue, ParsedTopic
from storage.repositories import UnitOfWork
from storage.repositories.readinglist import PATH_SEPARATOR

MAX_PATH = 1000


class _ReadingListPlanning(_PaperPlanning):
    """The reading list: topics and their items, planned then written."""

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
