"""Organisers acting at the same moment, on PostgreSQL with real commits: counts and the last organiser hold."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import delete, event, func, select, text

from civic.accounts.models import User
from civic.db import db, utcnow
from civic.errors import DomainError
from civic.groups import services
from civic.groups.models import Group, Membership

pytestmark = [pytest.mark.postgres, pytest.mark.no_transaction]


@pytest.fixture
def world(app):
    """Committed users and one group; everything is deleted afterwards."""
    tag = uuid.uuid4().hex[:8]
    # Sessions on the engine itself, committing for real (as tests/verification/test_race.py does).
    db.factory.configure(bind=db.engine, join_transaction_mode="conditional_savepoint")
    made: dict = {"users": [], "groups": []}

    def people(n: int) -> list[int]:
        with app.app_context():
            users = [User(nickname=f"race_{tag}_{len(made['users']) + i}", display_name=f"Racer {i}",
                          email=f"race.{tag}.{len(made['users']) + i}@example.org", email_confirmed_at=utcnow())
                     for i in range(n)]
            db.session.add_all(users)
            db.session.commit()
            ids = [u.id for u in users]
            db.session.remove()
        made["users"] += ids
        return ids

    def group(organiser_id: int) -> int:
        with app.app_context():
            g = services.create_group(db.session.get(User, organiser_id), name=f"Race group {tag}",
                                      description="Racing")
            db.session.commit()
            made["groups"].append(g.id)
            gid = g.id
            db.session.remove()
        return gid

    made["people"], made["group"] = people, group
    yield made
    with app.app_context():
        db.session.execute(delete(Group).where(Group.id.in_(made["groups"])))
        # Deleting a user sets audit_log.actor_id to NULL, which the append-only trigger refuses even when no
        # row matches; switch it off inside this one transaction only (DDL is transactional in PostgreSQL).
        db.session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        db.session.execute(delete(User).where(User.id.in_(made["users"])))
        db.session.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
        db.session.commit()
        db.session.remove()


def race(app, n: int, before_statement: str, fn, args: list) -> list[str]:
    """Run ``fn(*arg)`` in n threads, each in its own session, all held just before ``before_statement``."""
    line = threading.Barrier(n, timeout=30)

    def hold(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith(before_statement):
            line.wait()

    def run(arg) -> str:
        with app.app_context():
            try:
                fn(*arg)
                db.session.commit()
                return "done"
            except DomainError as e:
                db.session.rollback()
                return e.message
            finally:
                db.session.remove()

    event.listen(db.engine, "before_cursor_execute", hold)
    try:
        with ThreadPoolExecutor(n) as pool:
            return list(pool.map(run, args))
    finally:
        event.remove(db.engine, "before_cursor_execute", hold)


def state(app, group_id: int) -> tuple[int, int, int]:
    """(stored counter, active members, active organisers), read fresh."""
    with app.app_context():
        counter = db.session.scalar(select(Group.members_count).where(Group.id == group_id))
        active = db.session.scalar(select(func.count()).where(Membership.group_id == group_id,
                                                              Membership.status == "active"))
        organisers = db.session.scalar(select(func.count()).where(Membership.group_id == group_id,
                                                                  Membership.status == "active",
                                                                  Membership.role == "organiser"))
        db.session.remove()
    return counter, active, organisers


def _load(group_id: int, user_id: int) -> Membership:
    return db.session.scalar(select(Membership).where(Membership.group_id == group_id,
                                                      Membership.user_id == user_id))


def test_parallel_acceptances_count_every_member_once(app, world):
    organiser, *askers = world["people"](9)
    gid = world["group"](organiser)
    with app.app_context():
        for uid in askers:
            services.request_to_join(db.session.get(User, uid), db.session.get(Group, gid))
        db.session.commit()
        db.session.remove()

    def accept(uid: int) -> None:
        services.accept_request(db.session.get(User, organiser), _load(gid, uid))

    outcomes = race(app, len(askers), "UPDATE groups SET members_count", accept, [(u,) for u in askers])
    assert outcomes == ["done"] * len(askers)
    assert state(app, gid) == (1 + len(askers), 1 + len(askers), 1)


def test_a_request_accepted_by_many_clicks_counts_once(app, world):
    organiser, asker = world["people"](2)
    gid = world["group"](organiser)
    with app.app_context():
        services.request_to_join(db.session.get(User, asker), db.session.get(Group, gid))
        db.session.commit()
        db.session.remove()

    def accept() -> None:
        services.accept_request(db.session.get(User, organiser), _load(gid, asker))

    outcomes = race(app, 6, "UPDATE group_memberships SET status", accept, [()] * 6)
    assert sorted(outcomes) == ["That request has already been answered."] * 5 + ["done"]
    assert state(app, gid) == (2, 2, 1)


def test_two_organisers_demoting_each_other_leave_one(app, world):
    first, second = world["people"](2)
    gid = world["group"](first)
    with app.app_context():
        group = db.session.get(Group, gid)
        services.invite(db.session.get(User, first), group, db.session.get(User, second).nickname)
        services.accept_invitation(db.session.get(User, second), _load(gid, second))
        services.promote(db.session.get(User, first), _load(gid, second))
        db.session.commit()
        db.session.remove()

    def demote(actor: int, target: int) -> None:
        services.demote(db.session.get(User, actor), _load(gid, target))

    outcomes = race(app, 2, "SELECT groups.id", demote, [(first, second), (second, first)])
    # The loser waits for the group's lock, then finds it is no longer an organiser itself.
    assert sorted(outcomes) == ["Only the group's organisers can do that.", "done"]
    assert state(app, gid) == (2, 2, 1)


def test_the_last_two_organisers_leaving_together_leave_one(app, world):
    first, second = world["people"](2)
    gid = world["group"](first)
    with app.app_context():
        group = db.session.get(Group, gid)
        services.invite(db.session.get(User, first), group, db.session.get(User, second).nickname)
        services.accept_invitation(db.session.get(User, second), _load(gid, second))
        services.promote(db.session.get(User, first), _load(gid, second))
        db.session.commit()
        db.session.remove()

    def leave(uid: int) -> None:
        services.leave(db.session.get(User, uid), db.session.get(Group, gid))

    outcomes = race(app, 2, "SELECT groups.id", leave, [(first,), (second,)])
    assert outcomes.count("done") == 1
    assert any("only organiser, so you cannot leave" in o for o in outcomes)
    assert state(app, gid) == (1, 1, 1)
