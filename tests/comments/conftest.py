"""Fixtures for comments: two test-only commentable resource types on existing tables, people and comments.

- ``test_group``: a community group (``civic.groups.models.Group``) whose hooks the test controls through
  ``switches`` (open or closed with a message, readable, visible); its comment counter is the group's
  ``members_count`` column, moved in SQL by ``on_comment_count`` (a stand-in: no table is made for tests).
  Its ``url`` is the comments page of the group, so redirects land where the thread is shown.
- ``test_process``: a participatory process whose commenting follows its phases through
  ``civic.spaces.services.require_phase``, as a real domain does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from flask import url_for
from sqlalchemy import select, update

from civic import resources
from civic.accounts.models import User
from civic.comments import services
from civic.comments.models import Comment
from civic.db import db, utcnow
from civic.errors import RuleViolation
from civic.groups.models import Group
from civic.spaces.models import Process
from civic.spaces.services import require_phase
from tests import factories
from tests.support.pages import field_error, main_text  # noqa: F401 - for tests


@dataclass
class Switches:
    open: bool | str = True  # what may_comment answers
    readable: bool = True
    invisible: set[int] = field(default_factory=set)  # group ids nobody may see
    deltas: list[tuple[int, int]] = field(default_factory=list)  # (group id, delta) given to on_comment_count

    def reset(self) -> None:
        self.__init__()


SWITCHES = Switches()


def _group_count(group: Group, delta: int) -> None:
    SWITCHES.deltas.append((group.id, delta))
    db.session.execute(update(Group).where(Group.id == group.id).values(members_count=Group.members_count + delta))


def _process_may_comment(user, process: Process):
    try:
        require_phase(process, "comment")
    except RuleViolation as e:
        return e.message
    return True


@pytest.fixture(autouse=True)
def switches():
    SWITCHES.reset()
    resources.register(resources.ResourceType(
        "test_group", Group, "Test group",
        url=lambda g: url_for("comments.index", resource_type="test_group", resource_id=g.id),
        title=lambda g: g.name,
        visible=lambda user, g: g.id not in SWITCHES.invisible,
        comments=resources.CommentHooks(may_comment=lambda user, g: SWITCHES.open,
                                        readable=lambda g: SWITCHES.readable, on_count=_group_count),
    ))
    resources.register(resources.ResourceType(
        "test_process", Process, "Test process",
        url=lambda p: url_for("comments.index", resource_type="test_process", resource_id=p.id),
        title=lambda p: p.title,
        visible=lambda user, p: p.is_published,
        comments=resources.CommentHooks(may_comment=_process_may_comment, readable=lambda p: p.is_published),
    ))
    yield SWITCHES
    # The registry has no unregister: take the test types out so no other package's tests see them.
    resources._resources.pop("test_group", None)
    resources._resources.pop("test_process", None)


@pytest.fixture
def people():
    """``people(n)``: n confirmed residents without a password (hashing is slow), committed to the savepoint."""
    return factories.people


@pytest.fixture
def group():
    """A group to comment on (its members_count stands for the comment counter and starts at 0)."""
    k = factories.unique()
    return factories.empty_group(slug=f"commented-{k}", name=f"Commented group {k}")


@pytest.fixture
def make_process():
    """``make_process(commenting=True)``: a published process whose running phase allows comments or not (an
    earlier one allowed them)."""

    def make(*, commenting: bool = True) -> Process:
        now = utcnow()
        return factories.process(phases=[
            factories.phase("Talk it over", now - timedelta(days=10), now - timedelta(days=1), "comment"),
            {**factories.phase("Decisions", now - timedelta(days=1), now + timedelta(days=10), "answer"),
             "allow_comment": commenting},
        ])

    return make


@pytest.fixture
def post(group):
    """``post(user, body, parent=None, alignment=0)``: a comment on the test group through the service."""

    def make(user: User, body: str = "A thought.", parent: Comment | None = None, alignment: int = 0,
             on: Group | None = None) -> Comment:
        if parent is not None:
            c = services.reply(user, parent, body, alignment)
        else:
            c = services.post_comment(user, "test_group", (on or group).id, body, alignment)
        db.session.commit()
        return c

    return make


@pytest.fixture
def published(published_events):
    """The events published while the test runs: [(name, subject, data)]."""
    return published_events


def fresh(model, ident):
    """An object read again from the database (counters are changed in SQL)."""
    return db.session.scalar(select(model).where(model.id == ident).execution_options(populate_existing=True))


def article(response, comment_id: int) -> str:
    """The HTML of one comment's <article> on a page."""
    body = response.get_data(as_text=True)
    match = re.search(rf'<article class="comment" id="comment-{comment_id}">(.*?)</article>', body, flags=re.S)
    assert match, f"comment {comment_id} is not on the page"
    return match.group(1)
