"""Officers planning phases at the same moment, on PostgreSQL with real commits: phases never overlap."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from civic.db import db
from civic.spaces import services
from civic.spaces.models import Phase, Process
from tests.spaces.conftest import utc
from tests.support.race import committed, race, real_commits, tag

pytestmark = [pytest.mark.postgres, pytest.mark.no_transaction]


@pytest.fixture
def process_id(app):
    """A committed process without phases, deleted (with its phases) afterwards."""
    with real_commits(app):
        with committed(app):
            pid = services.create_process(None, title=f"Race {tag()}", description="Racing",
                                          programme_slug="cleantech-city").id
        yield pid
        with committed(app):
            db.session.execute(delete(Process).where(Process.id == pid))


def test_parallel_overlapping_phases_leave_exactly_one(app, process_id):
    def add(k: int) -> str:
        start = utc(2030, 1, 1) + timedelta(hours=k)
        services.add_phase(None, db.session.get(Process, process_id), title=f"Phase {k}", starts_at=start,
                           ends_at=start + timedelta(days=10))
        return "added"

    # Everyone reaches the check (the process's row lock) at once.
    results = race(app, add, [(k,) for k in range(8)],
                   before=lambda sql: sql.startswith("SELECT processes.id") and "FOR UPDATE" in sql)

    assert results.count("added") == 1, results
    assert all("would overlap" in r for r in results if r != "added"), results
    with committed(app):
        assert db.session.scalar(select(func.count()).where(Phase.process_id == process_id)) == 1
