"""index for paging a server's scheduled sessions

Revision ID: 0007_session_status_index
Revises: 0001
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007_session_status_index"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_reading_sessions_guild_status_starts",
        "reading_sessions",
        ["guild_id", "status", "starts_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_reading_sessions_guild_status_starts", table_name="reading_sessions")
