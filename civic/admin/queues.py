"""The core's work queues (civic.workqueues): reports, manual verification requests, appeals, failed jobs.

Domains add theirs through their manifest (``Domain(work_queues=...)``); the officers' home and the header count
them all in one query.
"""

from __future__ import annotations

from sqlalchemy import distinct, func, select

from civic.jobs.models import JobFailure
from civic.moderation.models import Appeal, Moderation, Report
from civic.verification.models import VerificationRequest
from civic.workqueues import WorkQueue, register


def _reports():
    return (select(func.count(distinct(Moderation.id)), func.min(Report.created_at))
            .select_from(Moderation).join(Report, Report.moderation_id == Moderation.id)
            .where(Moderation.status == "open", Moderation.reports_count > 0, Report.dismissed_at.is_(None)))


def _verification():
    return select(func.count(), func.min(VerificationRequest.created_at)).where(
        VerificationRequest.status == "pending")


def _appeals():
    return select(func.count(), func.min(Appeal.created_at)).where(Appeal.status == "pending")


def _failed_jobs():
    return select(func.count(), func.min(JobFailure.failed_at)).where(JobFailure.resolved_at.is_(None))


CORE_QUEUES = (
    WorkQueue("moderation.reports", "moderation.act", "moderation.queue", "%(n)d report waiting",
              "%(n)d reports waiting", _reports, {"status": "open", "sort": "oldest"}, position=10),
    WorkQueue("verification.requests", "verification.decide", "verification.queue",
              "%(n)d verification request waiting", "%(n)d verification requests waiting", _verification,
              {"status": "pending"}, position=20),
    WorkQueue("moderation.appeals", "moderation.appeals", "blocking.appeals", "%(n)d appeal waiting",
              "%(n)d appeals waiting", _appeals, position=30),
    WorkQueue("jobs.failed", "jobs.manage", "admin.job_failures", "%(n)d failed job", "%(n)d failed jobs",
              _failed_jobs, position=90),
)

for _queue in CORE_QUEUES:
    register(_queue)
