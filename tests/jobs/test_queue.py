"""The job queue's API, its configuration and the sync backend (the one the test suite runs on)."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from flask import Flask
from sqlalchemy import select

from civic import jobs
from civic.db import db
from civic.jobs.models import JobFailure
from civic.jobs.queue import backend_name
from civic.spaces.models import Ward
from tests.conftest import free_port
from tests.jobs import tasks


def test_the_backend_follows_the_configuration():
    assert backend_name({"JOB_QUEUE": None, "REDIS_URL": None}) == "thread"
    assert backend_name({"JOB_QUEUE": None, "REDIS_URL": "redis://127.0.0.1:6379/0"}) == "rq"
    assert backend_name({"JOB_QUEUE": "thread", "REDIS_URL": "redis://127.0.0.1:6379/0"}) == "thread"
    assert backend_name({"JOB_QUEUE": "SYNC", "REDIS_URL": None}) == "sync"
    with pytest.raises(ValueError, match="must be one of sync, thread, rq"):
        backend_name({"JOB_QUEUE": "celery"})
    with pytest.raises(ValueError, match="CIVIC_REDIS_URL is not set"):
        backend_name({"JOB_QUEUE": "rq", "REDIS_URL": None})


def test_a_wrong_queue_setting_stops_the_app_at_start_up():
    app = Flask("check")
    app.config.update(JOB_QUEUE="celery", REDIS_URL=None, JOB_RETRY_DELAYS=(1,))
    with pytest.raises(ValueError):
        jobs.init_app(app)
    app.config.update(JOB_QUEUE="thread", JOB_RETRY_DELAYS=(10, -1))
    with pytest.raises(ValueError, match="must not be negative"):
        jobs.init_app(app)


def test_the_retry_delays_come_from_the_environment(monkeypatch):
    from civic.config import from_environment

    monkeypatch.setenv("CIVIC_JOB_RETRY_DELAYS", "5, 30,120")
    monkeypatch.setenv("CIVIC_JOB_QUEUE", "sync")
    cfg = from_environment()
    assert cfg["JOB_RETRY_DELAYS"] == (5.0, 30.0, 120.0) and cfg["JOB_QUEUE"] == "sync"
    monkeypatch.setenv("CIVIC_JOB_RETRY_DELAYS", "none")
    assert from_environment()["JOB_RETRY_DELAYS"] == ()
    monkeypatch.delenv("CIVIC_JOB_RETRY_DELAYS")
    assert from_environment()["JOB_RETRY_DELAYS"] == (10, 60, 300, 1800)


def test_only_module_level_functions_and_picklable_arguments_are_jobs(app):
    with pytest.raises(ValueError, match="module-level function"):
        jobs.enqueue(lambda: None)

    def inner():
        return None

    with pytest.raises(ValueError, match="module-level function"):
        jobs.enqueue(inner)
    with pytest.raises(Exception, match="pickle"):
        jobs.enqueue(tasks.record, threading.Lock())


def test_sync_runs_the_job_at_once_in_a_thread_of_its_own(app):
    tasks.CALLS.clear()
    jobs.enqueue(tasks.record, "now")
    assert tasks.CALLS == [("civic-job-sync", "now")]


def test_sync_job_writes_are_its_own_and_leave_the_callers_session_alone(app, make_user):
    user = make_user()
    jobs.enqueue(tasks.rename_ward, "Vincent Square", "Vincent Square (by a job)")
    # the caller's objects are still attached to its session: the job used (and removed) another one
    assert user in db.session
    assert db.session.scalar(select(Ward.id).where(Ward.name == "Vincent Square (by a job)")) is not None


def test_sync_retries_at_once_without_waiting_then_records_the_failure(app, monkeypatch, caplog, gated_smtp):
    monkeypatch.setitem(app.config, "JOB_RETRY_DELAYS", (30, 30))
    gated_smtp.reply = "554 5.7.1 Message refused"
    from civic import mail

    started = time.monotonic()
    mail.send("dee@example.org", "Hello", "password_changed", user={"display_name": "Dee"})
    db.session.commit()  # mail leaves after the commit
    assert time.monotonic() - started < 10  # no sleeping between attempts

    assert len(gated_smtp.arrived) == 3
    [failure] = db.session.scalars(select(JobFailure)).all()
    assert failure.attempts == 3 and "554" in failure.error and failure.description == "Mail to dee@example.org: Hello"
    errors = [r for r in caplog.records if r.name == "civic.jobs" and r.levelno == logging.ERROR]
    assert len(errors) == 1 and "gave up after 3 attempts" in errors[0].getMessage()


def test_no_retry_delays_means_one_attempt(app, monkeypatch):
    monkeypatch.setitem(app.config, "JOB_RETRY_DELAYS", ())
    jobs.enqueue(tasks.explode, "once")
    [failure] = db.session.scalars(select(JobFailure)).all()
    assert failure.attempts == 1


def test_a_job_queued_during_a_request_runs_after_the_commit_and_never_after_a_rollback(app):
    """enqueue_after_commit, through the request's own after-request hook (civic/web.py)."""
    tasks.CALLS.clear()
    with app.test_request_context("/", method="POST"):
        jobs.enqueue_after_commit(tasks.record, "should not run")
        app.process_response(app.response_class("refused", status=409))  # rolled back
    assert tasks.CALLS == []
    with app.test_request_context("/", method="POST"):
        jobs.enqueue_after_commit(tasks.record, "after the commit")
        assert tasks.CALLS == []
        app.process_response(app.response_class("done", status=200))  # committed
    assert [c[1] for c in tasks.CALLS] == ["after the commit"]


def test_a_queue_that_cannot_be_reached_never_breaks_the_request(app, client, make_user, monkeypatch, caplog):
    """Redis down: the page still works, and the mail is kept as a failure to try again."""
    user = make_user(email="hal@example.org")
    monkeypatch.setitem(app.config, "JOB_QUEUE", "rq")
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")  # nothing listens
    try:
        response = client.post("/forgot-password", data={"email": user.email})
    finally:
        app.extensions["civic.jobs"].pop(("rq", app.config["REDIS_URL"], app.config["JOB_QUEUE_NAME"]), None)
    assert response.status_code == 200
    [failure] = db.session.scalars(select(JobFailure)).all()
    assert failure.description == "Mail to hal@example.org: Reset your password"
    assert failure.error.startswith("Could not be queued: ") and failure.attempts == 0


def test_the_worker_command_says_when_no_worker_is_needed(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    monkeypatch.setitem(app.config, "JOB_QUEUE", None)
    result = app.test_cli_runner().invoke(args=["civic", "worker"])
    assert result.exit_code == 1
    assert "CIVIC_REDIS_URL is not set" in result.output
    assert "embedded background sender" in result.output and "needs no worker" in result.output
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setitem(app.config, "JOB_QUEUE", "thread")
    result = app.test_cli_runner().invoke(args=["civic", "worker"])
    assert result.exit_code == 1 and "CIVIC_JOB_QUEUE is 'thread'" in result.output
