"""The notifications' outbox: events written in the publishing transaction, delivered until it succeeds.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05

Written by hand.
"""

import sqlalchemy as sa
from alembic import op

import civic.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(length=80), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", civic.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tried_at", civic.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_outbox")),
    )


def downgrade() -> None:
    op.drop_table("notification_outbox")
