"""At the same moment, on PostgreSQL with real commits: one event delivered by several workers at once is one
notification per person; two digest runs at once send each person one digest."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import delete, event, func, select, text

from civic.accounts.models import User
from civic.db import db, make_engine, utcnow
from civic.notifications import delivery, services
from civic.notifications.models import DigestRun, Notification, NotificationEvent, NotificationPreference
from civic.notifications.registry import Notice, Users

pytestmark = [pytest.mark.postgres, pytest.mark.no_transaction]
WORKERS = 6


@pytest.fixture
def people(app):
    tag = uuid.uuid4().hex[:8]
    engine = make_engine(app.config["DATABASE_URL"], pool_size=WORKERS + 4, max_overflow=0)
    db.factory.configure(bind=engine, join_transaction_mode="conditional_savepoint")
    with app.app_context():
        users = [User(nickname=f"told_{tag}_{i}", display_name=f"Told {i}", email=f"told.{tag}.{i}@example.org",
                      email_confirmed_at=utcnow()) for i in range(30)]
        db.session.add_all(users)
        db.session.commit()
        ids = [u.id for u in users]
        db.session.remove()
    yield {"engine": engine, "ids": ids, "tag": tag}
    with app.app_context():
        db.session.execute(delete(NotificationEvent).where(NotificationEvent.key.like(f"race:{tag}%")))
        db.session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        db.session.execute(delete(User).where(User.id.in_(ids)))
        db.session.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
        db.session.commit()
        db.session.remove()
    db.factory.configure(bind=db.engine)
    engine.dispose()


def at_once(app, engine, before: str, fn) -> list:
    line = threading.Barrier(WORKERS, timeout=30)
    seen = threading.local()

    def hold(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith(before) and not getattr(seen, "done", False):
            seen.done = True
            line.wait()

    def run(_):
        with app.app_context():
            try:
                result = fn()
                db.session.commit()
                return result
            finally:
                db.session.remove()

    event.listen(engine, "before_cursor_execute", hold)
    try:
        with ThreadPoolExecutor(WORKERS) as pool:
            return list(pool.map(run, range(WORKERS)))
    finally:
        event.remove(engine, "before_cursor_execute", hold)


def test_one_event_from_several_workers_is_one_notification_each(app, people):
    notice = Notice(key=f"race:{people['tag']}:1", title="Raced", url="/",
                    audiences=[Users("comment", people["ids"])])
    at_once(app, people["engine"], "INSERT INTO notification_events",
            lambda: services.deliver("comment.created", notice))
    with app.app_context():
        counts = db.session.execute(select(Notification.user_id, func.count()).where(
            Notification.user_id.in_(people["ids"])).group_by(Notification.user_id)).all()
        db.session.remove()
    assert len(counts) == len(people["ids"]) and {n for _uid, n in counts} == {1}


def test_two_digest_runs_at_once_send_one_digest_each(app, people):
    with app.app_context():
        for uid in people["ids"]:
            db.session.add(NotificationPreference(user_id=uid, kind="comment", email="daily"))
        db.session.commit()
        services.deliver("comment.created", Notice(key=f"race:{people['tag']}:2", title="Digest me", url="/",
                                                   space="Race", audiences=[Users("comment", people["ids"])]))
        db.session.commit()
        db.session.remove()
    sent: list = []
    lock = threading.Lock()

    def collect(msg):
        with lock:
            sent.append(msg["To"])

    results = at_once(app, people["engine"], "INSERT INTO digest_runs",
                      lambda: delivery.send_digests("daily", dispatch=collect).users)
    assert sum(results) == len(people["ids"])
    assert sorted(sent) == sorted(set(sent)) and len(sent) == len(people["ids"])
    with app.app_context():
        runs = db.session.scalar(select(func.count()).where(DigestRun.user_id.in_(people["ids"])))
        db.session.remove()
    assert runs == len(people["ids"])
