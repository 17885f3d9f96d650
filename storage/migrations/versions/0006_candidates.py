"""candidates from the Daily Papers feed: feed papers, cached embeddings, weekly digests

Revision ID: 0006_candidates
Revises: 0005_publish
Create Date: 2026-12-03 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_candidates"
down_revision: str | None = "0005_publish"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feed_papers",
        sa.Column("arxiv_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=False),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("upvotes", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("feed_day", sa.Date(), nullable=True),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("github_repo", sa.String(length=500), nullable=True),
        sa.Column("project_page", sa.String(length=500), nullable=True),
        sa.Column("spaces", sa.JSON(), nullable=False),
        sa.Column("listed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("arxiv_id", name=op.f("pk_feed_papers")),
    )
    with op.batch_alter_table("feed_papers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feed_papers_feed_day"), ["feed_day"], unique=False)

    op.create_table(
        "paper_embeddings",
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("dimensions", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("model", "text_hash", name=op.f("pk_paper_embeddings")),
    )

    op.create_table(
        "candidate_digests",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("at", sa.Time(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_candidate_digests")),
    )


def downgrade() -> None:
    op.drop_table("candidate_digests")
    op.drop_table("paper_embeddings")
    with op.batch_alter_table("feed_papers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feed_papers_feed_day"))
    op.drop_table("feed_papers")
