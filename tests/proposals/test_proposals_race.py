"""One person publishing many drafts at the same moment, on PostgreSQL with real commits: the limit holds."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import delete, event, func, select, text

from civic.accounts.models import User
from civic.db import db, utcnow
from civic.errors import DomainError
from civic.spaces.models import Phase, Process, Programme, Ward
from proposals import services
from proposals.models import Proposal, ProposalSettings

pytestmark = [pytest.mark.postgres, pytest.mark.no_transaction]

LIMIT, DRAFTS = 2, 8


@pytest.fixture
def world(app):
    """A committed person, a process with a proposal limit and drafts; everything is deleted afterwards."""
    tag = uuid.uuid4().hex[:8]
    db.factory.configure(bind=db.engine, join_transaction_mode="conditional_savepoint")
    with app.app_context():
        user = User(nickname=f"racer_{tag}", display_name="Racer", email=f"racer.{tag}@example.org",
                    email_confirmed_at=utcnow())
        now = utcnow()
        process = Process(slug=f"race-{tag}", title="Race", published_at=now,
                          programme_id=db.session.scalar(select(Programme.id).limit(1)))
        process.phases = [Phase(title="Open", starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=1),
                                allow_propose=True)]
        db.session.add_all([user, process])
        db.session.flush()
        db.session.add(ProposalSettings(process_id=process.id, proposal_limit=LIMIT))
        ward_id = db.session.scalar(select(Ward.id).limit(1))
        drafts = [Proposal(process_id=process.id, author_id=user.id, title=f"Racing draft number {i}", body="Body",
                           ward_id=ward_id, state="draft") for i in range(DRAFTS)]
        db.session.add_all(drafts)
        db.session.commit()
        made = {"user": user.id, "process": process.id, "drafts": [d.id for d in drafts]}
        db.session.remove()
    yield made
    with app.app_context():
        db.session.execute(delete(Process).where(Process.id == made["process"]))
        db.session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        db.session.execute(delete(User).where(User.id == made["user"]))
        db.session.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
        db.session.commit()
        db.session.remove()


def test_parallel_publishing_never_passes_the_proposal_limit(app, world):
    line = threading.Barrier(DRAFTS, timeout=30)

    def hold(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("SELECT users.id") and "FOR UPDATE" in statement:
            line.wait()  # everyone reaches the lock together

    def publish(draft_id: int) -> str:
        with app.app_context():
            try:
                services.publish(db.session.get(User, world["user"]), db.session.get(Proposal, draft_id))
                db.session.commit()
                return "published"
            except DomainError as e:
                db.session.rollback()
                return e.message
            finally:
                db.session.remove()

    event.listen(db.engine, "before_cursor_execute", hold)
    try:
        with ThreadPoolExecutor(DRAFTS) as pool:
            outcomes = list(pool.map(publish, world["drafts"]))
    finally:
        event.remove(db.engine, "before_cursor_execute", hold)

    assert outcomes.count("published") == LIMIT
    assert all("You have already published 2 proposals" in o for o in outcomes if o != "published")
    with app.app_context():
        published = db.session.scalar(select(func.count()).where(Proposal.process_id == world["process"],
                                                                 Proposal.state == "published"))
        db.session.remove()
    assert published == LIMIT
