"""Draft answers to proposals: officers save an answer without publishing it, and publish many together.

Revision ID: 0016
Revises: 0012
Create Date: 2026-12-05

Written by hand.
"""

import sqlalchemy as sa
from alembic import op

import civic.db

revision = "0016"
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "proposal_answer_drafts",
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=14), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("cost", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("delivery", sa.Text(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("saved_at", civic.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('not_answered', 'evaluating', 'accepted', 'rejected')",
                           name=op.f("ck_proposal_answer_drafts_known_state")),
        sa.ForeignKeyConstraint(["officer_id"], ["users.id"],
                                name=op.f("fk_proposal_answer_drafts_officer_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposals.id"],
                                name=op.f("fk_proposal_answer_drafts_proposal_id_proposals"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("proposal_id", name=op.f("pk_proposal_answer_drafts")),
    )
    op.create_index(op.f("ix_proposal_answer_drafts_officer_id"), "proposal_answer_drafts", ["officer_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_proposal_answer_drafts_officer_id"), table_name="proposal_answer_drafts")
    op.drop_table("proposal_answer_drafts")
