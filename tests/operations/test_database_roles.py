"""Item 11: the app's PostgreSQL role cannot alter tables, disable the audit log's trigger or erase the log; it
can do what the site does (read and write rows)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from civic.db import db
from tests.support.race import tag

pytestmark = [pytest.mark.postgres, pytest.mark.no_transaction]


@pytest.fixture
def app_role(app):
    name = f"civic_app_{tag()}".lower()
    result = app.test_cli_runner().invoke(args=["civic", "create-app-role", name])
    assert result.exit_code == 0, result.output
    yield name
    with db.engine.begin() as conn:
        conn.execute(text(f"DROP OWNED BY {name}"))
        conn.execute(text(f"DROP ROLE {name}"))


def as_role(name: str, statement: str):
    """Run one statement as the app role, in a transaction that is rolled back whatever happens."""
    with db.engine.connect() as conn:
        try:
            conn.execute(text(f"SET ROLE {name}"))
            result = conn.execute(text(statement))
            return result.all() if result.returns_rows else None
        finally:
            conn.rollback()


@pytest.mark.parametrize("statement", [
    "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
    "ALTER TABLE audit_log DISABLE TRIGGER ALL",
    "DELETE FROM audit_log",
    "UPDATE audit_log SET action = 'nothing'",
    "TRUNCATE audit_log",
    "ALTER TABLE users ADD COLUMN backdoor text",
    "DROP TABLE proposals",
    "CREATE TABLE mine (id int)",
])
def test_the_app_role_cannot(app_role, statement):
    with pytest.raises(ProgrammingError, match="permission denied|must be owner"):
        as_role(app_role, statement)


def test_the_app_role_reads_and_writes_rows(app_role):
    assert as_role(app_role, "SELECT count(*) FROM users")[0][0] >= 0
    as_role(app_role, "INSERT INTO audit_log (at, action, object_type, object_label, reason) "
                      "VALUES (now(), 'role.test', 'user', '', '')")
    as_role(app_role, "UPDATE users SET display_name = display_name")
    as_role(app_role, "DELETE FROM signin_failures WHERE id = -1")


def test_the_owner_still_could(app_role):
    """The same statement as the owner: the refusal above is the role's, not the statement's."""
    with db.engine.connect() as conn:
        conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        disabled = conn.scalar(text("SELECT tgenabled FROM pg_trigger WHERE tgname = 'audit_log_append_only'"))
        conn.rollback()
    assert disabled == "D"  # the owner's statement took effect (rolled back just after)

