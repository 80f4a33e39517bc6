"""Organisers acting at the same moment, on PostgreSQL with real commits: counts and the last organiser hold."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from civic.accounts.models import User
from civic.db import db
from civic.groups import services
from civic.groups.models import Group, Membership
from tests import factories
from tests.support.race import committed, delete_people, race, real_commits, tag

pytestmark = [pytest.mark.postgres, pytest.mark.no_transaction]


@pytest.fixture
def world(app):
    """``people(n)`` and ``group(organiser_id)`` committed for real; everything is deleted afterwards."""
    prefix = f"race_{tag()}"
    made: dict = {"users": [], "groups": []}

    def people(n: int) -> list[int]:
        with committed(app):
            ids = [u.id for u in factories.people(n, prefix=prefix)]
        made["users"] += ids
        return ids

    def group(organiser_id: int) -> int:
        with committed(app):
            gid = factories.group(db.session.get(User, organiser_id), name=f"Race group {prefix}",
                                  description="Racing").id
        made["groups"].append(gid)
        return gid

    made["people"], made["group"] = people, group
    with real_commits(app):
        yield made
        with committed(app):
            db.session.execute(delete(Group).where(Group.id.in_(made["groups"])))
            delete_people(made["users"])


def state(app, group_id: int) -> tuple[int, int, int]:
    """(stored counter, active members, active organisers), read fresh."""
    with committed(app):
        counter = db.session.scalar(select(Group.members_count).where(Group.id == group_id))
        active = db.session.scalar(select(func.count()).where(Membership.group_id == group_id,
                                                              Membership.status == "active"))
        organisers = db.session.scalar(select(func.count()).where(Membership.group_id == group_id,
                                                                  Membership.status == "active",
                                                                  Membership.role == "organiser"))
    return counter, active, organisers


def _load(group_id: int, user_id: int) -> Membership:
    return db.session.scalar(select(Membership).where(Membership.group_id == group_id,
                                                      Membership.user_id == user_id))


def two_organisers(app, world) -> tuple[int, int, int]:
    """(first, second, group id): a group with two active organisers."""
    first, second = world["people"](2)
    gid = world["group"](first)
    with committed(app):
        group = db.session.get(Group, gid)
        services.invite(db.session.get(User, first), group, db.session.get(User, second).nickname)
        services.accept_invitation(db.session.get(User, second), _load(gid, second))
        services.promote(db.session.get(User, first), _load(gid, second))
    return first, second, gid


def test_parallel_acceptances_count_every_member_once(app, world):
    organiser, *askers = world["people"](9)
    gid = world["group"](organiser)
    with committed(app):
        for uid in askers:
            services.request_to_join(db.session.get(User, uid), db.session.get(Group, gid))

    def accept(uid: int) -> str:
        services.accept_request(db.session.get(User, organiser), _load(gid, uid))
        return "done"

    outcomes = race(app, accept, before="UPDATE groups SET members_count", calls=[(u,) for u in askers])
    assert outcomes == ["done"] * len(askers)
    assert state(app, gid) == (1 + len(askers), 1 + len(askers), 1)


def test_a_request_accepted_by_many_clicks_counts_once(app, world):
    organiser, asker = world["people"](2)
    gid = world["group"](organiser)
    with committed(app):
        services.request_to_join(db.session.get(User, asker), db.session.get(Group, gid))

    def accept() -> str:
        services.accept_request(db.session.get(User, organiser), _load(gid, asker))
        return "done"

    outcomes = race(app, accept, before="UPDATE group_memberships SET status", calls=[()] * 6)
    assert sorted(outcomes) == ["That request has already been answered."] * 5 + ["done"]
    assert state(app, gid) == (2, 2, 1)


def test_two_organisers_demoting_each_other_leave_one(app, world):
    first, second, gid = two_organisers(app, world)

    def demote(actor: int, target: int) -> str:
        services.demote(db.session.get(User, actor), _load(gid, target))
        return "done"

    outcomes = race(app, demote, before="SELECT groups.id", calls=[(first, second), (second, first)])
    # The loser waits for the group's lock, then finds it is no longer an organiser itself.
    assert sorted(outcomes) == ["Only the group's organisers can do that.", "done"]
    assert state(app, gid) == (2, 2, 1)


def test_the_last_two_organisers_leaving_together_leave_one(app, world):
    first, second, gid = two_organisers(app, world)

    def leave(uid: int) -> str:
        services.leave(db.session.get(User, uid), db.session.get(Group, gid))
        return "done"

    outcomes = race(app, leave, before="SELECT groups.id", calls=[(first,), (second,)])
    assert outcomes.count("done") == 1
    assert any("only organiser, so you cannot leave" in o for o in outcomes)
    assert state(app, gid) == (1, 1, 1)
