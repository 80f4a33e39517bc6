"""Issue #12, item 12 on PostgreSQL with real commits: the database connection really breaks between the
comment's commit and the making of its notification (the server ends that backend, as a restart does); the
notification is made at the next tick, once, and nothing is left in the outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, event, select, text

from civic import schedule
from civic.accounts import roles
from civic.accounts.models import User
from civic.comments import services as comments
from civic.comments.models import Comment
from civic.db import db, utcnow
from civic.notifications import services as notifications
from civic.notifications.models import Notification, NotificationEvent, NotificationOutbox
from civic.spaces.models import Process
from tests import factories
from tests.proposals import factories as proposals
from tests.support.race import committed, delete_people, real_commits, tag

pytestmark = [pytest.mark.postgres, pytest.mark.no_transaction]


def test_a_connection_broken_between_commit_and_delivery_loses_no_notification(app):
    with real_commits(app) as engine:
        with committed(app):
            now = utcnow()
            process = proposals.process(phases=[factories.phase("Talk", now - timedelta(days=1),
                                                                now + timedelta(days=1), "comment")])
            author, follower, speaker = factories.people(3, prefix=f"outbox_{tag()}", roles=[roles.VERIFIED])
            proposal = proposals.proposal(process, author, title="Shade for the bus stop on Edgware Road")
            notifications.follow(follower, "proposal", proposal.id)
            ids = {"process": process.id, "proposal": proposal.id, "people": [author.id, follower.id, speaker.id]}
        try:
            broken = []

            def break_first_delivery(conn, cursor, statement, parameters, context, executemany):
                if statement.startswith("DELETE FROM notification_outbox") and not broken:
                    broken.append(conn.connection.dbapi_connection.info.backend_pid)
                    with engine.connect() as other:  # the server ends this backend, as a restart would
                        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": broken[0]})

            event.listen(engine, "before_cursor_execute", break_first_delivery)
            try:
                with app.test_request_context("/", method="POST"):
                    made = comments.post_comment(db.session.get(User, ids["people"][2]), "proposal",
                                                 ids["proposal"], "Said while the database restarted.")
                    comment_id = made.id
                    db.session.commit()  # acknowledged; the delivery after it meets the broken connection
                    db.session.remove()
            finally:
                event.remove(engine, "before_cursor_execute", break_first_delivery)
            assert broken, "the delivery never started"

            with committed(app):
                assert db.session.scalar(select(Comment.id).where(Comment.id == comment_id)) == comment_id
                told = db.session.scalars(select(Notification).where(Notification.user_id == ids["people"][1]))
                assert list(told) == []
                [row] = db.session.scalars(select(NotificationOutbox)
                                           .where(NotificationOutbox.payload.contains(f'{comment_id}]'))).all()
                assert row.attempts == 1

            with committed(app):
                outcomes = schedule.run(["notifications.outbox"], app=app)
                assert [o.status for o in outcomes] == ["ok"]
            with committed(app):
                told = db.session.scalars(select(Notification.kind).where(Notification.user_id == ids["people"][1]))
                assert list(told) == ["comment"]
                assert db.session.scalar(select(NotificationOutbox.id).where(NotificationOutbox.id == row.id)) is None
        finally:
            with committed(app):
                db.session.execute(delete(NotificationEvent).where(NotificationEvent.resource_type == "proposal",
                                                                   NotificationEvent.resource_id == ids["proposal"]))
                db.session.execute(delete(NotificationOutbox).where(
                    NotificationOutbox.payload.contains(f'"proposals.models:Proposal", {ids["proposal"]}]')))
                db.session.execute(delete(Comment).where(Comment.resource_type == "proposal",
                                                         Comment.resource_id == ids["proposal"]))
                db.session.execute(delete(Process).where(Process.id == ids["process"]))
                delete_people(ids["people"], audit_of=("proposal", [ids["proposal"]]))
