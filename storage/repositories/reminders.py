"""The reminder ledger: claim, send, mark sent.

A delivery row is *claimed* (inserted, or taken over once its lease expired) before a
reminder is posted and *marked sent* with the message id after. The unique
``(guild_id, dedupe_key)`` constraint makes the claim atomic across processes.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlmodel import col

from storage.models import DeliveryStatus, ReminderDelivery
from storage.repositories.base import Repository, dialect_insert, rowcount, table_of

OPEN_STATUSES = (DeliveryStatus.CLAIMED, DeliveryStatus.BLOCKED)

SELF_PLANNED_KINDS = ("digest",)
"""Kinds of ledger rows that another feature claims through this ledger and plans itself
(the weekly digest of candidates): the reminders' planning and status leave them out."""


def _reminders_only() -> Any:
    return col(ReminderDelivery.kind).not_in(SELF_PLANNED_KINDS)


class ReminderRepository(Repository):
    async def get(self, guild_id: int, dedupe_key: str) -> ReminderDelivery | None:
        return await self.tx.scalar(
            select(ReminderDelivery).where(
                col(ReminderDelivery.guild_id) == guild_id,
                col(ReminderDelivery.dedupe_key) == dedupe_key,
            )
        )

    async def try_claim(
        self,
        *,
        guild_id: int,
        dedupe_key: str,
        kind: str,
        due_at: datetime,
        session_id: int | None,
        owner: str,
        now: datetime,
        lease_expired_before: datetime,
        earlier_self: str | None = None,
    ) -> ReminderDelivery | None:
        """Claim a delivery for ``owner``; None when another claim holds or it is done.

        A new row is inserted with ``ON CONFLICT DO NOTHING``. An existing row can be taken
        over only when it is still ``claimed`` (or ``blocked``) and its lease is older than
        ``lease_expired_before``, or when it is ``claimed`` by an owner whose name starts
        with ``earlier_self`` (an earlier, dead run of the same instance) and is not
        ``owner``: the update is conditional, so two processes cannot both win.
        """
        stmt = dialect_insert(self.tx, table_of(ReminderDelivery)).values(
            guild_id=guild_id,
            session_id=session_id,
            kind=kind,
            due_at=due_at,
            dedupe_key=dedupe_key,
            status=DeliveryStatus.CLAIMED,
            claimed_by=owner,
            claimed_at=now,
            attempts=1,
            late=False,
        )
        inserted = await self.tx.execute(stmt.on_conflict_do_nothing())
        if rowcount(inserted):
            return await self.get(guild_id, dedupe_key)
        expired: Any = col(ReminderDelivery.claimed_at) < lease_expired_before
        if earlier_self is not None:
            expired = or_(
                expired,
                and_(
                    col(ReminderDelivery.status) == DeliveryStatus.CLAIMED,
                    col(ReminderDelivery.claimed_by).startswith(earlier_self, autoescape=True),
                    col(ReminderDelivery.claimed_by) != owner,
                ),
            )
        taken = await self.tx.execute(
            update(ReminderDelivery)
            .where(
                col(ReminderDelivery.guild_id) == guild_id,
                col(ReminderDelivery.dedupe_key) == dedupe_key,
                col(ReminderDelivery.status).in_([DeliveryStatus.CLAIMED, DeliveryStatus.BLOCKED]),
                expired,
            )
            .values(
                claimed_by=owner,
                claimed_at=now,
                status=DeliveryStatus.CLAIMED,
                attempts=col(ReminderDelivery.attempts) + 1,
            )
        )
        if not rowcount(taken):
            return None
        row = await self.get(guild_id, dedupe_key)
        if row is not None:
            await self.tx.refresh(row)
        return row

    async def mark(
        self,
        delivery: ReminderDelivery,
        status: str,
        *,
        message_id: int | None = None,
        channel_id: int | None = None,
        sent_at: datetime | None = None,
        late: bool | None = None,
        detail: str | None = None,
    ) -> None:
        delivery.status = status
        if message_id is not None:
            delivery.message_id = message_id
        if channel_id is not None:
            delivery.channel_id = channel_id
        if sent_at is not None:
            delivery.sent_at = sent_at
        if late is not None:
            delivery.late = late
        if detail is not None:
            delivery.detail = detail
        await self.tx.flush()

    async def unfinished(self) -> list[ReminderDelivery]:
        """Claimed or blocked deliveries of every server (crash recovery at start-up)."""
        rows = await self.tx.scalars(
            select(ReminderDelivery)
            .where(
                col(ReminderDelivery.status).in_([DeliveryStatus.CLAIMED, DeliveryStatus.BLOCKED]),
                _reminders_only(),
            )
            .order_by(col(ReminderDelivery.due_at))
        )
        return list(rows.all())

    async def keys_since(self, since: datetime) -> set[tuple[int, str]]:
        """``(guild_id, dedupe_key)`` of every delivery due at or after ``since``."""
        rows = await self.tx.execute(
            select(col(ReminderDelivery.guild_id), col(ReminderDelivery.dedupe_key)).where(
                col(ReminderDelivery.due_at) >= since
            )
        )
        return {(int(g), str(k)) for g, k in rows.all()}

    async def ledger_since(
        self, since: datetime, guild_ids: Collection[int] | None = None
    ) -> list[ReminderDelivery]:
        """Deliveries due at or after ``since`` plus every unfinished one, in one query.

        This is what planning needs to know: which reminders are done (sent or skipped) and
        which are still claimed or blocked. Across servers on purpose (the start-up rebuild
        reads every server at once); ``guild_ids`` narrows it.
        """
        stmt = select(ReminderDelivery).where(
            or_(
                col(ReminderDelivery.due_at) >= since,
                col(ReminderDelivery.status).in_(OPEN_STATUSES),
            ),
            _reminders_only(),
        )
        if guild_ids is not None:
            stmt = stmt.where(col(ReminderDelivery.guild_id).in_(list(guild_ids)))
        return list((await self.tx.scalars(stmt)).all())

    async def skip_blocked(self, guild_id: int, dedupe_key: str, detail: str) -> bool:
        """Give up a blocked delivery (its session was cancelled, moved or has started).

        Conditional on the row still being blocked: a delivery another process has claimed
        in the meantime is left to that process.
        """
        result = await self.tx.execute(
            update(ReminderDelivery)
            .where(
                col(ReminderDelivery.guild_id) == guild_id,
                col(ReminderDelivery.dedupe_key) == dedupe_key,
                col(ReminderDelivery.status) == DeliveryStatus.BLOCKED,
            )
            .values(status=DeliveryStatus.SKIPPED, detail=detail)
        )
        return bool(rowcount(result))

    async def blocked(self, guild_id: int) -> list[ReminderDelivery]:
        rows = await self.tx.scalars(
            select(ReminderDelivery)
            .where(
                col(ReminderDelivery.guild_id) == guild_id,
                col(ReminderDelivery.status) == DeliveryStatus.BLOCKED,
                _reminders_only(),
            )
            .order_by(col(ReminderDelivery.due_at))
        )
        return list(rows.all())

    async def last_sent(self, guild_id: int) -> ReminderDelivery | None:
        return await self.tx.scalar(
            select(ReminderDelivery)
            .where(
                col(ReminderDelivery.guild_id) == guild_id,
                col(ReminderDelivery.status) == DeliveryStatus.SENT,
                _reminders_only(),
            )
            .order_by(col(ReminderDelivery.sent_at).desc(), col(ReminderDelivery.id).desc())
            .limit(1)
        )
