"""The API's errors on the proposals endpoints: 422 for a refused field, 409 for a rule of the state, 415 for
a body of the wrong type, 429 as JSON with Retry-After (downloads included) and Retry-After never on a
success."""

from __future__ import annotations

from sqlalchemy import func, select

from civic.comments.models import Comment
from civic.db import db
from tests.proposals.test_api_auth import bearer, token_for


def comments_on(proposal) -> int:
    return db.session.scalar(select(func.count()).select_from(Comment).where(Comment.resource_id == proposal.id))


def test_an_empty_comment_is_422_validation_failed_naming_the_field(client, make_user, open_proposal):
    response = client.post(f"/api/v1/proposals/{open_proposal.id}/comments",
                           headers=bearer(token_for(make_user("resident"))), json={"body": "  "})
    assert response.status_code == 422
    assert response.json["code"] == "validation_failed" and response.json["field"] == "body"
    assert comments_on(open_proposal) == 0


def test_a_closed_phase_is_409_conflict(client, make_user, make_process, make_proposal):
    proposal = make_proposal(make_process(allow_comment=False), make_user("resident"))
    response = client.post(f"/api/v1/proposals/{proposal.id}/comments",
                           headers=bearer(token_for(make_user("resident"))), json={"body": "Too late?"})
    assert response.status_code == 409 and response.json["code"] == "conflict"
    assert "field" not in response.json


def test_a_body_of_the_wrong_type_is_415(client, make_user, open_proposal):
    response = client.post(f"/api/v1/proposals/{open_proposal.id}/comments",
                           headers={**bearer(token_for(make_user("resident"))), "Content-Type": "text/plain"},
                           data="A comment sent as plain text")
    assert response.status_code == 415, response.get_data(as_text=True)
    assert response.json["code"] == "unsupported_media_type" and "text/plain" in response.json["error"]
    assert comments_on(open_proposal) == 0


def test_a_bad_filter_is_400_bad_request(client, open_proposal):
    response = client.get(f"/api/v1/processes/{open_proposal.process.slug}/proposals?order=sideways")
    assert response.status_code == 400
    assert response.json["code"] == "bad_request" and response.json["field"] == "order"


def test_429_is_json_with_retry_after_and_a_success_has_none(client, make_user, open_proposal, limits_on):
    headers = bearer(token_for(make_user("verified")))
    url = f"/api/v1/proposals/{open_proposal.id}/support"
    first = client.delete(url, headers=headers)
    assert first.status_code == 200 and "Retry-After" not in first.headers
    for _ in range(59):
        client.delete(url, headers=headers)
    refused = client.delete(url, headers=headers)
    assert refused.status_code == 429 and refused.json["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0


def test_a_download_over_its_limit_is_json_429_with_retry_after(client, open_proposal, limits_on):
    url = f"/processes/{open_proposal.process.slug}/proposals/export.csv"
    first = client.get(url)
    assert first.status_code == 200 and "Retry-After" not in first.headers
    for _ in range(29):
        client.get(url)
    refused = client.get(url)
    assert refused.status_code == 429 and refused.is_json
    assert refused.json["code"] == "rate_limited" and int(refused.headers["Retry-After"]) > 0


def test_a_write_tells_the_tighter_of_its_two_limits(client, make_user, open_proposal, limits_on):
    headers = bearer(token_for(make_user("verified")))
    url = f"/api/v1/proposals/{open_proposal.id}/support"
    for _ in range(3):
        client.get(f"/api/v1/proposals/{open_proposal.id}", headers=headers)
    write = client.delete(url, headers=headers)
    # The person's API count is at 296 of 300; the write limit at 59 of 60: the headers tell the write limit.
    assert write.status_code == 200
    assert write.headers["RateLimit-Limit"] == write.headers["X-RateLimit-Limit"] == "60"
    assert write.headers["RateLimit-Remaining"] == "59"
    assert write.headers["RateLimit-Policy"] == "300;w=60, 60;w=60"
    read = client.get(f"/api/v1/proposals/{open_proposal.id}", headers=headers)
    assert read.headers["RateLimit-Limit"] == "300" and read.headers["RateLimit-Remaining"] == "295"
