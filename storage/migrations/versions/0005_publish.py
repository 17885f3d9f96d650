"""publish targets: where a server publishes its schedule on GitHub

Revision ID: 0005_publish
Revises: 0007_session_status_index
Create Date: 2026-12-03 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_publish"
down_revision: str | None = "0007_session_status_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "publish_targets",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("repository", sa.String(length=200), nullable=False),
        sa.Column("branch", sa.String(length=255), nullable=True),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("auto", sa.Boolean(), nullable=False),
        sa.Column("placement", sa.String(length=300), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_hash", sa.String(length=64), nullable=True),
        sa.Column("last_published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_url", sa.String(length=500), nullable=True),
        sa.Column("pull_number", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_publish_targets")),
    )
    op.create_index(op.f("ix_publish_targets_due_at"), "publish_targets", ["due_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_publish_targets_due_at"), table_name="publish_targets")
    op.drop_table("publish_targets")
