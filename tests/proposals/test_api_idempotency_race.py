"""Two requests with one Idempotency-Key at the same moment, on PostgreSQL with real commits: one comment."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from civic import idempotency
from civic.accounts import api_tokens
from civic.accounts.models import ApiToken
from civic.comments.models import Comment
from civic.db import db, utcnow
from civic.idempotency import IdempotencyKey
from civic.spaces.models import Process
from tests import factories
from tests.proposals import factories as proposals
from tests.support.race import committed, delete_people, race, real_commits, tag

pytestmark = [pytest.mark.postgres, pytest.mark.no_transaction]


@pytest.fixture
def world(app):
    """A committed proposal open for comments and a person with a token; everything is deleted afterwards."""
    with real_commits(app):
        with committed(app):
            now = utcnow()
            process = proposals.process(phases=[factories.phase("Comments", now - timedelta(days=1),
                                                                now + timedelta(days=1), "comment")])
            author, commenter = factories.people(2, prefix=f"retry_{tag()}")
            proposal = proposals.proposal(process, author, title="Racing comments", body="Twice?", commit=False)
            raw = api_tokens.PREFIX + secrets.token_urlsafe(32)
            # Used just now: the racers do not queue on noting its use (an UPDATE of the token's row).
            db.session.add(ApiToken(user_id=commenter.id, name="Race", token_hash=api_tokens.digest(raw),
                                    last_used_at=now))
            made = {"process": process.id, "proposal": proposal.id, "people": [author.id, commenter.id],
                    "token": raw, "commenter": commenter.id}
        yield made
        with committed(app):
            db.session.execute(delete(Comment).where(Comment.resource_type == "proposal",
                                                     Comment.resource_id == made["proposal"]))
            db.session.execute(delete(Process).where(Process.id == made["process"]))
            delete_people(made["people"], audit_of=("proposal", [made["proposal"]]))


def test_two_racing_posts_with_one_key_make_one_comment(app, world):
    def post(key: str) -> tuple[int, str, str | None]:
        response = app.test_client().post(
            f"/api/v1/proposals/{world['proposal']}/comments", json={"body": "Sent twice by a flaky network"},
            headers={"Authorization": f"Bearer {world['token']}", idempotency.HEADER: key})
        return response.status_code, response.get_data(as_text=True), response.headers.get("Idempotent-Replayed")

    key = f"race-{tag()}"
    outcomes = race(app, post, [(key,), (key,)], before="INSERT INTO idempotency_keys")
    assert [status for status, _body, _replayed in outcomes] == [201, 201]
    assert outcomes[0][1] == outcomes[1][1]  # the same comment, the second time replayed
    assert sorted(str(replayed) for _s, _b, replayed in outcomes) == ["None", "true"]
    with committed(app):
        assert db.session.scalar(select(func.count()).select_from(Comment)
                                 .where(Comment.resource_type == "proposal",
                                        Comment.resource_id == world["proposal"])) == 1
        assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)
                                 .where(IdempotencyKey.user_id == world["commenter"])) == 1
