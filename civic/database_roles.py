"""Database roles on PostgreSQL: migrations run as the owner of the tables; the site runs as an *app role* that
may read and write rows but not alter tables, disable triggers or truncate (``flask civic create-app-role``).

Only a table's owner (or a superuser) may ``ALTER TABLE``, so the app role cannot ``DISABLE TRIGGER`` the audit
log's append-only trigger; and it is not granted UPDATE, DELETE or TRUNCATE on ``audit_log`` at all, so the log is
append-only by rights as well as by its trigger. Default privileges give it the same rights on the tables later
migrations create. See docs/operations.md ("Database roles").
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import Connection

NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
#: Tables the app role may read and add to, never change: the append-only audit log.
APPEND_ONLY = ("audit_log",)


class RoleError(ValueError):
    """A name or a database that cannot have an app role; the message says why."""


def create_app_role(connection: Connection, name: str, password: str | None = None) -> list[str]:
    """Create (or bring up to date) the app role ``name`` on the connection's database; returns the statements
    run. The connection is the owner's (the role that runs the migrations); it commits nothing itself."""
    if connection.dialect.name != "postgresql":
        raise RoleError("Database roles are PostgreSQL's: with SQLite the site runs as the file's owner.")
    if not NAME.fullmatch(name):
        raise RoleError(f"{name!r} is not a plain role name: use small letters, digits and _ (like civic_app).")
    owner = connection.scalar(text("SELECT current_user"))
    if owner == name:
        raise RoleError(f"{name} is the role running this command (the owner): choose another name for the app.")
    database = connection.scalar(text("SELECT current_database()"))
    quoted_db = '"' + database.replace('"', '""') + '"'
    statements = []
    if not connection.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}):
        statements.append(f"CREATE ROLE {name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS")
    statements += [
        f"GRANT CONNECT ON DATABASE {quoted_db} TO {name}",
        f"GRANT USAGE ON SCHEMA public TO {name}",
        f"REVOKE CREATE ON SCHEMA public FROM {name}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {name}",
        f"REVOKE TRUNCATE, TRIGGER, REFERENCES ON ALL TABLES IN SCHEMA public FROM {name}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {name}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {name}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {name}",
    ]
    tables = set(connection.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")))
    statements += [f"REVOKE UPDATE, DELETE ON {table} FROM {name}" for table in APPEND_ONLY if table in tables]
    for statement in statements:
        connection.execute(text(statement))
    if password:
        # A literal (ALTER ROLE takes no bind parameter); quoted by the driver, never logged.
        quoted = connection.connection.driver_connection.pgconn.escape_literal(password.encode()).decode()
        connection.execute(text(f"ALTER ROLE {name} PASSWORD {quoted}"))
    return statements
