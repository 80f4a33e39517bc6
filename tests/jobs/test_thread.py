"""The thread backend (the embedded default): mail leaves after the request, failures are retried with
back-off and end as a JobFailure that an admin can try again."""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import select

from civic import jobs
from civic.audit import AuditEntry
from civic.db import db
from civic.jobs.models import JobFailure
from tests.conftest import free_port
from tests.jobs import tasks


def test_a_request_returns_before_its_mail_is_delivered(client, make_user, thread_queue, gated_smtp):
    user = make_user(email="ann@example.org")
    gated_smtp.gate.clear()  # the server holds every message until the gate opens

    started = time.monotonic()
    response = client.post("/forgot-password", data={"email": user.email})
    took = time.monotonic() - started

    assert response.status_code == 200
    assert took < 5  # sending in the request would have waited for the server (10 s time-out)
    assert gated_smtp.messages == []
    gated_smtp.gate.set()
    assert jobs.drain(5)
    [msg] = gated_smtp.messages
    assert msg["To"] == "ann@example.org" and msg["Subject"] == "Reset your password"
    assert "/reset-password/" in msg.get_body(("plain",)).get_content()


def test_jobs_run_in_the_background_thread_and_it_survives_a_job_raising(app, thread_queue, caplog):
    tasks.CALLS.clear()
    jobs.enqueue(tasks.explode, "a bad day", description="A job that fails")
    jobs.enqueue(tasks.record, "after the failure")
    assert jobs.drain(5)

    assert tasks.CALLS == [("civic-jobs", "after the failure")]
    [failure] = db.session.scalars(select(JobFailure)).all()
    assert failure.job == "tests.jobs.tasks.explode"
    assert failure.attempts == 4 and failure.error == "ValueError: a bad day"
    # the thread is still there for the next job
    jobs.enqueue(tasks.record, "later")
    assert jobs.drain(5)
    assert tasks.CALLS[-1] == ("civic-jobs", "later")
    assert sum(t.name == "civic-jobs" for t in threading.enumerate()) == 1


def test_a_job_commits_its_own_writes(app, thread_queue):
    jobs.enqueue(tasks.rename_ward, "Vincent Square", "Vincent Square (renamed by a job)")
    jobs.enqueue(tasks.rename_ward_without_commit, "Knightsbridge & Belgravia", "Not kept")
    assert jobs.drain(5)
    from civic.spaces.models import Ward

    names = set(db.session.scalars(select(Ward.name)))
    assert "Vincent Square (renamed by a job)" in names
    assert "Not kept" not in names and "Knightsbridge & Belgravia" in names


def test_a_failing_server_is_retried_with_back_off_then_shown_to_admins_and_tried_again(
        app, client, client_as, make_user, thread_queue, gated_smtp, monkeypatch, caplog):
    delays = (0.05, 0.1, 0.2)
    monkeypatch.setitem(app.config, "JOB_RETRY_DELAYS", delays)
    user = make_user(email="bea@example.org")
    admin_client, admin = client_as("admin")
    gated_smtp.reply = "451 4.3.0 Mailbox busy, try again later"
    gated_smtp.gate.clear()

    response = client.post("/forgot-password", data={"email": user.email})

    assert response.status_code == 200  # the failing server never breaks the request
    gated_smtp.gate.set()
    assert jobs.drain(10)
    assert len(gated_smtp.arrived) == 4  # the first attempt and three retries
    waits = [gated_smtp.arrived[i + 1] - gated_smtp.answered[i] for i in range(3)]
    assert all(wait >= delay for wait, delay in zip(waits, delays, strict=True)), waits
    assert gated_smtp.messages == []
    warnings = [r for r in caplog.records if r.name == "civic.jobs" and r.levelno == logging.WARNING]
    errors = [r for r in caplog.records if r.name == "civic.jobs" and r.levelno == logging.ERROR]
    assert len(warnings) == 3 and len(errors) == 1
    assert "Mail to bea@example.org: Reset your password" in errors[0].getMessage()

    [failure] = db.session.scalars(select(JobFailure)).all()
    assert failure.job == "civic.mail.deliver_job"
    assert failure.description == "Mail to bea@example.org: Reset your password"
    assert failure.attempts == 4 and "451" in failure.error and "Mailbox busy" in failure.error
    assert failure.resolved_at is None and failure.payload

    page = admin_client.get("/admin/jobs").get_data(as_text=True)
    assert "Mail to bea@example.org: Reset your password" in page and "Mailbox busy" in page
    assert "1 failed job</strong>" in admin_client.get("/admin/").get_data(as_text=True)

    # The server works again: "Try again" delivers the very message, and resolves the failure.
    gated_smtp.reply = None
    gated_smtp.gate.clear()
    response = admin_client.post(f"/admin/jobs/{failure.id}/retry")
    assert response.status_code == 302
    assert gated_smtp.messages == []  # queued after the commit, sent in the background
    gated_smtp.gate.set()
    assert jobs.drain(5)
    [msg] = gated_smtp.messages
    assert msg["To"] == "bea@example.org" and msg["Subject"] == "Reset your password"
    db.session.expire_all()
    failure = db.session.get(JobFailure, failure.id)
    assert failure.retried_at is not None and failure.resolved_at is not None
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "job.retried")).one()
    assert (entry.actor_id, entry.object_type, entry.object_id) == (admin.id, "job_failure", failure.id)
    assert "No failed jobs are waiting" in admin_client.get("/admin/jobs").get_data(as_text=True)


def test_drain_says_when_time_ran_out(app, thread_queue, gated_smtp):
    gated_smtp.gate.clear()
    from civic import mail

    mail.send("cy@example.org", "Held", "password_changed", user={"display_name": "Cy"})
    db.session.commit()  # mail leaves after the commit
    assert jobs.drain(0.2) is False
    gated_smtp.gate.set()
    assert jobs.drain(5) is True
    assert [m["To"] for m in gated_smtp.messages] == ["cy@example.org"]


def test_at_exit_what_is_still_waiting_is_kept_as_a_failure(app, thread_queue, monkeypatch):
    """A command that exits while a retry waits: the queue drains briefly, then records what is left."""
    monkeypatch.setitem(app.config, "JOB_RETRY_DELAYS", (60,))
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())  # nothing listens there
    monkeypatch.setattr("civic.jobs.queue.EXIT_DRAIN_SECONDS", 0.2)
    from civic import mail

    mail.send("zoe@example.org", "Before the exit", "password_changed", user={"display_name": "Zoe"})
    db.session.commit()  # mail leaves after the commit
    deadline = time.monotonic() + 5
    while not thread_queue._later and time.monotonic() < deadline:
        time.sleep(0.01)  # until the first attempt has failed and its retry is scheduled
    assert thread_queue.pending() == 1
    assert not jobs.drain(0.1)  # the retry waits a minute

    thread_queue._at_exit()

    assert thread_queue.pending() == 0
    [failure] = db.session.scalars(select(JobFailure)).all()
    assert failure.description == "Mail to zoe@example.org: Before the exit" and failure.attempts == 1
    assert failure.error.startswith("RuntimeError: the process stopped before the job was done; the last attempt "
                                    "said ConnectionRefusedError")
