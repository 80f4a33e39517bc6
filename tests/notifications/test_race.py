"""At the same moment, on PostgreSQL with real commits: one event delivered by several workers at once is one
notification per person; two digest runs at once send each person one digest."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete, func, select

from civic.db import db
from civic.notifications import delivery, services
from civic.notifications.models import DigestRun, Notification, NotificationEvent, NotificationPreference
from civic.notifications.registry import Notice, Users
from tests import factories
from tests.support.race import committed, delete_people, race, real_commits, tag

pytestmark = [pytest.mark.postgres, pytest.mark.no_transaction]
WORKERS = 6


@pytest.fixture
def people(app):
    """Thirty committed people; their events and themselves are deleted afterwards."""
    prefix = f"told_{tag()}"
    with real_commits(app, connections=WORKERS + 4):
        with committed(app):
            ids = [u.id for u in factories.people(30, prefix=prefix)]
        yield {"ids": ids, "tag": prefix}
        with committed(app):
            db.session.execute(delete(NotificationEvent).where(NotificationEvent.key.like(f"race:{prefix}%")))
            delete_people(ids)


def at_once(app, before: str, fn) -> list:
    """``fn()`` in WORKERS racing threads, each held just before its first statement starting with ``before``."""
    return race(app, fn, [()] * WORKERS, before=before)


def test_one_event_from_several_workers_is_one_notification_each(app, people):
    notice = Notice(key=f"race:{people['tag']}:1", title="Raced", url="/",
                    audiences=[Users("comment", people["ids"])])
    at_once(app, "INSERT INTO notification_events",
            lambda: services.deliver("comment.created", notice))
    with committed(app):
        counts = db.session.execute(select(Notification.user_id, func.count()).where(
            Notification.user_id.in_(people["ids"])).group_by(Notification.user_id)).all()
    assert len(counts) == len(people["ids"]) and {n for _uid, n in counts} == {1}


def test_two_digest_runs_at_once_send_one_digest_each(app, people):
    with committed(app):
        for uid in people["ids"]:
            db.session.add(NotificationPreference(user_id=uid, kind="comment", email="daily"))
        db.session.commit()
        services.deliver("comment.created", Notice(key=f"race:{people['tag']}:2", title="Digest me", url="/",
                                                   space="Race", audiences=[Users("comment", people["ids"])]))
    sent: list = []
    lock = threading.Lock()

    def collect(msg):
        with lock:
            sent.append(msg["To"])

    results = at_once(app, "INSERT INTO digest_runs",
                      lambda: delivery.send_digests("daily", dispatch=collect).users)
    assert sum(results) == len(people["ids"])
    assert sorted(sent) == sorted(set(sent)) and len(sent) == len(people["ids"])
    with committed(app):
        runs = db.session.scalar(select(func.count()).where(DigestRun.user_id.in_(people["ids"])))
    assert runs == len(people["ids"])
