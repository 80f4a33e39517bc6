"""Citizen sensing: the campaign's summary, its hourly and daily aggregates per quantity (issue 17, speed: the
campaign page reads them instead of adding up every sensor's at each view), in eight stripes of devices (so
concurrent batches rarely share a row), filled from the sensors' aggregates.

Revision ID: 0022
Revises: 0020
Create Date: 2026-12-05

Written by hand.
"""

import sqlalchemy as sa
from alembic import op

import civic.db

revision = "0022"
down_revision = "0020"
branch_labels = None
depends_on = None

TIME = civic.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sensing_campaign_aggregates",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=4), nullable=False),
        sa.Column("starts_at", TIME, nullable=False),
        sa.Column("quantity_id", sa.Integer(), nullable=False),
        sa.Column("stripe", sa.SmallInteger(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("min_value", sa.Float(), nullable=True),
        sa.Column("max_value", sa.Float(), nullable=True),
        sa.Column("sum_value", sa.Float(), nullable=False),
        sa.CheckConstraint("period IN ('hour', 'day')", name=op.f("ck_sensing_campaign_aggregates_known_period")),
        sa.ForeignKeyConstraint(["campaign_id"], ["sensing_campaigns.id"],
                                name=op.f("fk_sensing_campaign_aggregates_campaign_id_sensing_campaigns"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["quantity_id"], ["sensing_quantities.id"],
                                name=op.f("fk_sensing_campaign_aggregates_quantity_id_sensing_quantities"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("campaign_id", "period", "starts_at", "quantity_id", "stripe",
                                name=op.f("pk_sensing_campaign_aggregates")),
    )
    # What the sensors' aggregates already hold, added up per campaign, quantity and stripe of 8 (the same as
    # citizen_sensing.aggregates.rebuild_campaigns).
    op.execute(
        "INSERT INTO sensing_campaign_aggregates (campaign_id, period, starts_at, quantity_id, stripe, count, "
        "min_value, max_value, sum_value) SELECT d.campaign_id, a.period, a.starts_at, s.quantity_id, d.id % 8, "
        "sum(a.count), min(a.min_value), max(a.max_value), sum(a.sum_value) FROM sensing_aggregates a "
        "JOIN sensing_sensors s ON s.id = a.sensor_id JOIN sensing_devices d ON d.id = s.device_id "
        "GROUP BY d.campaign_id, a.period, a.starts_at, s.quantity_id, d.id % 8")


def downgrade() -> None:
    op.drop_table("sensing_campaign_aggregates")
