"""Five people report one proposal at the same moment on PostgreSQL, with real commits: hidden once, counted five."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, event, func, select

from civic.accounts.models import User
from civic.audit import AuditEntry
from civic.db import db
from civic.moderation import services
from civic.moderation.models import Moderation, Report
from civic.spaces.models import Process
from proposals.models import Proposal
from tests import factories
from tests.proposals import factories as proposals
from tests.support.race import committed, delete_people, race, real_commits, tag

RACERS = 5


@pytest.mark.postgres
@pytest.mark.no_transaction
def test_five_parallel_reports_hide_the_proposal_once_and_count_five(app):
    with real_commits(app):
        with committed(app):
            author, *reporters = factories.people(1 + RACERS, prefix=f"reporter_{tag()}")
            process = proposals.process()
            proposal = proposals.proposal(process, author, title="A proposal everyone dislikes")
            user_ids = [author.id] + [u.id for u in reporters]
            reporter_ids, process_id, proposal_id = [u.id for u in reporters], process.id, proposal.id

        hides: list[str] = []

        def count_hides(conn, cursor, statement, parameters, context, executemany):
            if statement.startswith("UPDATE proposals SET hidden_at"):
                hides.append(statement)

        def report(user_id: int) -> str:
            services.report(db.session.get(User, user_id), "proposal", proposal_id, "spam")
            return "reported"

        event.listen(db.engine, "before_cursor_execute", count_hides)
        try:
            outcomes = race(app, report, [(uid,) for uid in reporter_ids])  # all start at once
        finally:
            event.remove(db.engine, "before_cursor_execute", count_hides)

        try:
            assert outcomes == ["reported"] * RACERS
            with committed(app):
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
        finally:
            with committed(app):
                db.session.execute(delete(Moderation).where(Moderation.resource_type == "proposal",
                                                            Moderation.resource_id == proposal_id))
                db.session.execute(delete(Proposal).where(Proposal.id == proposal_id))
                db.session.execute(delete(Process).where(Process.id == process_id))
                # This test's audit entry about the proposal goes too, so it does not leak into other tests.
                delete_people(user_ids, audit_of=("proposal", [proposal_id]))
            with committed(app):
                assert db.session.scalar(select(func.count()).where(Moderation.resource_id == proposal_id)) == 0
