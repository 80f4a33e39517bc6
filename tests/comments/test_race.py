"""Votes at the same moment, on PostgreSQL with real commits: one vote per person, exact counters."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import delete, event, func, select, text

from civic.accounts.models import User
from civic.comments import services
from civic.comments.models import Comment, CommentVote
from civic.db import db, make_engine, utcnow
from civic.errors import DomainError
from civic.groups.models import Group

pytestmark = [pytest.mark.postgres, pytest.mark.no_transaction]


@pytest.fixture
def world(app):
    """Committed people, a group and one comment on it; everything is deleted afterwards."""
    tag = uuid.uuid4().hex[:8]
    # Twenty sessions at once need twenty connections: the app's pool holds fifteen, so this test binds the
    # session to an engine of its own on the same database.
    engine = make_engine(app.config["DATABASE_URL"], pool_size=25, max_overflow=0)
    db.factory.configure(bind=engine, join_transaction_mode="conditional_savepoint")
    with app.app_context():
        users = [User(nickname=f"voter_{tag}_{i}", display_name=f"Voter {i}", email=f"voter.{tag}.{i}@example.org",
                      email_confirmed_at=utcnow()) for i in range(21)]
        group = Group(slug=f"race-{tag}", name=f"Race {tag}", description="Racing", members_count=0)
        db.session.add_all([*users, group])
        db.session.flush()
        comment = services.post_comment(users[0], "test_group", group.id, "Vote on me, all at once")
        db.session.commit()
        made = {"engine": engine, "author": users[0].id, "voters": [u.id for u in users[1:]], "group": group.id,
                "comment": comment.id}
        db.session.remove()
    yield made
    with app.app_context():
        db.session.execute(delete(Comment).where(Comment.resource_type == "test_group",
                                                 Comment.resource_id == made["group"]))
        db.session.execute(delete(Group).where(Group.id == made["group"]))
        # As tests/groups/test_race.py: deleting users touches audit_log's foreign key, which its append-only
        # trigger refuses; switch it off inside this one transaction only.
        db.session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        db.session.execute(delete(User).where(User.id.in_([made["author"], *made["voters"]])))
        db.session.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
        db.session.commit()
        db.session.remove()
    db.factory.configure(bind=db.engine)
    engine.dispose()


def race(app, engine, n: int, before_statement: str, fn, args: list) -> list[str]:
    """Run ``fn(*arg)`` in n threads, each in its own session, all held just before ``before_statement``."""
    line = threading.Barrier(n, timeout=30)

    def hold(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith(before_statement):
            line.wait()

    def run(arg) -> str:
        with app.app_context():
            try:
                result = fn(*arg)
                db.session.commit()
                return f"done {result}"
            except DomainError as e:
                db.session.rollback()
                return e.message
            finally:
                db.session.remove()

    event.listen(engine, "before_cursor_execute", hold)
    try:
        with ThreadPoolExecutor(n) as pool:
            return list(pool.map(run, args))
    finally:
        event.remove(engine, "before_cursor_execute", hold)


def state(app, comment_id: int) -> tuple[int, int, int]:
    """(up_votes, down_votes, vote rows), read fresh."""
    with app.app_context():
        up, down = db.session.execute(select(Comment.up_votes, Comment.down_votes)
                                      .where(Comment.id == comment_id)).one()
        rows = db.session.scalar(select(func.count()).select_from(CommentVote)
                                 .where(CommentVote.comment_id == comment_id))
        db.session.remove()
    return up, down, rows


def _set_vote(user_id: int, comment_id: int, value: int) -> int:
    return services.set_vote(db.session.get(User, user_id), db.session.get(Comment, comment_id), value)


def test_twenty_parallel_up_votes_by_one_person_count_once(app, world):
    voter, cid = world["voters"][0], world["comment"]
    # Everyone has looked and found no vote; all twenty insert at once.
    outcomes = race(app, world["engine"], 20, "INSERT INTO comment_votes", _set_vote, [(voter, cid, 1)] * 20)
    assert outcomes == ["done 1"] * 20
    assert state(app, cid) == (1, 0, 1)


def test_twenty_people_voting_in_parallel_count_twenty(app, world):
    cid = world["comment"]
    voters = world["voters"][:20]
    outcomes = race(app, world["engine"], 20, "UPDATE comments SET up_votes", _set_vote, [(v, cid, 1) for v in voters])
    assert outcomes == ["done 1"] * 20
    assert state(app, cid) == (20, 0, 20)


def test_parallel_changes_from_up_to_down_move_both_counters_once(app, world):
    voter, cid = world["voters"][0], world["comment"]
    with app.app_context():
        _set_vote(voter, cid, 1)
        db.session.commit()
        db.session.remove()
    outcomes = race(app, world["engine"], 10, "SELECT comment_votes.id", _set_vote, [(voter, cid, -1)] * 10)
    assert outcomes == ["done -1"] * 10
    assert state(app, cid) == (0, 1, 1)
