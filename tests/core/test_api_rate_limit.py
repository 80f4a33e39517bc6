"""Issue #13, item 6: rate-limit headers that are true.

Every ``/api/v1`` answer (success, refusal, an address that matches nothing) counts against the API's limit and
says where the client stands, in ``X-RateLimit-*`` and ``RateLimit-*``; with rate limiting off, no answer carries
them. Over the limit: 429 JSON with ``Retry-After``. With Redis, the count is one across servers.
"""

from __future__ import annotations

import uuid

import pytest
import requests
from flask import Flask

from civic.extensions import limiter
from tests.conftest import REDIS_URL
from tests.support.server import live_server

NAMES = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "RateLimit-Limit",
         "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy")


@pytest.fixture
def limits_on(app):
    """Rate limits on with fresh in-memory counters (the test app runs with them off; see tests/proposals)."""
    other = Flask("limits-on")
    other.config.update(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    limiter.init_app(other)
    limiter.reset()
    yield
    limiter.reset()
    limiter.enabled = False


def remaining(response) -> int:
    assert response.headers["X-RateLimit-Remaining"] == response.headers["RateLimit-Remaining"]
    return int(response.headers["RateLimit-Remaining"])


def test_every_api_answer_counts_and_says_so(client, limits_on):
    answers = [
        client.get("/api/v1/"),                                                     # 200
        client.get("/api/v1/me"),                                                   # 401 not signed in
        client.get("/api/v1/me", headers={"Authorization": "Bearer civic_wrong"}),  # 401 invalid token
        client.get("/api/v1/processes?per_page=1000"),                              # 400
        client.get("/api/v1/no-such-collection"),                                   # 404 (no route)
        client.post("/api/v1/me"),                                                  # 405
        client.options("/api/v1/processes", headers={"Origin": "https://example.org",
                                                     "Access-Control-Request-Method": "GET"}),
    ]
    assert [a.status_code for a in answers] == [200, 401, 401, 400, 404, 405, 200]
    for answer in answers:
        assert all(name in answer.headers for name in NAMES), (answer.status_code, dict(answer.headers))
        assert answer.headers.getlist("X-RateLimit-Limit") == ["300"]  # never doubled by the limiter's own
        assert answer.headers["RateLimit-Policy"] == "300;w=60"
        assert 0 < int(answer.headers["RateLimit-Reset"]) <= 60
        assert "Retry-After" not in answer.headers or answer.status_code >= 400
    assert [remaining(a) for a in answers] == list(range(299, 292, -1))
    # A public read tells a cross-site script the figures too.
    exposed = answers[0].headers["Access-Control-Expose-Headers"]
    assert "RateLimit-Remaining" in exposed and "X-RateLimit-Reset" in exposed


def test_over_the_limit_is_429_json_with_retry_after(app, client, limits_on, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3 per minute")
    assert [remaining(client.get("/api/v1/")) for _ in range(3)] == [2, 1, 0]
    refused = client.get("/api/v1/")
    assert refused.status_code == 429 and refused.json["code"] == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert remaining(refused) == 0 and refused.headers["RateLimit-Limit"] == "3"
    # Another client (another address) has its own count.
    other = client.get("/api/v1/", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 200 and remaining(other) == 2


def test_with_rate_limiting_off_no_answer_carries_the_headers(client):
    for answer in (client.get("/api/v1/"), client.get("/api/v1/nope"), client.get("/api/v1/me")):
        assert not [name for name in NAMES if name in answer.headers]


@pytest.mark.redis
def test_two_servers_on_one_redis_share_one_count(tmp_path):
    """Two gunicorn servers (2 workers each) on the same Redis: alternate requests count down one counter.
    With the in-memory storage each worker would count for itself and the figures would repeat."""
    env = {"CIVIC_REDIS_URL": REDIS_URL, "CIVIC_JOB_QUEUE": "thread",
           "CIVIC_RATELIMIT_KEY_PREFIX": f"civic-test-{uuid.uuid4().hex}", "CIVIC_API_RATE_LIMIT": "1000 per hour"}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with live_server(tmp_path / "a", env=env) as first, live_server(tmp_path / "b", env=env) as second:
        figures = []
        for n in range(12):
            site = (first, second)[n % 2]
            answer = requests.get(f"{site.url}/api/v1/", timeout=30, headers={"Connection": "close"})
            assert answer.status_code == 200
            figures.append(remaining(answer))
    assert figures == list(range(999, 987, -1))
