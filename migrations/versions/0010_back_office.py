"""The back office: prepared texts for staff (canned reasons for moderation and verification decisions, answer
templates), roles offered by email to addresses without an account, and archived community groups.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-05

Written by hand.
"""

import sqlalchemy as sa
from alembic import op

import civic.db

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "canned_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", civic.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", civic.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_canned_texts_updated_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canned_texts")),
        sa.UniqueConstraint("purpose", "title", name=op.f("uq_canned_texts_purpose_title")),
    )
    op.create_index(op.f("ix_canned_texts_purpose"), "canned_texts", ["purpose"])
    op.create_table(
        "role_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", civic.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", civic.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("accepted_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("role IN ('instructor', 'officer', 'admin')", name=op.f("ck_role_invitations_known_role")),
        sa.ForeignKeyConstraint(["invited_by_id"], ["users.id"], name=op.f("fk_role_invitations_invited_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["accepted_by_id"], ["users.id"],
                                name=op.f("fk_role_invitations_accepted_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_invitations")),
    )
    op.create_index(op.f("ix_role_invitations_email"), "role_invitations", ["email"])
    op.add_column("groups", sa.Column("archived_at", civic.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("groups") as batch:
        batch.drop_column("archived_at")
    op.drop_index(op.f("ix_role_invitations_email"), table_name="role_invitations")
    op.drop_table("role_invitations")
    op.drop_index(op.f("ix_canned_texts_purpose"), table_name="canned_texts")
    op.drop_table("canned_texts")
