"""Participatory budgeting (issue 19): budgets of consultations, their headings (the city's money or each
ward's) and their costed projects, each project one option of its heading's question (so budget ballots go into
the consultation's own secret box).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05

Written by hand from consultations/models.py.
"""

import sqlalchemy as sa
from alembic import op

import civic.db

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consultation_budgets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("by_ward", sa.Boolean(), nullable=False),
        sa.Column("rule", sa.String(length=12), nullable=False),
        sa.Column("min_projects", sa.Integer(), nullable=False),
        sa.Column("max_projects", sa.Integer(), nullable=True),
        sa.Column("min_share_percent", sa.Integer(), nullable=True),
        sa.Column("outcome_rule", sa.String(length=16), nullable=True),
        sa.Column("outcome_chosen_at", civic.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome_chosen_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", civic.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("total > 0", name=op.f("ck_consultation_budgets_total_positive")),
        sa.CheckConstraint("rule IN ('knapsack', 'approval')", name=op.f("ck_consultation_budgets_rule_known")),
        sa.CheckConstraint("min_projects >= 0", name=op.f("ck_consultation_budgets_min_projects_not_negative")),
        sa.CheckConstraint("max_projects IS NULL OR max_projects >= min_projects",
                           name=op.f("ck_consultation_budgets_max_projects_not_below_min")),
        sa.CheckConstraint("min_share_percent IS NULL OR (min_share_percent >= 0 AND min_share_percent <= 100)",
                           name=op.f("ck_consultation_budgets_min_share_a_percentage")),
        sa.CheckConstraint("outcome_rule IS NULL OR outcome_rule IN ('greedy', 'equal_shares')",
                           name=op.f("ck_consultation_budgets_outcome_rule_known")),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultations.id"],
                                name=op.f("fk_consultation_budgets_consultation_id_consultations"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["outcome_chosen_by_id"], ["users.id"],
                                name=op.f("fk_consultation_budgets_outcome_chosen_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_budgets")),
        sa.UniqueConstraint("consultation_id", name=op.f("uq_consultation_budgets_consultation_id")),
    )
    op.create_table(
        "consultation_budget_headings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("budget_id", sa.Integer(), nullable=False),
        sa.Column("ward_id", sa.Integer(), nullable=True),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_consultation_budget_headings_amount_positive")),
        sa.ForeignKeyConstraint(["budget_id"], ["consultation_budgets.id"],
                                name=op.f("fk_consultation_budget_headings_budget_id_consultation_budgets"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["question_id"], ["consultation_questions.id"],
                                name=op.f("fk_consultation_budget_headings_question_id_consultation_questions"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ward_id"], ["wards.id"], name=op.f("fk_consultation_budget_headings_ward_id_wards"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_budget_headings")),
        sa.UniqueConstraint("budget_id", "ward_id", name=op.f("uq_consultation_budget_headings_budget_id_ward_id")),
        sa.UniqueConstraint("question_id", name=op.f("uq_consultation_budget_headings_question_id")),
    )
    op.create_index(op.f("ix_consultation_budget_headings_budget_id"), "consultation_budget_headings", ["budget_id"])
    op.create_index(op.f("ix_consultation_budget_headings_ward_id"), "consultation_budget_headings", ["ward_id"])
    op.create_table(
        "consultation_budget_projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("budget_id", sa.Integer(), nullable=False),
        sa.Column("heading_id", sa.Integer(), nullable=False),
        sa.Column("option_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("cost", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("ward_id", sa.Integer(), nullable=True),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("image_path", sa.String(length=200), nullable=True),
        sa.Column("image_alt", sa.String(length=300), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("source_type", sa.String(length=40), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("funded_at", civic.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("comments_count", sa.Integer(), nullable=False),
        sa.Column("hidden_at", civic.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", civic.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("cost > 0", name=op.f("ck_consultation_budget_projects_cost_positive")),
        sa.CheckConstraint("(latitude IS NULL) = (longitude IS NULL)",
                           name=op.f("ck_consultation_budget_projects_location_whole")),
        sa.CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)",
                           name=op.f("ck_consultation_budget_projects_latitude_range")),
        sa.CheckConstraint("longitude IS NULL OR (longitude >= -180 AND longitude <= 180)",
                           name=op.f("ck_consultation_budget_projects_longitude_range")),
        sa.CheckConstraint("(source_type IS NULL) = (source_id IS NULL)",
                           name=op.f("ck_consultation_budget_projects_source_whole")),
        sa.ForeignKeyConstraint(["budget_id"], ["consultation_budgets.id"],
                                name=op.f("fk_consultation_budget_projects_budget_id_consultation_budgets"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["heading_id"], ["consultation_budget_headings.id"],
                                name=op.f("fk_consultation_budget_projects_heading_id_consultation_budget_headings"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["option_id"], ["consultation_options.id"],
                                name=op.f("fk_consultation_budget_projects_option_id_consultation_options"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ward_id"], ["wards.id"], name=op.f("fk_consultation_budget_projects_ward_id_wards"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"],
                                name=op.f("fk_consultation_budget_projects_programme_id_programmes"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_consultation_budget_projects_created_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_budget_projects")),
        sa.UniqueConstraint("budget_id", "source_type", "source_id",
                            name=op.f("uq_consultation_budget_projects_budget_id_source_type_source_id")),
        sa.UniqueConstraint("option_id", name=op.f("uq_consultation_budget_projects_option_id")),
    )
    op.create_index(op.f("ix_consultation_budget_projects_budget_id"), "consultation_budget_projects", ["budget_id"])
    op.create_index(op.f("ix_consultation_budget_projects_heading_id"), "consultation_budget_projects",
                    ["heading_id"])
    op.create_index(op.f("ix_consultation_budget_projects_ward_id"), "consultation_budget_projects", ["ward_id"])
    op.create_index(op.f("ix_consultation_budget_projects_programme_id"), "consultation_budget_projects",
                    ["programme_id"])
    op.create_index("ix_consultation_budget_projects_source", "consultation_budget_projects",
                    ["source_type", "source_id"])


def downgrade() -> None:
    op.drop_index("ix_consultation_budget_projects_source", table_name="consultation_budget_projects")
    for column in ("programme_id", "ward_id", "heading_id", "budget_id"):
        op.drop_index(op.f(f"ix_consultation_budget_projects_{column}"), table_name="consultation_budget_projects")
    op.drop_table("consultation_budget_projects")
    op.drop_index(op.f("ix_consultation_budget_headings_ward_id"), table_name="consultation_budget_headings")
    op.drop_index(op.f("ix_consultation_budget_headings_budget_id"), table_name="consultation_budget_headings")
    op.drop_table("consultation_budget_headings")
    op.drop_table("consultation_budgets")
