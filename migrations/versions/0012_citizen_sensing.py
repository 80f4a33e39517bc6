"""Citizen sensing: the quantity catalogue, campaigns, participants, devices, sensors, readings (partitioned by
month on PostgreSQL, with a BRIN index on the time), aggregates and refused items.

Revision ID: 0012
Revises: 0013
Create Date: 2026-12-05

Written by hand.
"""

import sqlalchemy as sa
from alembic import op

import civic.db

revision = "0012"
down_revision = '0013'
branch_labels = None
depends_on = None

TIME = civic.db.UTCDateTime(timezone=True)

#: key, name, unit, physical min and max, expected min and max, spike per minute
QUANTITIES = [
    ("air_temperature", "Air temperature", "°C", -50, 70, -15, 40, 5),
    ("relative_humidity", "Relative humidity", "%", 0, 100, 5, 100, 25),
    ("pm2_5", "PM2.5", "µg/m³", 0, 1000, 0, 300, 200),
    ("pm10", "PM10", "µg/m³", 0, 2000, 0, 500, 300),
    ("no2", "Nitrogen dioxide (NO2)", "µg/m³", 0, 2000, 0, 400, 200),
    ("pressure", "Air pressure", "hPa", 870, 1085, 950, 1050, 5),
    ("noise", "Noise", "dB(A)", 0, 140, 25, 110, None),
    ("co2", "Carbon dioxide (CO2)", "ppm", 0, 10000, 380, 5000, 1500),
    ("surface_temperature", "Surface temperature", "°C", -50, 100, -15, 50, 10),
]


def upgrade() -> None:
    quantities = op.create_table(
        "sensing_quantities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("min_value", sa.Float(), nullable=False),
        sa.Column("max_value", sa.Float(), nullable=False),
        sa.Column("expected_min", sa.Float(), nullable=True),
        sa.Column("expected_max", sa.Float(), nullable=True),
        sa.Column("spike_per_minute", sa.Float(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("min_value < max_value", name=op.f("ck_sensing_quantities_range_order")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensing_quantities")),
        sa.UniqueConstraint("key", name=op.f("uq_sensing_quantities_key")),
    )
    op.bulk_insert(quantities, [
        {"key": k, "name": n, "unit": u, "min_value": lo, "max_value": hi, "expected_min": elo,
         "expected_max": ehi, "spike_per_minute": spike, "position": i}
        for i, (k, n, u, lo, hi, elo, ehi, spike) in enumerate(QUANTITIES)])
    op.create_table(
        "sensing_campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("decided_at", TIME, nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("licence", sa.String(length=20), nullable=False),
        sa.Column("join_mode", sa.String(length=10), nullable=False),
        sa.Column("join_code", sa.String(length=40), nullable=True),
        sa.Column("participants_count", sa.Integer(), nullable=False),
        sa.Column("comments_count", sa.Integer(), nullable=False),
        sa.Column("hidden_at", TIME, nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.CheckConstraint("status IN ('proposed', 'approved', 'rejected')",
                           name=op.f("ck_sensing_campaigns_known_status")),
        sa.CheckConstraint("join_mode IN ('open', 'code')", name=op.f("ck_sensing_campaigns_known_join_mode")),
        sa.CheckConstraint("licence IN ('CC-BY-4.0', 'ODbL-1.0')", name=op.f("ck_sensing_campaigns_known_licence")),
        sa.CheckConstraint("starts_on <= ends_on", name=op.f("ck_sensing_campaigns_dates_in_order")),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], name=op.f("fk_sensing_campaigns_group_id_groups"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_sensing_campaigns_created_by_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"],
                                name=op.f("fk_sensing_campaigns_decided_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensing_campaigns")),
        sa.UniqueConstraint("slug", name=op.f("uq_sensing_campaigns_slug")),
    )
    op.create_index(op.f("ix_sensing_campaigns_group_id"), "sensing_campaigns", ["group_id"])
    op.create_table(
        "sensing_campaign_quantities",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("quantity_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["sensing_campaigns.id"],
                                name=op.f("fk_sensing_campaign_quantities_campaign_id_sensing_campaigns"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["quantity_id"], ["sensing_quantities.id"],
                                name=op.f("fk_sensing_campaign_quantities_quantity_id_sensing_quantities"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("campaign_id", "quantity_id", name=op.f("pk_sensing_campaign_quantities")),
    )
    op.create_table(
        "sensing_campaign_wards",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("ward_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["sensing_campaigns.id"],
                                name=op.f("fk_sensing_campaign_wards_campaign_id_sensing_campaigns"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ward_id"], ["wards.id"], name=op.f("fk_sensing_campaign_wards_ward_id_wards"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("campaign_id", "ward_id", name=op.f("pk_sensing_campaign_wards")),
    )
    op.create_table(
        "sensing_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["sensing_campaigns.id"],
                                name=op.f("fk_sensing_participants_campaign_id_sensing_campaigns"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sensing_participants_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensing_participants")),
        sa.UniqueConstraint("campaign_id", "user_id", name=op.f("uq_sensing_participants_campaign_id_user_id")),
    )
    op.create_index(op.f("ix_sensing_participants_campaign_id"), "sensing_participants", ["campaign_id"])
    op.create_index(op.f("ix_sensing_participants_user_id"), "sensing_participants", ["user_id"])
    op.create_table(
        "sensing_devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.String(length=24), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("setting", sa.String(length=10), nullable=False),
        sa.Column("privacy", sa.String(length=10), nullable=False),
        sa.Column("ward_id", sa.Integer(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("offset_north_m", sa.Float(), nullable=False),
        sa.Column("offset_east_m", sa.Float(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("token_created_at", TIME, nullable=True),
        sa.Column("last_seen_at", TIME, nullable=True),
        sa.Column("retired_at", TIME, nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.CheckConstraint("setting IN ('indoor', 'outdoor')", name=op.f("ck_sensing_devices_known_setting")),
        sa.CheckConstraint("privacy IN ('exact', 'fuzzed', 'area')", name=op.f("ck_sensing_devices_known_privacy")),
        sa.CheckConstraint("privacy != 'exact' OR setting = 'outdoor'",
                           name=op.f("ck_sensing_devices_exact_only_outdoors")),
        sa.ForeignKeyConstraint(["campaign_id"], ["sensing_campaigns.id"],
                                name=op.f("fk_sensing_devices_campaign_id_sensing_campaigns"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_sensing_devices_owner_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["ward_id"], ["wards.id"], name=op.f("fk_sensing_devices_ward_id_wards"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensing_devices")),
        sa.UniqueConstraint("public_key", name=op.f("uq_sensing_devices_public_key")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sensing_devices_token_hash")),
    )
    op.create_index(op.f("ix_sensing_devices_campaign_id"), "sensing_devices", ["campaign_id"])
    op.create_index(op.f("ix_sensing_devices_owner_id"), "sensing_devices", ["owner_id"])
    op.create_index(op.f("ix_sensing_devices_ward_id"), "sensing_devices", ["ward_id"])
    op.create_table(
        "sensing_sensors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("quantity_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["sensing_devices.id"],
                                name=op.f("fk_sensing_sensors_device_id_sensing_devices"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["quantity_id"], ["sensing_quantities.id"],
                                name=op.f("fk_sensing_sensors_quantity_id_sensing_quantities"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensing_sensors")),
        sa.UniqueConstraint("device_id", "external_id", name=op.f("uq_sensing_sensors_device_id_external_id")),
    )
    op.create_index(op.f("ix_sensing_sensors_device_id"), "sensing_sensors", ["device_id"])
    if op.get_bind().dialect.name == "postgresql":
        # Partitioned by month: the scheduled task citizen_sensing.partitions makes the months ahead; the default
        # partition takes anything else (an old logger's backlog).
        op.execute("""
            CREATE TABLE sensing_readings (
              sensor_id INTEGER NOT NULL,
              measured_at TIMESTAMP WITH TIME ZONE NOT NULL,
              device_id INTEGER NOT NULL,
              value FLOAT NOT NULL,
              flag VARCHAR(16),
              received_at TIMESTAMP WITH TIME ZONE NOT NULL,
              CONSTRAINT pk_sensing_readings PRIMARY KEY (sensor_id, measured_at),
              CONSTRAINT fk_sensing_readings_sensor_id_sensing_sensors FOREIGN KEY (sensor_id)
                REFERENCES sensing_sensors (id) ON DELETE CASCADE,
              CONSTRAINT ck_sensing_readings_known_flag
                CHECK (flag IS NULL OR flag IN ('spike', 'flat', 'expected_range', 'manual'))
            ) PARTITION BY RANGE (measured_at)
        """)
        # The partitions live in a schema of their own, so that the models (one table) and the database agree.
        op.execute("CREATE SCHEMA IF NOT EXISTS sensing_partitions")
        op.execute("CREATE TABLE sensing_partitions.sensing_readings_default PARTITION OF sensing_readings DEFAULT")
        op.execute("CREATE INDEX ix_sensing_readings_measured_at_brin ON sensing_readings USING brin (measured_at)")
    else:
        op.create_table(
            "sensing_readings",
            sa.Column("sensor_id", sa.Integer(), nullable=False),
            sa.Column("measured_at", TIME, nullable=False),
            sa.Column("device_id", sa.Integer(), nullable=False),
            sa.Column("value", sa.Float(), nullable=False),
            sa.Column("flag", sa.String(length=16), nullable=True),
            sa.Column("received_at", TIME, nullable=False),
            sa.CheckConstraint("flag IS NULL OR flag IN ('spike', 'flat', 'expected_range', 'manual')",
                               name=op.f("ck_sensing_readings_known_flag")),
            sa.ForeignKeyConstraint(["sensor_id"], ["sensing_sensors.id"],
                                    name=op.f("fk_sensing_readings_sensor_id_sensing_sensors"), ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("sensor_id", "measured_at", name=op.f("pk_sensing_readings")),
        )
        op.create_index("ix_sensing_readings_measured_at_brin", "sensing_readings", ["measured_at"])
    op.create_index("ix_sensing_readings_device_id_measured_at", "sensing_readings", ["device_id", "measured_at"])
    op.create_table(
        "sensing_aggregates",
        sa.Column("sensor_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=4), nullable=False),
        sa.Column("starts_at", TIME, nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("min_value", sa.Float(), nullable=True),
        sa.Column("max_value", sa.Float(), nullable=True),
        sa.Column("sum_value", sa.Float(), nullable=False),
        sa.CheckConstraint("period IN ('hour', 'day')", name=op.f("ck_sensing_aggregates_known_period")),
        sa.ForeignKeyConstraint(["sensor_id"], ["sensing_sensors.id"],
                                name=op.f("fk_sensing_aggregates_sensor_id_sensing_sensors"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("sensor_id", "period", "starts_at", name=op.f("pk_sensing_aggregates")),
    )
    op.create_table(
        "sensing_rejections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("received_at", TIME, nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("item", sa.String(length=40), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("raw", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["sensing_devices.id"],
                                name=op.f("fk_sensing_rejections_device_id_sensing_devices"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensing_rejections")),
    )
    op.create_index("ix_sensing_rejections_device_id_received_at", "sensing_rejections",
                    ["device_id", "received_at"])


def downgrade() -> None:
    op.drop_table("sensing_rejections")
    op.drop_table("sensing_aggregates")
    op.execute("DROP TABLE sensing_readings" + (" CASCADE" if op.get_bind().dialect.name == "postgresql" else ""))
    op.drop_table("sensing_sensors")
    op.drop_table("sensing_devices")
    op.drop_table("sensing_participants")
    op.drop_table("sensing_campaign_wards")
    op.drop_table("sensing_campaign_quantities")
    op.drop_table("sensing_campaigns")
    op.drop_table("sensing_quantities")
