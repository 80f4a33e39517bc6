"""One person publishing many drafts at the same moment, on PostgreSQL with real commits: the limit holds."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from civic.accounts.models import User
from civic.db import db
from civic.spaces.models import Process
from proposals import services
from proposals.models import Proposal
from tests import factories
from tests.proposals import factories as proposals
from tests.support.race import committed, delete_people, race, real_commits, tag

pytestmark = [pytest.mark.postgres, pytest.mark.no_transaction]

LIMIT, DRAFTS = 2, 8


@pytest.fixture
def world(app):
    """A committed person, a process with a proposal limit and drafts; everything is deleted afterwards."""
    with real_commits(app):
        with committed(app):
            (user,) = factories.people(1, prefix=f"racer_{tag()}")
            process = proposals.process(proposal_limit=LIMIT, allow_support=False, allow_comment=False,
                                        allow_endorse=False)
            drafts = [proposals.proposal(process, user, title=f"Racing draft number {i}", body="Body",
                                         state="draft", commit=False) for i in range(DRAFTS)]
            made = {"user": user.id, "process": process.id, "drafts": [d.id for d in drafts]}
        yield made
        with committed(app):
            db.session.execute(delete(Process).where(Process.id == made["process"]))
            delete_people([made["user"]])


def test_parallel_publishing_never_passes_the_proposal_limit(app, world):
    def publish(draft_id: int) -> str:
        services.publish(db.session.get(User, world["user"]), db.session.get(Proposal, draft_id))
        return "published"

    # Everyone reaches the lock on the author's row together.
    outcomes = race(app, publish, [(d,) for d in world["drafts"]],
                    before=lambda sql: sql.startswith("SELECT users.id") and "FOR UPDATE" in sql)

    assert outcomes.count("published") == LIMIT
    assert all("You have already published 2 proposals" in o for o in outcomes if o != "published")
    with committed(app):
        published = db.session.scalar(select(func.count()).where(Proposal.process_id == world["process"],
                                                                 Proposal.state == "published"))
    assert published == LIMIT
