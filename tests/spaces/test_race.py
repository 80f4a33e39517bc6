"""Officers planning phases at the same moment, on PostgreSQL with real commits: phases never overlap."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import delete, event, func, select

from civic.db import db
from civic.errors import DomainError
from civic.spaces import services
from civic.spaces.models import Phase, Process
from tests.spaces.conftest import utc

pytestmark = [pytest.mark.postgres, pytest.mark.no_transaction]


@pytest.fixture
def process_id(app):
    """A committed process without phases, deleted (with its phases) afterwards."""
    db.factory.configure(bind=db.engine, join_transaction_mode="conditional_savepoint")
    with app.app_context():
        process = services.create_process(None, title=f"Race {uuid.uuid4().hex[:8]}", description="Racing",
                                          programme_slug="cleantech-city")
        db.session.commit()
        pid = process.id
        db.session.remove()
    yield pid
    with app.app_context():
        db.session.execute(delete(Process).where(Process.id == pid))
        db.session.commit()
        db.session.remove()


def test_parallel_overlapping_phases_leave_exactly_one(app, process_id):
    n = 8
    line = threading.Barrier(n, timeout=30)

    def hold(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("SELECT processes.id") and "FOR UPDATE" in statement:
            line.wait()  # everyone reaches the check at once

    def add(k: int) -> str:
        with app.app_context():
            try:
                process = db.session.get(Process, process_id)
                start = utc(2030, 1, 1) + timedelta(hours=k)
                services.add_phase(None, process, title=f"Phase {k}", starts_at=start,
                                   ends_at=start + timedelta(days=10))
                db.session.commit()
                return "added"
            except DomainError as e:
                db.session.rollback()
                return e.message
            finally:
                db.session.remove()

    event.listen(db.engine, "before_cursor_execute", hold)
    try:
        with ThreadPoolExecutor(n) as pool:
            results = list(pool.map(add, range(n)))
    finally:
        event.remove(db.engine, "before_cursor_execute", hold)

    assert results.count("added") == 1, results
    assert all("would overlap" in r for r in results if r != "added"), results
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Phase.process_id == process_id)) == 1
        db.session.remove()
