"""Votes at the same moment, on PostgreSQL with real commits: one vote per person, exact counters."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from civic.accounts.models import User
from civic.comments import services
from civic.comments.models import Comment, CommentVote
from civic.db import db
from civic.groups.models import Group
from tests import factories
from tests.support.race import committed, delete_people, race, real_commits, tag

pytestmark = [pytest.mark.postgres, pytest.mark.no_transaction]


@pytest.fixture
def world(app):
    """Committed people, a group and one comment on it; everything is deleted afterwards."""
    # Twenty sessions at once need twenty connections: the app's pool holds fifteen.
    with real_commits(app, connections=25):
        with committed(app):
            author, *voters = factories.people(21, prefix=f"voter_{tag()}")
            group = factories.empty_group(slug=f"race-{tag()}", description="Racing")
            comment = services.post_comment(author, "test_group", group.id, "Vote on me, all at once")
            made = {"author": author.id, "voters": [u.id for u in voters], "group": group.id, "comment": comment.id}
        yield made
        with committed(app):
            db.session.execute(delete(Comment).where(Comment.resource_type == "test_group",
                                                     Comment.resource_id == made["group"]))
            db.session.execute(delete(Group).where(Group.id == made["group"]))
            delete_people([made["author"], *made["voters"]])


def state(app, comment_id: int) -> tuple[int, int, int]:
    """(up_votes, down_votes, vote rows), read fresh."""
    with committed(app):
        up, down = db.session.execute(select(Comment.up_votes, Comment.down_votes)
                                      .where(Comment.id == comment_id)).one()
        rows = db.session.scalar(select(func.count()).select_from(CommentVote)
                                 .where(CommentVote.comment_id == comment_id))
    return up, down, rows


def _set_vote(user_id: int, comment_id: int, value: int) -> int:
    return services.set_vote(db.session.get(User, user_id), db.session.get(Comment, comment_id), value)


def test_twenty_parallel_up_votes_by_one_person_count_once(app, world):
    voter, cid = world["voters"][0], world["comment"]
    # Everyone has looked and found no vote; all twenty insert at once.
    outcomes = race(app, _set_vote, before="INSERT INTO comment_votes", calls=[(voter, cid, 1)] * 20)
    assert outcomes == [1] * 20  # each vote done (a refusal would be its message)
    assert state(app, cid) == (1, 0, 1)


def test_twenty_people_voting_in_parallel_count_twenty(app, world):
    cid = world["comment"]
    voters = world["voters"][:20]
    outcomes = race(app, _set_vote, before="UPDATE comments SET up_votes", calls=[(v, cid, 1) for v in voters])
    assert outcomes == [1] * 20  # each vote done (a refusal would be its message)
    assert state(app, cid) == (20, 0, 20)


def test_parallel_changes_from_up_to_down_move_both_counters_once(app, world):
    voter, cid = world["voters"][0], world["comment"]
    with committed(app):
        _set_vote(voter, cid, 1)
    outcomes = race(app, _set_vote, before="SELECT comment_votes.id", calls=[(voter, cid, -1)] * 10)
    assert outcomes == [-1] * 10
    assert state(app, cid) == (0, 1, 1)
