"""More than one app server: the PostgreSQL search backend's table and uploaded files kept in the database.

Revision ID: 0015
Revises: 0010
Create Date: 2026-12-05

``search_documents`` is used by the PostgreSQL search backend only; its ``tsv`` column is a ``tsvector`` with a
GIN index there. On SQLite (where search uses Whoosh) the table is created with plain types so that models and
migrations agree on both databases; the GIN indexes are PostgreSQL's (``postgresql_using`` is ignored
elsewhere). ``upload_files`` holds images when ``CIVIC_UPLOADS_STORE=database``.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import civic.db

revision = "0015"
down_revision = "0010"
branch_labels = None
depends_on = None

TSV = postgresql.TSVECTOR().with_variant(sa.Text(), "sqlite")
WARDS = postgresql.ARRAY(sa.String(length=80)).with_variant(sa.JSON(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "search_documents",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("ident", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("wards", WARDS, nullable=False),
        sa.Column("programme", sa.String(length=80), nullable=True),
        sa.Column("state", sa.String(length=40), nullable=True),
        sa.Column("date", civic.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("starts", civic.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ends", civic.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("audience", sa.String(length=80), nullable=False),
        sa.Column("parent", sa.String(length=80), nullable=True),
        sa.Column("digest", sa.String(length=32), nullable=False),
        sa.Column("tsv", TSV, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_search_documents")),
    )
    op.create_index("ix_search_documents_tsv", "search_documents", ["tsv"], postgresql_using="gin")
    op.create_index("ix_search_documents_wards", "search_documents", ["wards"], postgresql_using="gin")
    op.create_index("ix_search_documents_type_ident", "search_documents", ["type", "ident"])
    op.create_index(op.f("ix_search_documents_programme"), "search_documents", ["programme"])
    op.create_index(op.f("ix_search_documents_parent"), "search_documents", ["parent"])
    op.create_table(
        "upload_files",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=80), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("etag", sa.String(length=64), nullable=False),
        sa.Column("created_at", civic.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_upload_files")),
    )


def downgrade() -> None:
    op.drop_table("upload_files")
    op.drop_table("search_documents")
