"""/readyz and flask civic check with the Redis queue (issue 21): Redis, the backlog and the worker's heartbeat."""

from __future__ import annotations

import uuid

import pytest
from rq import Worker

pytestmark = pytest.mark.redis


def checks(client) -> tuple[int, dict]:
    r = client.get("/readyz")
    return r.status_code, r.get_json()["checks"]


def test_no_worker_is_not_ready_and_a_heartbeat_is(client, rq_queue):
    status, found = checks(client)
    assert status == 503
    assert found["redis"]["ok"] and found["job backlog"]["ok"]
    assert not found["worker"]["ok"] and "flask civic worker" in found["worker"]["detail"]
    worker = Worker([rq_queue.queue], connection=rq_queue.connection, name=f"readyz-{uuid.uuid4().hex[:8]}")
    worker.register_birth()
    try:
        worker.heartbeat()
        status, found = checks(client)
        assert status == 200 and found["worker"]["ok"], found
    finally:
        worker.register_death()


def test_a_backlog_over_the_limit_is_not_ready(app, client, rq_queue, monkeypatch):
    monkeypatch.setitem(app.config, "READY_MAX_BACKLOG", 1)
    for _ in range(2):
        rq_queue.queue.enqueue("civic.mail.deliver_job", b"")
    status, found = checks(client)
    assert status == 503 and not found["job backlog"]["ok"] and "2 jobs waiting" in found["job backlog"]["detail"]


def test_redis_down_is_not_ready(app, client, monkeypatch):
    from tests.conftest import free_port

    monkeypatch.setitem(app.config, "JOB_QUEUE", "rq")
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    status, found = checks(client)
    assert status == 503 and not found["redis"]["ok"] and "CIVIC_REDIS_URL" in found["redis"]["detail"]


def test_the_request_id_follows_the_mail_into_the_rq_worker(app, client, make_user, rq_queue, smtp_server):
    import io
    import json
    import logging

    from civic import logs
    from tests.jobs.conftest import run_worker

    user = make_user(email="fay@example.org")
    response = client.post("/forgot-password", data={"email": user.email},
                           headers={"X-Request-ID": "forgot-1234567890"})
    assert response.headers["X-Request-ID"] == "forgot-1234567890"
    stream = io.StringIO()
    handler = logs.handler("json", stream)
    logging.getLogger("civic.mail").addHandler(handler)
    try:
        assert run_worker(app) is True  # another "process": the id came with the job through Redis
    finally:
        logging.getLogger("civic.mail").removeHandler(handler)
    sent = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert sent and all(line["request_id"] == "forgot-1234567890" for line in sent), sent
    assert smtp_server.to("fay@example.org")
