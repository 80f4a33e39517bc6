"""Issue #12, item 12: notifications are written in the request's own transaction (the outbox) and delivered
until it succeeds: a delivery that fails after the commit is made at the next tick; none is lost."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from civic import events, schedule
from civic.db import db
from civic.notifications import outbox, services
from civic.notifications.models import NotificationOutbox
from tests import factories
from tests.notifications.conftest import kinds_of
from tests.proposals.test_notifications_fanout import comment, followed_proposal


@pytest.fixture
def process(make_process):
    return make_process()


def tick(app) -> str:
    [outcome] = schedule.run(["notifications.outbox"], app=app)
    assert outcome.status == "ok", outcome.error
    return outcome.summary


def rows() -> list[NotificationOutbox]:
    db.session.expire_all()
    return list(db.session.scalars(select(NotificationOutbox)))


def test_a_comment_goes_through_the_outbox(client_as, make_user, process, make_proposal):
    proposal, follower = followed_proposal(make_user, process, make_proposal)
    client, _ = client_as("resident")
    assert comment(client, proposal, "Through the outbox.").status_code == 302
    assert kinds_of(follower) == ["comment"]
    assert rows() == []  # delivered, so deleted


def test_a_delivery_that_breaks_after_the_commit_arrives_at_the_next_tick(app, client_as, make_user, process,
                                                                         make_proposal, monkeypatch):
    proposal, follower = followed_proposal(make_user, process, make_proposal)
    client, _ = client_as("resident")
    real_deliver = services.deliver

    def broken(*args, **kwargs):
        raise OperationalError("INSERT INTO notification_events ...", {},
                               Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(services, "deliver", broken)  # the database goes away between commit and delivery
    assert comment(client, proposal, "Said while the database restarted.").status_code == 302
    assert kinds_of(follower) == []
    [row] = rows()
    assert row.event_type == "comment.created" and row.attempts == 1
    assert "server closed the connection unexpectedly" in row.last_error

    assert tick(app) == "1 waiting events handed to the outbox's drain"  # still broken: kept, tried again
    assert rows()[0].attempts == 2 and kinds_of(follower) == []

    monkeypatch.setattr(services, "deliver", real_deliver)  # back
    assert tick(app) == "1 waiting events handed to the outbox's drain"
    assert kinds_of(follower) == ["comment"]
    assert rows() == []
    assert tick(app) == "the outbox is empty"
    assert kinds_of(follower) == ["comment"]  # 0 lost, none twice


def test_a_refused_request_leaves_nothing_in_the_outbox(client_as, make_user, process, make_proposal):
    proposal, follower = followed_proposal(make_user, process, make_proposal)
    client, _ = client_as("resident")
    comment(client, proposal, "")  # refused: nothing written
    assert rows() == [] and kinds_of(follower) == []


def test_events_of_the_past_are_drained_by_the_tick_after_a_grace(app, make_user, process, make_proposal,
                                                                  monkeypatch):
    """A process that died after its commit never drained its row: the tick takes it once it is old enough."""
    proposal, follower = followed_proposal(make_user, process, make_proposal)
    monkeypatch.setattr(outbox, "drain", lambda ids=None: 0)  # the after-commit drain never runs
    made = factories.comment("proposal", proposal.id, make_user())
    events.publish("comment.created", made, resource_type="proposal", resource_id=proposal.id)
    db.session.commit()
    monkeypatch.undo()
    [row] = rows()
    assert tick(app) == "the outbox is empty"  # within the grace: its own drain may still be running
    row.created_at = row.created_at - outbox.GRACE
    db.session.commit()
    assert tick(app) == "1 waiting events handed to the outbox's drain"
    assert kinds_of(follower) == ["comment"] and rows() == []
