"""Citizen sensing's alerts: organisers' rules per campaign and the alerts they open, at most one open alert per
rule and device (a partial unique index).

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-05

Written by hand.
"""

import sqlalchemy as sa
from alembic import op

import civic.db

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

TIME = civic.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sensing_alert_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("quantity_id", sa.Integer(), nullable=True),
        sa.Column("comparison", sa.String(length=8), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.CheckConstraint("kind IN ('threshold', 'offline', 'stuck')", name=op.f("ck_sensing_alert_rules_known_kind")),
        sa.CheckConstraint("minutes > 0", name=op.f("ck_sensing_alert_rules_positive_minutes")),
        sa.CheckConstraint("kind != 'threshold' OR (quantity_id IS NOT NULL AND comparison IS NOT NULL "
                           "AND value IS NOT NULL)", name=op.f("ck_sensing_alert_rules_threshold_complete")),
        sa.CheckConstraint("comparison IS NULL OR comparison IN ('above', 'below')",
                           name=op.f("ck_sensing_alert_rules_known_comparison")),
        sa.ForeignKeyConstraint(["campaign_id"], ["sensing_campaigns.id"],
                                name=op.f("fk_sensing_alert_rules_campaign_id_sensing_campaigns"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["quantity_id"], ["sensing_quantities.id"],
                                name=op.f("fk_sensing_alert_rules_quantity_id_sensing_quantities"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_sensing_alert_rules_created_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensing_alert_rules")),
    )
    op.create_index(op.f("ix_sensing_alert_rules_campaign_id"), "sensing_alert_rules", ["campaign_id"])
    op.create_table(
        "sensing_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("sensor_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", TIME, nullable=False),
        sa.Column("since", TIME, nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("closed_at", TIME, nullable=True),
        sa.ForeignKeyConstraint(["rule_id"], ["sensing_alert_rules.id"],
                                name=op.f("fk_sensing_alerts_rule_id_sensing_alert_rules"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["device_id"], ["sensing_devices.id"],
                                name=op.f("fk_sensing_alerts_device_id_sensing_devices"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["sensor_id"], ["sensing_sensors.id"],
                                name=op.f("fk_sensing_alerts_sensor_id_sensing_sensors"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensing_alerts")),
    )
    # At most one open alert per rule and device: two evaluations at once open one (the other's insert does nothing).
    op.create_index("uq_sensing_alerts_open", "sensing_alerts", ["rule_id", "device_id"], unique=True,
                    postgresql_where=sa.text("closed_at IS NULL"), sqlite_where=sa.text("closed_at IS NULL"))
    op.create_index("ix_sensing_alerts_device_id_opened_at", "sensing_alerts", ["device_id", "opened_at"])
    op.create_index("ix_sensing_alerts_rule_id_opened_at", "sensing_alerts", ["rule_id", "opened_at"])


def downgrade() -> None:
    op.drop_table("sensing_alerts")
    op.drop_table("sensing_alert_rules")
