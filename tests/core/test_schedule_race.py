"""Ticks racing on PostgreSQL with real commits: however many start at the same moment, a task runs once."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import delete

from civic import schedule
from civic.db import db
from civic.schedule.models import ScheduledTask
from tests.support.race import committed, race, real_commits, tag

pytestmark = [pytest.mark.postgres, pytest.mark.no_transaction]


@pytest.fixture
def task_name(app):
    name = f"race-{tag()}"
    yield name
    schedule.unregister(name)
    with real_commits(app), committed(app):
        db.session.execute(delete(ScheduledTask).where(ScheduledTask.name == name))


def test_ticks_started_together_run_a_task_once(app, task_name):
    n = 4
    ran: list[str] = []

    def slow_task() -> str:
        ran.append(threading.current_thread().name)
        time.sleep(0.3)  # still running while the other ticks try
        return "done"

    schedule.task(task_name, slow_task, description="A slow task")

    def tick() -> list[str]:
        return [o.status for o in schedule.run([task_name], app=app)]

    with real_commits(app):
        # every tick sends its claim at the same moment
        outcomes = race(app, tick, [()] * n,
                        before=lambda s: s.startswith("UPDATE scheduled_tasks") and "last_started" in s)
        results = [status for statuses in outcomes for status in statuses]
        assert len(ran) == 1, ran
        assert sorted(results) == ["locked"] * (n - 1) + ["ok"], results
        with committed(app):
            row = db.session.get(ScheduledTask, task_name)
            assert (row.last_outcome, row.last_summary, row.locked_until) == ("ok", "done", None)
        # Once the lease is given back, the next tick runs it again.
        with committed(app):
            assert [o.status for o in schedule.run([task_name], app=app)] == ["ok"]
    assert len(ran) == 2
