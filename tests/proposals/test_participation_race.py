"""Supports racing on PostgreSQL with real commits, one session per thread: limits and counts hold.

The requests are held at a line just before the statement that decides (the conditional UPDATE of the
participant's budget, or the creation of the budget row) so that they really collide in the database.
The app's engine keeps at most 15 connections, so 10 requests wait at the line together at a time; every
request of the 50 goes through it.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from civic.accounts import roles
from civic.accounts.models import User
from civic.db import db, utcnow
from civic.spaces.models import Process
from proposals import supports
from proposals.models import Proposal, Support, SupportBudget
from tests import factories
from tests.proposals import factories as proposals
from tests.support.race import committed, delete_people, race, real_commits, tag

pytestmark = [pytest.mark.postgres, pytest.mark.no_transaction]

AT_ONCE = 10


@pytest.fixture
def world(app):
    """A process open for supports, committed for real; ``make(n_users, n_proposals, **settings)``.

    Everything made is deleted afterwards."""
    prefix = f"racer_{tag()}"
    made: dict[str, list[int]] = {"users": [], "processes": []}

    def make(n_users: int, n_proposals: int, **settings) -> tuple[int, list[int], list[int]]:
        with committed(app):
            now = utcnow()
            process = proposals.process(phases=[factories.phase("Supports", now - timedelta(days=1),
                                                                now + timedelta(days=1), "support")], **settings)
            author, *users = factories.people(1 + n_users, prefix=prefix, roles=[roles.VERIFIED])
            made_proposals = [proposals.proposal(process, author, title=f"Racing proposal {i}", body="Fast.",
                                                 commit=False) for i in range(n_proposals)]
            made["processes"].append(process.id)
            made["users"] += [author.id, *(u.id for u in users)]
            return process.id, [u.id for u in users], [p.id for p in made_proposals]

    with real_commits(app):
        yield make
        with committed(app):
            # Proposals, supports and budgets go with their process.
            db.session.execute(delete(Process).where(Process.id.in_(made["processes"])))
            delete_people(made["users"])
        with committed(app):
            assert db.session.scalar(select(func.count()).where(Support.process_id.in_(made["processes"]))) == 0


def do(action: str, user_id: int, proposal_id: int) -> str:
    """What one request does: support or unsupport."""
    done = getattr(supports, action)(db.session.get(User, user_id), db.session.get(Proposal, proposal_id))
    return "done" if done else "no change"


def act(app, action: str, user_id: int, proposal_id: int) -> str:
    """One request alone: its own session and connection, committing for real (or rolling back on a refusal)."""
    return race(app, do, [(action, user_id, proposal_id)])[0]


def state(app, process_id: int) -> tuple[dict[int, int], dict[int, int], dict[int, int], dict[int, int], dict]:
    """(supports_count per proposal, counted supports per proposal, budget used per user, supports per user,
    counted flags per user), read fresh."""
    with committed(app):
        stored = dict(db.session.execute(select(Proposal.id, Proposal.supports_count)
                                         .where(Proposal.process_id == process_id)).all())
        counted = {pid: 0 for pid in stored}
        counted.update(db.session.execute(select(Support.proposal_id, func.count())
                                          .where(Support.process_id == process_id, Support.counted.is_(True))
                                          .group_by(Support.proposal_id)).all())
        used = dict(db.session.execute(select(SupportBudget.user_id, SupportBudget.used)
                                       .where(SupportBudget.process_id == process_id)).all())
        given = dict(db.session.execute(select(Support.user_id, func.count()).where(Support.process_id == process_id)
                                        .group_by(Support.user_id)).all())
        flags: dict[int, set[bool]] = {}
        for uid, flag in db.session.execute(select(Support.user_id, Support.counted)
                                            .where(Support.process_id == process_id)):
            flags.setdefault(uid, set()).add(flag)
    return stored, counted, used, given, flags


def test_fifty_parallel_supports_near_the_limit_leave_exact_counts(app, world):
    limit = 3
    process_id, users, proposals = world(5, 11, support_limit=limit)
    warm_up, racing = proposals[0], proposals[1:]
    for uid in users:  # each has 1 of their 3 supports left... 2 left: near the limit
        assert act(app, "support", uid, warm_up) == "done"

    calls = [("support", uid, pid) for uid in users for pid in racing]  # 5 x 10 = 50
    outcomes = race(app, do, calls, before="UPDATE support_budgets SET used=", at_once=AT_ONCE)

    tally = Counter(outcomes)
    assert tally == {"done": 5 * (limit - 1), f"You have used all {limit} of your supports in this process.": 40}
    stored, counted, used, given, _ = state(app, process_id)
    assert stored == counted  # every proposal's count is exactly its counted supports
    assert sum(stored.values()) == 5 * limit
    assert used == {uid: limit for uid in users}  # nobody over the limit
    assert given == used


def test_ten_clicks_on_one_proposal_give_one_support(app, world):
    process_id, (uid,), (pid,) = world(1, 1, support_limit=3)
    # Held before creating the budget row: all ten find none, one creates it, the others re-read it.
    outcomes = race(app, do, [("support", uid, pid)] * 10, before="INSERT INTO support_budgets", at_once=AT_ONCE)
    assert sorted(outcomes) == ["done"] + ["no change"] * 9
    stored, counted, used, given, _ = state(app, process_id)
    assert stored == counted == {pid: 1}
    assert used == given == {uid: 1}


def test_parallel_supports_and_withdrawals_around_the_minimum_keep_counts_exact(app, world):
    minimum = 3
    process_id, users, proposals = world(5, 6, min_supports=minimum)
    first, rest = proposals[:2], proposals[2:]
    for uid in users:  # two supports each: one short of the minimum, none counted yet
        for pid in first:
            assert act(app, "support", uid, pid) == "done"
    assert sum(state(app, process_id)[0].values()) == 0

    # Each person supports four more while withdrawing one of their first two, all at once: the counts pass
    # the minimum, and some fall back under it and up again, in whatever order the database takes them.
    calls = [(a, uid, pid) for uid in users
             for a, pid in [("support", rest[0]), ("support", rest[1]), ("unsupport", first[0]),
                            ("support", rest[2]), ("support", rest[3]), ("unsupport", first[1])]]
    outcomes = race(app, do, calls, before="UPDATE support_budgets SET used=", at_once=AT_ONCE)
    assert outcomes == ["done"] * len(calls)

    stored, counted, used, given, flags = state(app, process_id)
    assert stored == counted
    assert used == given
    for uid in users:
        # All of a person's supports count, or none does, as their number says.
        assert flags[uid] == {given[uid] >= minimum}


def test_minimum_and_closing_threshold_never_pass_the_threshold(app, world):
    """Issue #12, item 14: people reaching the minimum (their earlier supports start to count) and people
    supporting directly race for the last places under a closing threshold: exactly the threshold counts."""
    threshold, minimum = 10, 2
    process_id, users, proposals = world(14, 15, min_supports=minimum, threshold=threshold,
                                         close_at_threshold=True)
    target, own = proposals[0], proposals[1:]
    waiting, direct = users[:7], users[7:]
    for uid in waiting:  # one support each on the target: below the minimum, not counted yet
        assert act(app, "support", uid, target) == "done"
    for uid, pid in zip(direct, own[7:], strict=True):  # the minimum reached elsewhere... nearly: 1 of 2
        assert act(app, "support", uid, pid) == "done"
    for uid, pid in zip(direct, own[:7], strict=True):  # ...and now 2 of 2: their supports count
        assert act(app, "support", uid, pid) == "done"
    assert state(app, process_id)[0][target] == 0

    # The waiting people reach the minimum on a proposal of their own (their target support would count) while
    # the others support the target directly: 14 candidates for 10 places, in one wave.
    calls = [call for w, uid, pid in zip(waiting, direct, own[7:], strict=True)
             for call in (("support", w, pid), ("support", uid, target))]
    outcomes = race(app, do, calls, before="UPDATE support_budgets SET used=", at_once=14)

    stored, counted, used, given, _ = state(app, process_id)
    assert stored[target] == threshold  # not 11-13
    assert stored == counted
    assert used == given
    closed = f"This proposal has reached its threshold of {threshold} supports, so supporting it is closed."
    assert set(outcomes[0::2]) == {"done"}  # reaching the minimum always works; the target may stay uncounted
    assert set(outcomes[1::2]) <= {"done", closed}
    with committed(app):
        uncounted = db.session.scalar(select(func.count()).where(Support.proposal_id == target,
                                                                 Support.counted.is_(False)))
    assert uncounted == 7 - (threshold - outcomes[1::2].count("done"))  # given, kept, not counted
