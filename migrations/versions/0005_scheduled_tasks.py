"""Scheduled tasks: one row per task with its lease and its last outcome (``flask civic tick``).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05

Written by hand.
"""

import sqlalchemy as sa
from alembic import op

import civic.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduled_tasks",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("locked_until", civic.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("locked_by", sa.String(length=100), nullable=True),
        sa.Column("last_started", civic.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_finished", civic.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_outcome", sa.String(length=20), nullable=True),
        sa.Column("last_summary", sa.String(length=500), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduled_tasks")),
    )


def downgrade() -> None:
    op.drop_table("scheduled_tasks")
