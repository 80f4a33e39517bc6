"""Moderation tests reuse the proposals factories (a process, proposals) and add comments and reports."""

from __future__ import annotations

import pytest

from civic.comments.models import Comment
from civic.db import db
from civic.moderation import services
from tests.conftest import sign_in_client
from tests.proposals.conftest import make_process, make_proposal, published_events  # noqa: F401 - fixtures


@pytest.fixture
def make_comment():
    def make(proposal, author, body: str = "A comment that someone may dislike.") -> Comment:
        comment = Comment(resource_type="proposal", resource_id=proposal.id, author_id=author.id, body=body)
        db.session.add(comment)
        db.session.commit()
        return comment

    return make


@pytest.fixture
def report_by(make_user):
    """``report_by(n, resource_type, resource_id)``: n new residents each report it (through the service)."""
    def report(n: int, resource_type: str, resource_id: int, reason: str = "offensive"):
        for _ in range(n):
            services.report(make_user("resident"), resource_type, resource_id, reason)
        db.session.commit()

    return report


@pytest.fixture
def signed_in(app):
    def make(user):
        client = app.test_client()
        sign_in_client(client, user)
        return client

    return make
