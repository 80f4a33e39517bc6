"""Results for the council (issue 20): a campaign's report and its findings with the council's answers
(sensing_reports, sensing_findings), and the core's links between objects of two domains (resource_links: a
finding and the proposal made from it).

Revision ID: 0020
Revises: 0016
Create Date: 2026-12-05

Written by hand.
"""

import sqlalchemy as sa
from alembic import op

import civic.db

revision = "0020"
down_revision = "0018"
branch_labels = None
depends_on = None

TIME = civic.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "resource_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_type", sa.String(length=40), nullable=False),
        sa.Column("from_id", sa.Integer(), nullable=False),
        sa.Column("to_type", sa.String(length=40), nullable=False),
        sa.Column("to_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_resource_links_created_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_links")),
        sa.UniqueConstraint("from_type", "from_id", "to_type", "to_id",
                            name=op.f("uq_resource_links_from_type_from_id_to_type_to_id")),
    )
    op.create_index("ix_resource_links_to", "resource_links", ["to_type", "to_id"])
    op.create_table(
        "sensing_reports",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("draft", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("published_at", TIME, nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["sensing_campaigns.id"],
                                name=op.f("fk_sensing_reports_campaign_id_sensing_campaigns"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_sensing_reports_updated_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["published_by_id"], ["users.id"],
                                name=op.f("fk_sensing_reports_published_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_sensing_reports")),
    )
    op.create_table(
        "sensing_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", TIME, nullable=False),
        sa.Column("answer_state", sa.String(length=14), nullable=False),
        sa.Column("answer_text", sa.Text(), nullable=False),
        sa.Column("answered_at", TIME, nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("answer_state IN ('not_answered', 'evaluating', 'accepted', 'rejected')",
                           name=op.f("ck_sensing_findings_known_answer_state")),
        sa.ForeignKeyConstraint(["campaign_id"], ["sensing_campaigns.id"],
                                name=op.f("fk_sensing_findings_campaign_id_sensing_campaigns"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["submitted_by_id"], ["users.id"],
                                name=op.f("fk_sensing_findings_submitted_by_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["answered_by_id"], ["users.id"],
                                name=op.f("fk_sensing_findings_answered_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensing_findings")),
    )
    op.create_index(op.f("ix_sensing_findings_campaign_id"), "sensing_findings", ["campaign_id"])
    op.create_index("ix_sensing_findings_answer_state_submitted_at", "sensing_findings",
                    ["answer_state", "submitted_at"])


def downgrade() -> None:
    op.drop_index("ix_sensing_findings_answer_state_submitted_at", table_name="sensing_findings")
    op.drop_index(op.f("ix_sensing_findings_campaign_id"), table_name="sensing_findings")
    op.drop_table("sensing_findings")
    op.drop_table("sensing_reports")
    op.drop_index("ix_resource_links_to", table_name="resource_links")
    op.drop_table("resource_links")
