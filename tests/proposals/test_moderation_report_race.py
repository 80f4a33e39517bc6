"""Five people report one proposal at the same moment on PostgreSQL, with real commits: hidden once, counted five."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import delete, event, func, select, text

from civic.accounts.models import User
from civic.db import db
from civic.moderation import services
from civic.moderation.models import AuditEntry, Moderation, Report
from civic.spaces.models import Process
from proposals.models import Proposal

RACERS = 5


@pytest.mark.postgres
@pytest.mark.no_transaction
def test_five_parallel_reports_hide_the_proposal_once_and_count_five(app, make_user, make_process, make_proposal):
    db.factory.configure(bind=db.engine, join_transaction_mode="conditional_savepoint")
    with app.app_context():
        author = make_user("resident")
        reporters = [make_user("resident") for _ in range(RACERS)]
        process = make_process()
        proposal = make_proposal(process, author, title="A proposal everyone dislikes")
        user_ids = [author.id] + [u.id for u in reporters]
        reporter_ids, process_id, proposal_id = [u.id for u in reporters], process.id, proposal.id
        db.session.remove()

    at_the_line = threading.Barrier(RACERS, timeout=30)
    hides: list[str] = []

    def count_hides(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE proposals SET hidden_at"):
            hides.append(statement)

    sessions: set[int] = set()

    def report(user_id: int) -> str:
        with app.app_context():
            try:
                sessions.add(id(db.session()))
                user = db.session.get(User, user_id)
                at_the_line.wait()
                services.report(user, "proposal", proposal_id, "spam")
                db.session.commit()
                return "reported"
            finally:
                db.session.remove()

    event.listen(db.engine, "before_cursor_execute", count_hides)
    try:
        with ThreadPoolExecutor(RACERS) as pool:
            outcomes = list(pool.map(report, reporter_ids))
    finally:
        event.remove(db.engine, "before_cursor_execute", count_hides)

    try:
        assert outcomes == ["reported"] * RACERS
        assert len(sessions) == RACERS
        with app.app_context():
            mods = db.session.scalars(select(Moderation).where(Moderation.resource_type == "proposal",
                                                               Moderation.resource_id == proposal_id)).all()
            assert len(mods) == 1
            assert mods[0].reports_count == RACERS
            assert mods[0].hidden_at is not None
            assert db.session.scalar(select(func.count()).where(Report.moderation_id == mods[0].id)) == RACERS
            assert db.session.get(Proposal, proposal_id).hidden_at == mods[0].hidden_at
            assert len(hides) == 1
            assert db.session.scalars(select(AuditEntry.action).where(
                AuditEntry.object_type == "proposal", AuditEntry.object_id == proposal_id)).all() == [
                "moderation.auto_hide"]
            db.session.remove()
    finally:
        with app.app_context():
            # The audit log is append-only (a trigger): switch it off inside this one transaction only, as
            # tests/verification/test_race.py does, so this test's entry does not leak into other tests.
            db.session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
            db.session.execute(delete(AuditEntry).where(AuditEntry.object_type == "proposal",
                                                        AuditEntry.object_id == proposal_id))
            db.session.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
            db.session.execute(delete(Moderation).where(Moderation.resource_type == "proposal",
                                                        Moderation.resource_id == proposal_id))
            db.session.execute(delete(Proposal).where(Proposal.id == proposal_id))
            db.session.execute(delete(Process).where(Process.id == process_id))
            db.session.execute(delete(User).where(User.id.in_(user_ids)))
            db.session.commit()
            assert db.session.scalar(select(func.count()).where(Moderation.resource_id == proposal_id)) == 0
            db.session.remove()
