"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-24 14:35:27.555441
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "bot_state",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_bot_state")),
    )
    op.create_table(
        "guild_notices",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "key", name=op.f("pk_guild_notices")),
    )
    op.create_table(
        "guild_settings",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("group_name", sa.String(length=200), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("meeting_weekday", sa.Integer(), nullable=True),
        sa.Column("meeting_time", sa.Time(), nullable=True),
        sa.Column("session_minutes", sa.Integer(), nullable=False),
        sa.Column("date_format", sa.String(length=32), nullable=False),
        sa.Column("organizer_role_id", sa.BigInteger(), nullable=True),
        sa.Column("announcement_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("event_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("event_location", sa.String(length=100), nullable=True),
        sa.Column("events_enabled", sa.Boolean(), nullable=False),
        sa.Column("weekly_enabled", sa.Boolean(), nullable=False),
        sa.Column("weekly_weekday", sa.Integer(), nullable=False),
        sa.Column("weekly_time", sa.Time(), nullable=False),
        sa.Column("lead_times_minutes", sa.JSON(), nullable=False),
        sa.Column("lead_reminders_enabled", sa.Boolean(), nullable=False),
        sa.Column("ping_role_id", sa.BigInteger(), nullable=True),
        sa.Column("threads_enabled", sa.Boolean(), nullable=False),
        sa.Column("export_pin_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("export_pin_message_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_guild_settings")),
    )
    op.create_table(
        "papers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("ref_key", sa.String(length=600), nullable=False),
        sa.Column("arxiv_id", sa.String(length=64), nullable=True),
        sa.Column("arxiv_version", sa.Integer(), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=True),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("primary_category", sa.String(length=64), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("journal_ref", sa.Text(), nullable=True),
        sa.Column("doi", sa.String(length=200), nullable=True),
        sa.Column("pdf_url", sa.String(length=2000), nullable=True),
        sa.Column("code_links", sa.JSON(), nullable=False),
        sa.Column("demo_links", sa.JSON(), nullable=False),
        sa.Column("links_edited", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_papers")),
        sa.UniqueConstraint("guild_id", "ref_key", name=op.f("uq_papers_guild_id_ref_key")),
    )
    with op.batch_alter_table("papers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_papers_arxiv_id"), ["arxiv_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_papers_guild_id"), ["guild_id"], unique=False)

    op.create_table(
        "reading_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("block_name", sa.String(length=200), nullable=True),
        sa.Column("block_part", sa.Integer(), nullable=True),
        sa.Column("continues_id", sa.Integer(), nullable=True),
        sa.Column("presenter_id", sa.BigInteger(), nullable=True),
        sa.Column("presenter_name", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("discord_event_id", sa.BigInteger(), nullable=True),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["continues_id"],
            ["reading_sessions.id"],
            name=op.f("fk_reading_sessions_continues_id_reading_sessions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reading_sessions")),
    )
    with op.batch_alter_table("reading_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reading_sessions_continues_id"), ["continues_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_reading_sessions_guild_id"), ["guild_id"], unique=False
        )
        batch_op.create_index(
            "ix_reading_sessions_guild_starts", ["guild_id", "starts_at"], unique=False
        )

    op.create_table(
        "reading_topics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["reading_topics.id"],
            name=op.f("fk_reading_topics_parent_id_reading_topics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reading_topics")),
        sa.UniqueConstraint("guild_id", "path", name=op.f("uq_reading_topics_guild_id_path")),
    )
    with op.batch_alter_table("reading_topics", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reading_topics_guild_id"), ["guild_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_reading_topics_parent_id"), ["parent_id"], unique=False
        )

    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("jump_url", sa.String(length=300), nullable=True),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("logged_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["reading_sessions.id"],
            name=op.f("fk_comments_session_id_reading_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
        sa.UniqueConstraint("message_id", name=op.f("uq_comments_message_id")),
    )
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comments_guild_id"), ["guild_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_comments_session_id"), ["session_id"], unique=False)

    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("proposer_id", sa.BigInteger(), nullable=False),
        sa.Column("presenter_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["paper_id"],
            ["papers.id"],
            name=op.f("fk_proposals_paper_id_papers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["reading_sessions.id"],
            name=op.f("fk_proposals_session_id_reading_sessions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposals")),
    )
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proposals_guild_id"), ["guild_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposals_paper_id"), ["paper_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposals_session_id"), ["session_id"], unique=False)

    op.create_table(
        "reading_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=True),
        sa.Column("read", sa.Boolean(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("added_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["paper_id"],
            ["papers.id"],
            name=op.f("fk_reading_items_paper_id_papers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["reading_topics.id"],
            name=op.f("fk_reading_items_topic_id_reading_topics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reading_items")),
        sa.UniqueConstraint(
            "topic_id", "paper_id", name=op.f("uq_reading_items_topic_id_paper_id")
        ),
    )
    with op.batch_alter_table("reading_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reading_items_guild_id"), ["guild_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reading_items_paper_id"), ["paper_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reading_items_topic_id"), ["topic_id"], unique=False)

    op.create_table(
        "reminder_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["reading_sessions.id"],
            name=op.f("fk_reminder_deliveries_session_id_reading_sessions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_deliveries")),
        sa.UniqueConstraint(
            "guild_id", "dedupe_key", name=op.f("uq_reminder_deliveries_guild_id_dedupe_key")
        ),
    )
    with op.batch_alter_table("reminder_deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_deliveries_due_at"), ["due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_reminder_deliveries_guild_id"), ["guild_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_reminder_deliveries_session_id"), ["session_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_reminder_deliveries_status"), ["status"], unique=False)

    op.create_table(
        "session_papers",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["paper_id"],
            ["papers.id"],
            name=op.f("fk_session_papers_paper_id_papers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["reading_sessions.id"],
            name=op.f("fk_session_papers_session_id_reading_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "paper_id", name=op.f("pk_session_papers")),
    )
    with op.batch_alter_table("session_papers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_session_papers_guild_id"), ["guild_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_session_papers_paper_id"), ["paper_id"], unique=False)

    op.create_table(
        "summaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("input_hash", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("key_points", sa.JSON(), nullable=False),
        sa.Column("open_questions", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["reading_sessions.id"],
            name=op.f("fk_summaries_session_id_reading_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_summaries")),
        sa.UniqueConstraint(
            "session_id",
            "model",
            "input_hash",
            name=op.f("uq_summaries_session_id_model_input_hash"),
        ),
    )
    with op.batch_alter_table("summaries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_summaries_guild_id"), ["guild_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_summaries_session_id"), ["session_id"], unique=False)

    op.create_table(
        "votes",
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_votes_proposal_id_proposals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("proposal_id", "user_id", name=op.f("pk_votes")),
    )
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_votes_guild_id"), ["guild_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_votes_guild_id"))

    op.drop_table("votes")
    with op.batch_alter_table("summaries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_summaries_session_id"))
        batch_op.drop_index(batch_op.f("ix_summaries_guild_id"))

    op.drop_table("summaries")
    with op.batch_alter_table("session_papers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_papers_paper_id"))
        batch_op.drop_index(batch_op.f("ix_session_papers_guild_id"))

    op.drop_table("session_papers")
    with op.batch_alter_table("reminder_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_deliveries_status"))
        batch_op.drop_index(batch_op.f("ix_reminder_deliveries_session_id"))
        batch_op.drop_index(batch_op.f("ix_reminder_deliveries_guild_id"))
        batch_op.drop_index(batch_op.f("ix_reminder_deliveries_due_at"))

    op.drop_table("reminder_deliveries")
    with op.batch_alter_table("reading_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reading_items_topic_id"))
        batch_op.drop_index(batch_op.f("ix_reading_items_paper_id"))
        batch_op.drop_index(batch_op.f("ix_reading_items_guild_id"))

    op.drop_table("reading_items")
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposals_session_id"))
        batch_op.drop_index(batch_op.f("ix_proposals_paper_id"))
        batch_op.drop_index(batch_op.f("ix_proposals_guild_id"))

    op.drop_table("proposals")
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comments_session_id"))
        batch_op.drop_index(batch_op.f("ix_comments_guild_id"))

    op.drop_table("comments")
    with op.batch_alter_table("reading_topics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reading_topics_parent_id"))
        batch_op.drop_index(batch_op.f("ix_reading_topics_guild_id"))

    op.drop_table("reading_topics")
    with op.batch_alter_table("reading_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_reading_sessions_guild_starts")
        batch_op.drop_index(batch_op.f("ix_reading_sessions_guild_id"))
        batch_op.drop_index(batch_op.f("ix_reading_sessions_continues_id"))

    op.drop_table("reading_sessions")
    with op.batch_alter_table("papers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_papers_guild_id"))
        batch_op.drop_index(batch_op.f("ix_papers_arxiv_id"))

    op.drop_table("papers")
    op.drop_table("guild_settings")
    op.drop_table("guild_notices")
    op.drop_table("bot_state")
