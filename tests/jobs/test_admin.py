"""/admin/jobs: failures newest first in pages of 25 with a fixed number of queries; "Try again" and
"Mark as resolved", both audited; the count on the admin landing page."""

from __future__ import annotations

import pickle
from datetime import timedelta

from sqlalchemy import select

from civic.audit import AuditEntry
from civic.db import db, utcnow
from civic.jobs.models import JobFailure
from tests.jobs import tasks


def make_failures(n: int, *, start: int = 0, job: str = "tests.jobs.tasks.record", args=("again",)) -> list[JobFailure]:
    now = utcnow()
    rows = [JobFailure(job=job, description=f"Job number {start + i}", error="OSError: the server went away",
                       attempts=5, payload=pickle.dumps(args), failed_at=now - timedelta(minutes=start + i))
            for i in range(n)]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def test_failures_newest_first_in_pages_with_a_fixed_number_of_queries(client_as, count_queries):
    client, _admin = client_as("admin")
    make_failures(3)
    with count_queries() as few:
        page = client.get("/admin/jobs").get_data(as_text=True)
    assert page.index("Job number 0") < page.index("Job number 1") < page.index("Job number 2")
    make_failures(40, start=3)
    with count_queries() as many:
        response = client.get("/admin/jobs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Next page" in page and "43 failed jobs" in page
    assert "Job number 24" in page and "Job number 25" not in page
    assert many.count == few.count
    assert "Job number 25" in client.get("/admin/jobs?page=2").get_data(as_text=True)


def test_mark_as_resolved_is_audited_and_leaves_the_open_list(client_as):
    client, admin = client_as("admin")
    [failure] = make_failures(1)

    response = client.post(f"/admin/jobs/{failure.id}/resolve", follow_redirects=True)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Marked as resolved: Job number 0." in page and "No failed jobs are waiting" in page
    db.session.expire_all()
    assert db.session.get(JobFailure, failure.id).resolved_at is not None
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "job.resolved")).one()
    assert (entry.actor_id, entry.object_id, entry.object_label) == (admin.id, failure.id, "Job number 0")
    assert entry.before["resolved_at"] is None and entry.after["resolved_at"] is not None
    everything = client.get("/admin/jobs?show=all").get_data(as_text=True)
    assert "Job number 0" in everything and "Resolved" in everything
    # a resolved job is neither resolved twice nor tried again
    again = client.post(f"/admin/jobs/{failure.id}/resolve", follow_redirects=True).get_data(as_text=True)
    assert "already resolved" in again
    again = client.post(f"/admin/jobs/{failure.id}/retry", follow_redirects=True).get_data(as_text=True)
    assert "already resolved" in again
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "job.retried")) is None


def test_try_again_runs_the_kept_job_and_resolves_it(client_as):
    client, admin = client_as("admin")
    [failure] = make_failures(1, args=("tried again",))
    tasks.CALLS.clear()

    response = client.post(f"/admin/jobs/{failure.id}/retry", follow_redirects=True)

    assert "Trying again: Job number 0." in response.get_data(as_text=True)
    assert [c[1] for c in tasks.CALLS] == ["tried again"]
    db.session.expire_all()
    failure = db.session.get(JobFailure, failure.id)
    assert failure.retried_at is not None and failure.resolved_at is not None


def test_try_again_that_fails_again_updates_the_same_row(client_as):
    client, _admin = client_as("admin")
    [failure] = make_failures(1, job="tests.jobs.tasks.explode", args=("still broken",))

    client.post(f"/admin/jobs/{failure.id}/retry")

    db.session.expire_all()
    rows = db.session.scalars(select(JobFailure)).all()
    assert [r.id for r in rows] == [failure.id]
    assert rows[0].attempts == 5 + 4 and rows[0].error == "ValueError: still broken"
    assert rows[0].resolved_at is None and rows[0].failed_at >= rows[0].retried_at
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "also after trying again" in page


def test_a_job_with_nothing_kept_cannot_be_tried_again(client_as):
    client, _admin = client_as("admin")
    failure = JobFailure(job="tests.jobs.tasks.record", description="Old", error="x", attempts=1, payload=None)
    db.session.add(failure)
    db.session.commit()
    page = client.post(f"/admin/jobs/{failure.id}/retry", follow_redirects=True).get_data(as_text=True)
    assert "cannot be tried again" in page


def test_the_landing_page_counts_unresolved_failures_for_admins_only(client_as):
    admin_client, _admin = client_as("admin")
    officer_client, _officer = client_as("officer")
    assert "0 failed jobs</a>" in admin_client.get("/admin/").get_data(as_text=True)  # an empty queue
    rows = make_failures(3)
    rows[0].resolved_at = utcnow()
    db.session.commit()
    page = admin_client.get("/admin/").get_data(as_text=True)
    assert "2 failed jobs</strong>" in page
    assert 'href="/admin/jobs"' in page
    officer_page = officer_client.get("/admin/").get_data(as_text=True)
    assert "/admin/jobs" not in officer_page and "failed job" not in officer_page
    assert officer_client.get("/admin/jobs").status_code == 403
    assert officer_client.post(f"/admin/jobs/{rows[1].id}/retry").status_code == 403
