"""Personal access tokens' scopes and expiry; the OAuth 2 server's apps, codes and tokens.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05

Written by hand.
"""

import sqlalchemy as sa
from alembic import op

import civic.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scopes", sa.String(length=40), server_default="read write", nullable=False))
        batch_op.add_column(sa.Column("expires_at", civic.db.UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "oauth_apps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("redirect_uris", sa.Text(), nullable=False),
        sa.Column("confidential", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", civic.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", civic.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_oauth_apps_created_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_apps")),
        sa.UniqueConstraint("client_id", name=op.f("uq_oauth_apps_client_id")),
    )
    op.create_table(
        "oauth_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("app_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("redirect_uri", sa.String(length=2000), nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("code_challenge", sa.String(length=128), nullable=False),
        sa.Column("code_challenge_method", sa.String(length=10), nullable=False),
        sa.Column("created_at", civic.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", civic.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", civic.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["app_id"], ["oauth_apps.id"], name=op.f("fk_oauth_codes_app_id_oauth_apps"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_oauth_codes_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_oauth_codes_code_hash")),
    )
    op.create_index(op.f("ix_oauth_codes_app_id"), "oauth_codes", ["app_id"])
    op.create_index(op.f("ix_oauth_codes_user_id"), "oauth_codes", ["user_id"])
    op.create_table(
        "oauth_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("app_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("access_token_hash", sa.String(length=64), nullable=False),
        sa.Column("refresh_token_hash", sa.String(length=64), nullable=True),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("created_at", civic.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("access_expires_at", civic.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("refresh_expires_at", civic.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", civic.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["app_id"], ["oauth_apps.id"], name=op.f("fk_oauth_tokens_app_id_oauth_apps"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_oauth_tokens_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_tokens")),
        sa.UniqueConstraint("access_token_hash", name=op.f("uq_oauth_tokens_access_token_hash")),
        sa.UniqueConstraint("refresh_token_hash", name=op.f("uq_oauth_tokens_refresh_token_hash")),
    )
    op.create_index(op.f("ix_oauth_tokens_app_id"), "oauth_tokens", ["app_id"])
    op.create_index(op.f("ix_oauth_tokens_user_id"), "oauth_tokens", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_oauth_tokens_user_id"), table_name="oauth_tokens")
    op.drop_index(op.f("ix_oauth_tokens_app_id"), table_name="oauth_tokens")
    op.drop_table("oauth_tokens")
    op.drop_index(op.f("ix_oauth_codes_user_id"), table_name="oauth_codes")
    op.drop_index(op.f("ix_oauth_codes_app_id"), table_name="oauth_codes")
    op.drop_table("oauth_codes")
    op.drop_table("oauth_apps")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
        batch_op.drop_column("scopes")
