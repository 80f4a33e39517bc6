"""Item 5: one log format (plain or JSON), a request id on every line that follows the request into its jobs,
an access log, and security events without personal data in clear."""

from __future__ import annotations

import io
import json
import logging
import logging.config

import pytest

from civic import logs
from tests.factories import PASSWORD


@pytest.fixture
def json_lines():
    """Everything logged while the test runs, as the JSON lines CIVIC_LOG_FORMAT=json writes."""
    stream = io.StringIO()
    handler = logs.handler("json", stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_a_request_its_access_line_and_its_mail_job_share_one_id(client, json_lines):
    r = client.post("/sign-up", data={"display_name": "Ann Example", "nickname": "annex", "email": "ann@example.org",
                                      "password": PASSWORD, "password_confirm": PASSWORD, "accept_terms": "y"})
    assert r.status_code in (200, 302)
    request_id = r.headers["X-Request-ID"]
    lines = json_lines()
    mine = [line for line in lines if line["request_id"] == request_id]
    assert any(line["logger"] == "civic.access" and line["path"] == "/sign-up" and line["status"] == r.status_code
               for line in mine)
    sent = [line for line in mine if line["logger"] == "civic.mail"]
    assert sent, lines  # the mail job ran in a thread of its own and logged with the request's id
    assert all("ann@example.org" not in json.dumps(line) for line in lines if line["logger"].startswith("civic"))


def test_failed_throttled_and_locked_sign_ins_are_security_events_without_addresses(app, client, make_user,
                                                                                    json_lines, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNIN_MAX_FAILURES", 2)
    user = make_user(email="bea@example.org")
    for _ in range(3):
        client.post("/sign-in", data={"email": "bea@example.org", "password": "wrong password here"})
    events = [line for line in json_lines() if line["logger"] == "civic.security"]
    kinds = [e["event"] for e in events]
    assert kinds == ["signin.failed", "signin.failed", "signin.locked", "signin.throttled"]
    assert events[0]["user_id"] == user.id
    assert events[0]["email"] == logs.fingerprint("bea@example.org") != "bea@example.org"
    assert all("bea@example.org" not in json.dumps(e) and "127.0.0.1" not in json.dumps(e) for e in events)


def test_role_changes_and_tokens_are_security_events(client_as, make_user, json_lines):
    from civic.accounts import api_tokens, services

    admin = make_user("admin")
    person = make_user()
    services.grant_role(admin, person, "officer")
    api_tokens.create_token(person, "script", PASSWORD)
    events = [(e["event"], e.get("user_id")) for e in json_lines() if e["logger"] == "civic.security"]
    assert events == [("role.granted", person.id), ("token.created", person.id)]


def test_the_plain_format_carries_the_request_id_too():
    stream = io.StringIO()
    logger = logging.getLogger("civic.test-plain")
    logger.propagate = False
    logger.addHandler(logs.handler("plain", stream))
    token = logs.REQUEST_ID.set("abcdef0123456789")
    try:
        logger.warning("hello")
    finally:
        logs.REQUEST_ID.reset(token)
        logger.handlers.clear()
    assert "WARNING civic.test-plain [abcdef0123456789] hello" in stream.getvalue()


def test_gunicorn_logs_in_the_same_format():
    config = logs.gunicorn_logconfig("json")
    assert config["formatters"]["civic"] == {"()": "civic.logs.JSONFormatter"}
    assert set(config["loggers"]) == {"gunicorn.error", "gunicorn.access"}
    logging.config.dictConfig({**config, "loggers": {}})  # a valid dictConfig
