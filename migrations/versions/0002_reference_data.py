"""Reference data (wards, programmes) and the append-only audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from civic.spaces.reference import PROGRAMMES, WARDS, slugify

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

wards = sa.table("wards", sa.column("slug", sa.String), sa.column("name", sa.String))
programmes = sa.table("programmes", sa.column("slug", sa.String), sa.column("name", sa.String),
                      sa.column("summary", sa.Text), sa.column("position", sa.Integer))


def upgrade() -> None:
    op.bulk_insert(wards, [{"slug": slugify(name), "name": name} for name in WARDS])
    op.bulk_insert(programmes, [{"slug": slug, "name": name, "summary": summary, "position": i}
                                for i, (slug, name, summary) in enumerate(PROGRAMMES)])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
            END $$;
        """)
        # Row-level, so that a statement touching no audit row (e.g. ON DELETE SET NULL from a user
        # that has no entries) is not refused; TRUNCATE can only be caught per statement.
        op.execute("""
            CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
        """)
        op.execute("""
            CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
            FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
        """)
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"""
                CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log
                BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: {event} refused'); END;
            """)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION audit_log_is_append_only()")
    else:
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute("DROP TRIGGER audit_log_no_delete")
    op.execute("DELETE FROM programmes")
    op.execute("DELETE FROM wards")
