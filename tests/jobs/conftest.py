"""Fixtures for the job queue: a real SMTP server on loopback that can hold or refuse messages, the
thread backend, and RQ on the real Redis with a queue of its own per test."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
import redis
from aiosmtpd.controller import Controller

from civic import worker
from civic.jobs.queue import RQQueue, ThreadQueue, backend_for
from tests.conftest import REDIS_URL, free_port, redis_problem


@dataclass
class GatedSMTP:
    """An aiosmtpd handler whose DATA waits while ``gate`` is closed, and answers ``reply`` when set
    (e.g. ``451 ...``) instead of accepting. It notes when each attempt arrived and was answered."""

    host: str
    port: int
    reply: str | None = None
    gate: threading.Event = field(default_factory=threading.Event)
    arrived: list[float] = field(default_factory=list)
    answered: list[float] = field(default_factory=list)
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's protocol
        self.arrived.append(time.monotonic())
        while not self.gate.is_set():
            await asyncio.sleep(0.005)
        try:
            if self.reply:
                return self.reply
            self.messages.append(message_from_bytes(envelope.original_content or envelope.content,
                                                    policy=policy.default))
            return "250 Message accepted"
        finally:
            self.answered.append(time.monotonic())


@pytest.fixture
def gated_smtp(app, monkeypatch) -> Iterator[GatedSMTP]:
    server = GatedSMTP("127.0.0.1", free_port())
    server.gate.set()
    controller = Controller(server, hostname=server.host, port=server.port)
    controller.start()
    monkeypatch.setitem(app.config, "SMTP_HOST", server.host)
    monkeypatch.setitem(app.config, "SMTP_PORT", server.port)
    yield server
    server.gate.set()
    controller.stop()


@pytest.fixture
def thread_queue(app, monkeypatch) -> Iterator[ThreadQueue]:
    monkeypatch.setitem(app.config, "JOB_QUEUE", "thread")
    backend = backend_for(app)
    assert isinstance(backend, ThreadQueue)
    yield backend
    assert backend.drain(10), "the thread backend still had jobs at the end of the test"


@pytest.fixture
def rq_queue(app, monkeypatch) -> Iterator[RQQueue]:
    """RQ on the real Redis, on a queue named for this test alone; its keys are removed afterwards."""
    problem = redis_problem()
    if problem:  # only reached when CIVIC_REQUIRE_ALL is set: otherwise these tests were deselected
        pytest.fail(f"Redis is not reachable at {REDIS_URL} ({problem}); start it (see README)")
    name = f"civic-test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setitem(app.config, "JOB_QUEUE", "rq")
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    monkeypatch.setitem(app.config, "JOB_QUEUE_NAME", name)
    backend = backend_for(app)
    assert isinstance(backend, RQQueue)
    try:
        yield backend
    finally:
        _remove_queue(backend, name)
        app.extensions["civic.jobs"].pop(("rq", REDIS_URL, name), None)
        # Close its sockets now: left to the garbage collector, they become a ResourceWarning (an error here)
        # in whichever test happens to run then, or at the end of the session when this file runs alone.
        backend.connection.connection_pool.disconnect()


def _remove_queue(backend: RQQueue, name: str) -> None:
    conn: redis.Redis = backend.connection
    job_ids = {i.decode() for i in conn.lrange(backend.queue.key, 0, -1)}
    for registry in (backend.queue.scheduled_job_registry, backend.queue.failed_job_registry,
                     backend.queue.finished_job_registry, backend.queue.started_job_registry):
        job_ids.update(registry.get_job_ids())
    doomed = set()
    for key in conn.scan_iter(match="rq:*", count=1000):
        text = key.decode()
        if name in text or any(job_id in text for job_id in job_ids):
            doomed.add(key)
    for key in conn.scan_iter(match="rq:worker:*", count=1000):  # the burst workers' own records
        if name in (conn.hget(key, "queues") or b"").decode():
            doomed.add(key)
    if doomed:
        conn.delete(*doomed)
    conn.srem("rq:queues", backend.queue.key)


def run_worker(app) -> bool:
    """A burst worker (with the scheduler, so due retries are queued first), as ``flask civic worker --burst``.

    RQ installs SIGINT/SIGTERM handlers for its warm shutdown: pytest's are put back afterwards.
    """
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        return worker.work(app, burst=True)
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)
