"""Where servers publish their schedule on GitHub, and their pending automatic publishes.

A pending publish is a row whose ``due_at`` is set. It is *claimed* by a conditional update
that sets a lease (two processes cannot both win), and *finished* by clearing ``due_at``,
unless a change arrived while it was being published: then it is due again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, or_, select, update
from sqlmodel import col

from storage.models import PublishTarget
from storage.repositories.base import Repository, rowcount
from storage.types import utcnow


def _free(now: datetime) -> Any:
    """No live lease: nobody is publishing this server right now."""
    return or_(col(PublishTarget.lease_until).is_(None), col(PublishTarget.lease_until) < now)


class PublishRepository(Repository):
    async def get(self, guild_id: int) -> PublishTarget | None:
        # Read afresh: the conditional updates below change rows behind the session's back.
        return await self.tx.get(PublishTarget, guild_id, populate_existing=True)

    async def save(self, guild_id: int, **changes: Any) -> PublishTarget:
        """Create the server's target (``repository`` is then required) or change it."""
        target = await self.get(guild_id)
        if target is None:
            target = PublishTarget(guild_id=guild_id, repository=changes.pop("repository"))
            self.tx.add(target)
        for name, value in changes.items():
            if name not in PublishTarget.model_fields or name in ("guild_id", "created_at"):
                raise AttributeError(f"PublishTarget has no field {name!r}")
            setattr(target, name, value)
        target.updated_at = utcnow()
        await self.tx.flush()
        return target

    async def delete(self, guild_id: int) -> bool:
        result = await self.tx.execute(
            delete(PublishTarget).where(col(PublishTarget.guild_id) == guild_id)
        )
        return bool(rowcount(result))

    async def request(self, guild_id: int, now: datetime, due_at: datetime) -> datetime | None:
        """Note a change: due at ``due_at`` unless a publish is already pending (then that
        one takes it along). Only for servers that publish automatically; returns when the
        pending publish is due, or None when there is none."""
        await self.tx.execute(
            update(PublishTarget)
            .where(col(PublishTarget.guild_id) == guild_id, col(PublishTarget.auto).is_(True))
            .execution_options(synchronize_session=False)
            .values(
                changed_at=now,
                due_at=func.coalesce(col(PublishTarget.due_at), due_at),
            )
        )
        return await self.tx.scalar(
            select(col(PublishTarget.due_at)).where(
                col(PublishTarget.guild_id) == guild_id, col(PublishTarget.auto).is_(True)
            )
        )

    async def next_due(self) -> datetime | None:
        """When the earliest pending publish (of any server) is due."""
        return await self.tx.scalar(select(func.min(col(PublishTarget.due_at))))

    async def due(self, now: datetime) -> list[int]:
        """Servers whose pending publish is due and that nobody is publishing."""
        rows = await self.tx.scalars(
            select(col(PublishTarget.guild_id))
            .where(col(PublishTarget.due_at) <= now, _free(now))
            .order_by(col(PublishTarget.due_at))
        )
        return list(rows.all())

    async def claim(self, guild_id: int, now: datetime, lease_until: datetime) -> bool:
        """Take the server's due publish for ``lease_until``; False when another process has
        it or it is no longer due."""
        result = await self.tx.execute(
            update(PublishTarget)
            .where(
                col(PublishTarget.guild_id) == guild_id,
                col(PublishTarget.due_at) <= now,
                _free(now),
            )
            .execution_options(synchronize_session=False)
            .values(lease_until=lease_until)
        )
        return bool(rowcount(result))

    async def finish(
        self, guild_id: int, *, started_at: datetime, again_at: datetime, **values: Any
    ) -> None:
        """Release the claim. The publish is done unless a change arrived after it started
        (``changed_at`` later than ``started_at``): then it is due again at ``again_at``."""
        await self.tx.execute(
            update(PublishTarget)
            .where(col(PublishTarget.guild_id) == guild_id)
            .execution_options(synchronize_session=False)
            .values(
                lease_until=None,
                due_at=case(
                    (col(PublishTarget.changed_at) > started_at, again_at),
                    else_=None,
                ),
                updated_at=utcnow(),
                **values,
            )
        )

    async def settle(self, guild_id: int, rendered_at: datetime) -> None:
        """Drop the pending publish if no change was noted after ``rendered_at`` (a publish
        of everything up to then just went out)."""
        await self.tx.execute(
            update(PublishTarget)
            .where(
                col(PublishTarget.guild_id) == guild_id,
                or_(
                    col(PublishTarget.changed_at).is_(None),
                    col(PublishTarget.changed_at) <= rendered_at,
                ),
            )
            .execution_options(synchronize_session=False)
            .values(due_at=None)
        )

    async def postpone(self, guild_id: int, retry_at: datetime, error: str) -> None:
        """Release the claim after a failure and try again at ``retry_at``."""
        await self.tx.execute(
            update(PublishTarget)
            .where(col(PublishTarget.guild_id) == guild_id)
            .execution_options(synchronize_session=False)
            .values(
                lease_until=None,
                due_at=retry_at,
                last_error=error,
                failures=col(PublishTarget.failures) + 1,
                updated_at=utcnow(),
            )
        )
