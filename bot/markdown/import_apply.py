"""Applying a planned import to the database: papers, sessions, their links and comments
and the reading list, written in the caller's unit of work with bulk statements.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.markdown.import_readinglist import _ReadingListPlanning
from storage.models import CommentSource, PaperSource, SessionKind, SessionStatus
from storage.repositories import UnitOfWork


class _Applying(_ReadingListPlanning):
    """Writes exactly what the plan says."""

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
