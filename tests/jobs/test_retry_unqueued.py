"""Issue #12, item 11: mail that could not be queued while Redis was down leaves by itself once the queue
answers again: the scheduled task ``jobs.retry-unqueued`` hands it over at each tick, once only while it waits."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from civic import schedule
from civic.db import db
from civic.jobs.models import JobFailure
from tests.conftest import free_port
from tests.jobs.conftest import run_worker


def redis_down(app, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "JOB_QUEUE", "rq")
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")  # nothing listens


def forget_backend(app) -> None:
    app.extensions["civic.jobs"].pop(("rq", app.config["REDIS_URL"], app.config["JOB_QUEUE_NAME"]), None)


def tick(app) -> str:
    [outcome] = schedule.run(["jobs.retry-unqueued"], app=app)
    assert outcome.status == "ok", outcome.error
    return outcome.summary


def unqueued_reset_mail(app, client, make_user, monkeypatch, email: str) -> JobFailure:
    user = make_user(email=email)
    redis_down(app, monkeypatch)
    try:
        assert client.post("/forgot-password", data={"email": user.email}).status_code == 200
        assert tick(app) == "1 unqueued jobs handed to the queue again"  # still down: kept, tried next tick
        assert tick(app) == "1 unqueued jobs handed to the queue again"
    finally:
        forget_backend(app)
    [failure] = db.session.scalars(select(JobFailure)).all()
    db.session.refresh(failure)
    assert failure.error.startswith("Could not be queued: ") and failure.attempts == 0
    assert failure.resolved_at is None and failure.failed_at > failure.retried_at
    return failure


def test_the_tick_hands_unqueued_mail_over_once_the_queue_answers(app, client, make_user, monkeypatch, smtp_server):
    failure = unqueued_reset_mail(app, client, make_user, monkeypatch, "ida@example.org")
    assert smtp_server.messages == []

    monkeypatch.setitem(app.config, "JOB_QUEUE", "sync")  # the queue answers again
    assert tick(app) == "1 unqueued jobs handed to the queue again"
    [msg] = smtp_server.to("ida@example.org")
    assert msg["Subject"] == "Reset your password"
    db.session.refresh(failure)
    assert failure.resolved_at is not None

    assert tick(app) == "no unqueued jobs"  # handed over once: no second mail
    assert len(smtp_server.to("ida@example.org")) == 1


def test_a_job_that_ran_and_failed_waits_for_an_admin(app, monkeypatch):
    db.session.add(JobFailure(job="civic.mail.deliver_job", description="Mail that bounced", error="554",
                              attempts=5, payload=b"\x80\x04N."))
    db.session.flush()
    assert tick(app) == "no unqueued jobs"


@pytest.mark.redis
def test_unqueued_mail_goes_through_rq_when_redis_is_back(app, client, make_user, monkeypatch, rq_queue, smtp_server):
    real_url = app.config["REDIS_URL"]
    unqueued_reset_mail(app, client, make_user, monkeypatch, "joy@example.org")
    monkeypatch.setitem(app.config, "REDIS_URL", real_url)  # Redis is back

    assert tick(app) == "1 unqueued jobs handed to the queue again"
    assert rq_queue.queue.count == 1
    assert tick(app) == "no unqueued jobs"  # waiting in the queue: not handed over twice
    assert rq_queue.queue.count == 1
    assert run_worker(app) is True
    [msg] = smtp_server.to("joy@example.org")
    assert msg["Subject"] == "Reset your password"
    [failure] = db.session.scalars(select(JobFailure)).all()
    db.session.refresh(failure)
    assert failure.resolved_at is not None
