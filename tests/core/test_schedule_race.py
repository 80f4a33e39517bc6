"""Ticks racing on PostgreSQL with real commits: however many start at the same moment, a task runs once."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import delete, event

from civic import schedule
from civic.db import db
from civic.schedule.models import ScheduledTask

pytestmark = [pytest.mark.postgres, pytest.mark.no_transaction]


@pytest.fixture
def task_name(app):
    db.factory.configure(bind=db.engine, join_transaction_mode="conditional_savepoint")
    name = f"race-{uuid.uuid4().hex[:8]}"
    yield name
    schedule.unregister(name)
    with app.app_context():
        db.session.execute(delete(ScheduledTask).where(ScheduledTask.name == name))
        db.session.commit()
        db.session.remove()


def test_ticks_started_together_run_a_task_once(app, task_name):
    n = 4
    ran: list[str] = []
    line = threading.Barrier(n, timeout=30)
    waited = threading.local()

    def slow_task() -> str:
        ran.append(threading.current_thread().name)
        time.sleep(0.3)  # still running while the other ticks try
        return "done"

    schedule.task(task_name, slow_task, description="A slow task")

    def hold(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE scheduled_tasks") and "last_started" in statement \
                and not getattr(waited, "done", False):
            waited.done = True
            line.wait()  # every tick sends its claim at the same moment

    def tick(_k: int) -> list[str]:
        with app.app_context():
            try:
                return [o.status for o in schedule.run([task_name], app=app)]
            finally:
                db.session.remove()

    event.listen(db.engine, "before_cursor_execute", hold)
    try:
        with ThreadPoolExecutor(n) as pool:
            results = [status for statuses in pool.map(tick, range(n)) for status in statuses]
    finally:
        event.remove(db.engine, "before_cursor_execute", hold)

    assert len(ran) == 1, ran
    assert sorted(results) == ["locked"] * (n - 1) + ["ok"], results
    with app.app_context():
        row = db.session.get(ScheduledTask, task_name)
        assert (row.last_outcome, row.last_summary, row.locked_until) == ("ok", "done", None)
        db.session.remove()
    # Once the lease is given back, the next tick runs it again.
    with app.app_context():
        assert [o.status for o in schedule.run([task_name], app=app)] == ["ok"]
        db.session.remove()
    assert len(ran) == 2
