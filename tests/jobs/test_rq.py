"""RQ on the real Redis (127.0.0.1:6379): a request enqueues, a burst worker delivers to the real SMTP
server; a failing job is retried after its delay, then recorded, and "Try again" goes through RQ too."""

from __future__ import annotations

import time

import pytest
from rq.job import JobStatus
from sqlalchemy import select

from civic import jobs
from civic.db import db
from civic.jobs.models import JobFailure
from tests.jobs import tasks
from tests.jobs.conftest import run_worker

pytestmark = pytest.mark.redis


def test_a_request_enqueues_and_the_worker_delivers(app, client, make_user, rq_queue, smtp_server):
    user = make_user(email="eve@example.org")

    response = client.post("/forgot-password", data={"email": user.email})

    assert response.status_code == 200
    assert rq_queue.queue.count == 1
    [rq_job] = rq_queue.queue.get_jobs()
    assert rq_job.description == "Mail to eve@example.org: Reset your password (civic.mail.deliver_job)"
    assert smtp_server.messages == []

    assert run_worker(app) is True

    [msg] = smtp_server.to("eve@example.org")
    assert msg["Subject"] == "Reset your password"
    assert rq_queue.queue.count == 0
    assert rq_job.get_status(refresh=True) == JobStatus.FINISHED


def test_a_failing_job_is_retried_after_its_delay_then_recorded_and_can_be_tried_again(
        app, client, client_as, make_user, rq_queue, gated_smtp, monkeypatch):
    monkeypatch.setitem(app.config, "JOB_RETRY_DELAYS", (4,))  # long enough that a loaded machine sees "not due"
    user = make_user(email="fay@example.org")
    admin_client, _admin = client_as("admin")
    gated_smtp.reply = "554 5.7.1 Relay refused"

    assert client.post("/forgot-password", data={"email": user.email}).status_code == 200
    [rq_job] = rq_queue.queue.get_jobs()

    run_worker(app)  # the first attempt fails: RQ schedules the retry 4 s later
    assert len(gated_smtp.arrived) == 1
    assert rq_job.id in rq_queue.queue.scheduled_job_registry.get_job_ids()
    assert db.session.scalars(select(JobFailure)).all() == []
    run_worker(app)  # not due yet: nothing runs
    assert len(gated_smtp.arrived) == 1

    deadline = time.monotonic() + 15
    while len(gated_smtp.arrived) < 2 and time.monotonic() < deadline:
        time.sleep(0.25)
        run_worker(app)
    assert len(gated_smtp.arrived) == 2
    assert rq_job.get_status(refresh=True) == JobStatus.FAILED

    [failure] = db.session.scalars(select(JobFailure)).all()
    assert failure.job == "civic.mail.deliver_job"
    assert failure.attempts == 2 and "554" in failure.error and "Relay refused" in failure.error
    assert "Mail to fay@example.org: Reset your password" in admin_client.get("/admin/jobs").get_data(as_text=True)

    gated_smtp.reply = None
    assert admin_client.post(f"/admin/jobs/{failure.id}/retry").status_code == 302
    assert rq_queue.queue.count == 1 and gated_smtp.messages == []
    run_worker(app)
    [msg] = gated_smtp.messages
    assert msg["To"] == "fay@example.org"
    db.session.expire_all()
    assert db.session.get(JobFailure, failure.id).resolved_at is not None


def test_a_job_without_retries_is_recorded_after_one_attempt(app, rq_queue, monkeypatch):
    monkeypatch.setitem(app.config, "JOB_RETRY_DELAYS", ())
    jobs.enqueue(tasks.explode, "no second chance", description="Explodes")
    run_worker(app)
    [failure] = db.session.scalars(select(JobFailure)).all()
    assert (failure.description, failure.attempts, failure.error) == ("Explodes", 1, "ValueError: no second chance")


def test_the_worker_command_runs_the_queue(app, client, make_user, rq_queue, smtp_server):
    import signal

    user = make_user(email="gus@example.org")
    client.post("/forgot-password", data={"email": user.email})
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        result = app.test_cli_runner().invoke(args=["civic", "worker", "--burst"])
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)
    assert result.exit_code == 0, result.output
    assert f"Working on the '{rq_queue.queue.name}' queue at 127.0.0.1:6379/0 until it is empty." in result.output
    assert [m["Subject"] for m in smtp_server.to("gus@example.org")] == ["Reset your password"]



def test_a_burst_worker_stops_soon_after_the_queue_is_empty(app, rq_queue):
    """RQ's command listener waited up to 60 s on its way out (redis-py 8.2 joins it): ours looks every second, so
    ``flask civic worker --burst`` ends as soon as its work is done. Ten empty bursts in a row, each well under
    the minute the old listener could hold one."""
    for _ in range(10):
        started = time.monotonic()
        assert run_worker(app) is False
        assert time.monotonic() - started < 20
