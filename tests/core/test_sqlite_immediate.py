"""Issue #12, item 10: on SQLite, transactions that write begin IMMEDIATE (civic.db.begins_immediate).

The whole story under load (gunicorn, 300 parallel writes) is tests/proposals/test_sqlite_parallel_writes.py;
here, which transactions take the write lock at once, and the statement that opens them."""

from __future__ import annotations

from sqlalchemy import event, text

from civic.db import begins_immediate, make_engine


def test_writing_requests_commands_and_marked_views_begin_immediate_reading_requests_do_not(app):
    assert begins_immediate()  # a CLI command, a job, a scheduled task
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        with app.test_request_context("/", method=method):
            assert begins_immediate(), method
    for method in ("GET", "HEAD", "OPTIONS"):
        with app.test_request_context("/", method=method):
            assert not begins_immediate(), method
    # GET views that write say so (civic.db.writes_on_get).
    for path in ("/confirm/some-token", "/account/email/confirm/some-token", "/notifications/1",
                 "/sign-in/council/callback"):
        with app.test_request_context(path, method="GET"):
            assert begins_immediate(), path


def test_the_sqlite_connection_opens_with_begin_immediate_when_it_writes(app, tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'begin.sqlite3'}")
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    try:
        with engine.begin() as conn:  # outside a request: writes may follow
            conn.execute(text("CREATE TABLE t (n INTEGER)"))
        with app.test_request_context("/", method="GET"), engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM t"))
        with app.test_request_context("/", method="POST"), engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
    finally:
        engine.dispose()
    assert [s for s in seen if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE", "BEGIN", "BEGIN IMMEDIATE"]
