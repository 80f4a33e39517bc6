"""Writes safe to retry: ``Idempotency-Key`` on the API's POSTs, 201 with ``Location``, comments with a ``url``."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from civic import idempotency, schedule
from civic.comments.models import Comment
from civic.db import db, utcnow
from civic.idempotency import IdempotencyKey
from tests.proposals.test_api_auth import bearer, token_for


def comments_on(proposal) -> int:
    return db.session.scalar(select(func.count()).select_from(Comment).where(Comment.resource_id == proposal.id))


def post_comment(client, proposal, headers, key=None, **body):
    extra = {idempotency.HEADER: key} if key else {}
    return client.post(f"/api/v1/proposals/{proposal.id}/comments", headers={**headers, **extra},
                       json=body or {"body": "Count me in", "alignment": "in_favour"})


def test_the_same_comment_twice_with_one_key_makes_one_comment(client, make_user, open_proposal):
    headers = bearer(token_for(make_user("resident")))
    first = post_comment(client, open_proposal, headers, "4b0c6a1e-retry-me")
    again = post_comment(client, open_proposal, headers, "4b0c6a1e-retry-me")
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert comments_on(open_proposal) == 1


def test_without_a_key_each_post_is_a_new_comment(client, make_user, open_proposal):
    headers = bearer(token_for(make_user("resident")))
    post_comment(client, open_proposal, headers)
    post_comment(client, open_proposal, headers)
    assert comments_on(open_proposal) == 2


def test_the_same_key_with_another_body_is_422_and_writes_nothing(client, make_user, open_proposal):
    headers = bearer(token_for(make_user("resident")))
    post_comment(client, open_proposal, headers, "key-1")
    response = post_comment(client, open_proposal, headers, "key-1", body="Something else entirely")
    assert response.status_code == 422
    assert response.json["code"] == "idempotency_key_reused" and response.json["field"] == "Idempotency-Key"
    assert comments_on(open_proposal) == 1
    other_path = client.post(f"/api/v1/proposals/{open_proposal.id}/support",
                             headers={**headers, idempotency.HEADER: "key-1"})
    assert other_path.status_code == 422 and other_path.json["code"] == "idempotency_key_reused"


def test_keys_are_each_persons_own(client, make_user, open_proposal):
    post_comment(client, open_proposal, bearer(token_for(make_user("resident"))), "shared-key")
    second = post_comment(client, open_proposal, bearer(token_for(make_user("resident"))), "shared-key")
    assert second.status_code == 201 and "Idempotent-Replayed" not in second.headers
    assert comments_on(open_proposal) == 2


def test_a_refused_request_does_not_use_up_its_key(client, make_user, open_proposal):
    headers = bearer(token_for(make_user("resident")))
    refused = post_comment(client, open_proposal, headers, "fix-and-retry", body="   ")
    assert refused.status_code == 422 and refused.json["code"] == "validation_failed"
    fixed = post_comment(client, open_proposal, headers, "fix-and-retry", body="Now with words")
    assert fixed.status_code == 201 and comments_on(open_proposal) == 1


def test_a_key_that_is_not_one_is_400(client, make_user, open_proposal):
    response = post_comment(client, open_proposal, bearer(token_for(make_user("resident"))), "é" * 3)
    assert response.status_code == 400 and response.json["field"] == "Idempotency-Key"
    assert comments_on(open_proposal) == 0


def test_expired_keys_are_deleted_by_the_scheduled_task(app, client, make_user, open_proposal):
    user = make_user("resident")
    headers = bearer(token_for(user))
    post_comment(client, open_proposal, headers, "old-key")
    post_comment(client, open_proposal, headers, "new-key")
    db.session.execute(update(IdempotencyKey).where(IdempotencyKey.key == "old-key")
                       .values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert idempotency.delete_expired() == "expired idempotency keys deleted: 1"
    left = db.session.scalars(select(IdempotencyKey.key).where(IdempotencyKey.user_id == user.id)).all()
    assert left == ["new-key"]
    assert idempotency.TASK in {t.name for t in schedule.tasks()}
    # An expired key is new again: the same request makes a new comment.
    db.session.execute(update(IdempotencyKey).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert "Idempotent-Replayed" not in post_comment(client, open_proposal, headers, "new-key").headers
    assert comments_on(open_proposal) == 3


def test_created_things_are_201_with_location_and_comments_have_their_url(client, make_user, open_proposal):
    headers = bearer(token_for(make_user("verified")))
    made = post_comment(client, open_proposal, headers)
    page = f"http://civic.test/proposals/{open_proposal.id}"
    assert made.status_code == 201
    assert made.json["url"] == f"{page}#comment-{made.json['id']}" == made.headers["Location"]
    reply = post_comment(client, open_proposal, headers, body="A reply", parent_id=made.json["id"])
    thread = client.get(f"/api/v1/proposals/{open_proposal.id}/comments").json["items"]
    assert thread[0]["url"] == made.json["url"]
    assert thread[0]["replies"][0]["url"] == f"{page}#comment-{reply.json['id']}"
    supported = client.post(f"/api/v1/proposals/{open_proposal.id}/support", headers=headers)
    assert supported.status_code == 201
    assert supported.headers["Location"] == f"http://civic.test/api/v1/proposals/{open_proposal.id}/support"
    again = client.post(f"/api/v1/proposals/{open_proposal.id}/support", headers=headers)
    assert again.status_code == 200 and "Location" not in again.headers
