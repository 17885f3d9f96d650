"""numbers per server: sessions, proposals and comments count from 1 in each server

Revision ID: 0008_server_numbers
Revises: 0006_candidates
Create Date: 2026-12-03 13:00:00

Existing rows are numbered per server in the order of their ids (the order they were
made), so a server that had sessions #36, #40 and #41 now has #1, #2 and #3.

SQLite cannot add a NOT NULL column without a default, nor change one without rebuilding
the table (and rebuilding a table that others reference would cascade deletes while foreign
keys are on): there the column keeps a default of 0, which the repositories never use.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_server_numbers"
down_revision: str | None = "0006_candidates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("reading_sessions", "proposals", "comments")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in TABLES:
        if sqlite:
            op.execute(f"ALTER TABLE {table} ADD COLUMN number INTEGER NOT NULL DEFAULT 0")
        else:
            op.add_column(table, sa.Column("number", sa.Integer(), nullable=True))
        op.execute(
            f"UPDATE {table} SET number = numbered.n FROM ("
            f"SELECT id, ROW_NUMBER() OVER (PARTITION BY guild_id ORDER BY id) AS n "
            f"FROM {table}) AS numbered WHERE {table}.id = numbered.id"
        )
        if not sqlite:
            op.alter_column(table, "number", existing_type=sa.Integer(), nullable=False)
        op.create_index(f"uq_{table}_guild_number", table, ["guild_id", "number"], unique=True)


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"uq_{table}_guild_number", table_name=table)
        op.execute(f"ALTER TABLE {table} DROP COLUMN number")
