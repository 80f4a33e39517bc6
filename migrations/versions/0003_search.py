"""Search: the outbox of changes waiting for the search index.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

Written by hand (not part of the regenerated 0001). While the project is unreleased 0001 may be regenerated
from the models, which include this table: then the table exists already and this step leaves it alone.
"""

import sqlalchemy as sa
from alembic import op

import civic.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("search_queue"):
        return
    op.create_table(
        "search_queue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("created_at", civic.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_queue")),
    )


def downgrade() -> None:
    op.drop_table("search_queue")
