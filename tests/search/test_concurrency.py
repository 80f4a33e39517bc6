"""Several workers write at once and the index loses nothing, and nobody sees a lock error: each process or
thread commits its change with its queue row, drains if it can take the writer lock, and whoever holds the
lock looks at the queue again after letting go. These tests commit for real (``no_transaction``) and clean
up after themselves."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from civic.accounts.models import User
from civic.db import db
from civic.groups.models import Group
from civic.search import services
from civic.search.models import SearchDocument, SearchQueue
from tests.search.conftest import keys
from tests.support.race import race

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def real_commits(app, tmp_path):
    """A Whoosh search directory of its own (these tests are about its queue and writer lock), and the rows made
    by the test deleted afterwards."""
    saved = {k: app.config.get(k) for k in ("SEARCH_DIR", "SEARCH_DRAIN", "SEARCH_BACKEND")}
    app.config.update(SEARCH_DIR=str(tmp_path / "search"), SEARCH_DRAIN="request", SEARCH_BACKEND="whoosh")
    with app.app_context():
        owner = User(nickname=f"racer_{os.getpid()}_{time.monotonic_ns() % 10**6}", display_name="Racer",
                     email=f"racer_{time.monotonic_ns()}@example.org")
        db.session.add(owner)
        db.session.commit()
        owner_id = owner.id
    try:
        yield owner_id
    finally:
        services.stop_drainer(app)  # before the mode changes back: it must not outlive the test
        assert "civic.search.drainer" not in app.extensions
        app.config.update(saved)
        with app.app_context():
            db.session.execute(delete(Group).where(Group.slug.like("race-%")))
            db.session.execute(delete(User).where(User.id == owner_id))
            db.session.commit()  # (which queues the deleted groups: emptied next)
            db.session.execute(delete(SearchQueue))
            db.session.execute(delete(SearchDocument).where(SearchDocument.title.like("Racing %")))
            db.session.commit()


def _found_soon(app, text: str, seconds: float = 10) -> int:
    """How many results the text finds, once the drainer thread has applied what waits (or the time is up)."""
    deadline = time.monotonic() + seconds
    while _found(app, text) != 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    return _found(app, text)


def _found(app, text: str) -> int:
    with app.app_context(), app.test_request_context("/search"):
        return services.search(None, services.Params(q=text)).total


@pytest.mark.no_transaction
def test_threads_writing_at_once_lose_nothing(app, real_commits):
    def write(i: int) -> None:
        for j in range(5):
            db.session.add(Group(slug=f"race-{i}-{j}", name=f"Racing swifts {i} {j}", description="Swifts.",
                                 created_by_id=real_commits))
            db.session.commit()
            services.drain()  # as a request does after its commit; gives up when another thread writes

    assert race(app, write, [(i,) for i in range(8)]) == [None] * 8  # (it re-raises any error a thread met)
    with app.app_context():
        assert services.queued() == 0  # every row applied by someone: nothing was left behind
    assert _found(app, "swifts") == 40


@pytest.mark.no_transaction
@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["whoosh", "postgres"])
def test_processes_writing_at_once_lose_nothing(app, real_commits, tmp_path, backend):
    """Four separate processes (as gunicorn workers are), each committing and draining ten times (with the
    PostgreSQL backend each writes its documents in its own transactions)."""
    app.config["SEARCH_BACKEND"] = backend
    script = textwrap.dedent(f"""
        import sys
        from civic.app import create_app
        from civic.db import db
        from civic.groups.models import Group
        from civic.search import services
        app = create_app({{"DATABASE_URL": {app.config["DATABASE_URL"]!r}, "SEARCH_DIR": {app.config["SEARCH_DIR"]!r},
                           "SEARCH_DRAIN": "request", "SEARCH_BACKEND": {backend!r},
                           "INSTANCE_PATH": {str(tmp_path / "instance")!r}, "SECRET_KEY": "x", "BASE_URL": "http://civic.test"}})
        worker = int(sys.argv[1])
        with app.app_context():
            for j in range(10):
                db.session.add(Group(slug=f"race-p{{worker}}-{{j}}", name=f"Racing martins {{worker}} {{j}}",
                                     description="Martins.", created_by_id={real_commits}))
                db.session.commit()
                services.drain()
        print("done", worker)
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CIVIC_PRODUCTION": "0"}  # a test, not a public site
    procs = [subprocess.Popen([sys.executable, "-c", script, str(w)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for w in range(4)]
    outputs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
        assert "Traceback" not in err and "LockError" not in err
    with app.app_context():
        services.drain(wait=10)
        assert services.queued() == 0
    assert _found(app, "martins") == 40


@pytest.mark.no_transaction
def test_the_background_drainer_applies_commits(app, real_commits):
    app.config["SEARCH_DRAIN"] = "thread"
    with app.app_context():
        db.session.add(Group(slug="race-thread", name="Racing terns", description="Terns.",
                             created_by_id=real_commits))
        db.session.commit()  # wakes the process's drainer thread
    assert _found_soon(app, "terns") == 1
    with app.app_context():
        assert services.queued() == 0


@pytest.mark.parametrize("search_index", ["whoosh"], indirect=True)  # its single writer
def test_a_busy_writer_never_fails_a_request(client_as, search_index, find):
    """While another worker holds the index, a request's change waits in the queue; the response is fine."""
    client, _user = client_as("resident")
    with search_index.writer() as held:
        assert held is not None
        with search_index.writer() as other:
            assert other is None  # a second writer is refused at once, not after a wait
        response = client.post("/groups/new", data={"name": "Queue minders", "description": "Patient people."})
        assert response.status_code == 302
        group = db.session.scalar(select(Group).where(Group.name == "Queue minders"))
        assert f"group:{group.id}" in set(db.session.scalars(select(SearchQueue.key)))  # waiting, not lost
    assert keys(find("minders")) == [f"group:{group.id}"]  # the next drain applies it


@pytest.mark.no_transaction
def test_outside_a_request_the_commit_drains_before_it_returns(app, real_commits):
    """A CLI command or a job (its process may end, or ``os._exit``, right after) does not leave its change to
    a daemon thread: in ``thread`` mode the commit drains before returning."""
    app.config["SEARCH_DRAIN"] = "thread"
    with app.app_context():
        db.session.add(Group(slug="race-cli", name="Racing plovers", description="Plovers.",
                             created_by_id=real_commits))
        db.session.commit()
        assert services.queued() == 0  # at once: no waiting for a thread
    assert "civic.search.drainer" not in app.extensions
    assert _found(app, "plovers") == 1


@pytest.mark.no_transaction
def test_a_web_worker_drains_what_waits_on_its_first_request(app, real_commits):
    """Rows another process left behind are applied soon after a worker starts, not after its first commit."""
    with app.app_context():
        db.session.add(Group(slug="race-left", name="Racing avocets", description="Avocets.",
                             created_by_id=real_commits))
        db.session.commit()  # ("request" mode, outside a request: nothing drains it)
        assert services.queued() == 1
    app.config["SEARCH_DRAIN"] = "thread"
    assert app.test_client().get("/").status_code == 200
    assert _found_soon(app, "avocets") == 1
    with app.app_context():
        assert services.queued() == 0
