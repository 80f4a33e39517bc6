"""Fixtures: a migrated database (SQLite, or PostgreSQL when CIVIC_TEST_DATABASE_URL is set), an app,
per-test rollback through a savepoint, clients signed in per role, factories, a real SMTP server on
loopback, and a query counter."""

from __future__ import annotations

import os
import re
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from flask import g, request_started
from sqlalchemy import event, text

from civic import events, migrate
from civic.accounts.models import User
from civic.app import create_app
from civic.db import db, make_engine
from civic.moderation import services as moderation
from tests import factories
from tests.factories import PASSWORD  # noqa: F401 - imported from here by tests

pytest_plugins = ["tests.support.search"]

ROLES = ("anonymous", "resident", "verified", "organiser", "instructor", "officer", "admin")


def pytest_addoption(parser):
    parser.addoption("--browser", action="store_true", help="run the headless Chromium page tests")


#: The real Redis that the ``redis`` tests use (the job queue on RQ).
REDIS_URL = os.environ.get("CIVIC_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REDIS_NOTE = pytest.StashKey[str]()  # what was deselected for want of a service (Redis, nginx), and why
#: Where nginx is looked for (Debian puts it in /usr/sbin, which a user's PATH may lack).
NGINX_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])
ALL_DESELECTED = pytest.StashKey[bool]()


def redis_problem() -> str | None:
    """Why Redis cannot be used, or None when it answers."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as e:
        return f"{type(e).__name__}: {e}"
    finally:
        client.connection_pool.disconnect()  # no socket left for the garbage collector (a ResourceWarning)
    return None


def pytest_collection_modifyitems(config, items):
    on_pg = os.environ.get("CIVIC_TEST_DATABASE_URL", "").startswith("postgresql")
    browser = config.getoption("--browser")
    # Redis tests run when Redis answers. When it does not they FAIL under CIVIC_REQUIRE_ALL (CI), and
    # otherwise are deselected, with the reason printed at the end of the run.
    no_redis = None
    if not os.environ.get("CIVIC_REQUIRE_ALL") and any("redis" in item.keywords for item in items):
        no_redis = redis_problem()
    # nginx tests (the deploy/ layout) likewise: deselected when nginx is not installed, unless CIVIC_REQUIRE_ALL.
    no_nginx = not os.environ.get("CIVIC_REQUIRE_ALL") and shutil.which("nginx", path=NGINX_PATH) is None
    deselected, kept, redis_dropped, nginx_dropped = [], [], 0, 0
    for item in items:
        if (("postgres" in item.keywords and not on_pg) or ("sqlite" in item.keywords and on_pg)
                or ("browser" in item.keywords) != browser):
            deselected.append(item)
        elif no_redis and "redis" in item.keywords:
            deselected.append(item)
            redis_dropped += 1
        elif no_nginx and "nginx" in item.keywords:
            deselected.append(item)
            nginx_dropped += 1
        else:
            kept.append(item)
    notes = []
    if redis_dropped:
        notes.append(f"DESELECTED: {redis_dropped} Redis test(s) did not run: Redis is not reachable "
                     f"at {REDIS_URL} ({no_redis}). Start it, or set CIVIC_REQUIRE_ALL=1 to fail.")
    if nginx_dropped:
        notes.append(f"DESELECTED: {nginx_dropped} nginx test(s) did not run: nginx is not installed "
                     "(apt-get install nginx-light). Install it, or set CIVIC_REQUIRE_ALL=1 to fail.")
    if notes:
        config.stash[REDIS_NOTE] = "\n".join(notes)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
        config.stash[ALL_DESELECTED] = not kept


def pytest_sessionfinish(session, exitstatus):
    # A file whose tests all need what this run does not have (PostgreSQL, --browser, Redis) passes when run alone:
    # its tests were deselected on purpose, which is not "no tests collected".
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED and session.config.stash.get(ALL_DESELECTED, False):
        session.exitstatus = pytest.ExitCode.OK


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    note = config.stash.get(REDIS_NOTE, None)
    for line in (note or "").splitlines():
        terminalreporter.write_line(line, yellow=True, bold=True)


# The database -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("CIVIC_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def reset_database(url: str) -> None:
    """Empty the test database and migrate it from nothing to head."""
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(engine)
    engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class SMTPServer:
    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's protocol
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(msg)
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address.lower() in m["To"].lower()]

    def last_link(self, address: str, pattern: str = r"https?://\S+") -> str:
        mails = self.to(address)
        assert mails, f"no mail arrived for {address}"
        body = mails[-1].get_body(("plain",)).get_content()
        links = re.findall(pattern, body)
        assert links, f"no link in the mail to {address}:\n{body}"
        return links[0]


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SMTPServer]:
    server = SMTPServer("127.0.0.1", free_port())
    controller = Controller(server, hostname=server.host, port=server.port)
    controller.start()
    yield server
    controller.stop()


@pytest.fixture(scope="session")
def app(database_url, smtp_server, tmp_path_factory):
    reset_database(database_url)
    instance = tmp_path_factory.mktemp("instance")
    application = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(instance),
        "MAIL_DIR": str(instance / "mail"),
        "SMTP_HOST": smtp_server.host,
        "SMTP_PORT": smtp_server.port,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": "civic.test",
        "PASSWORD_HASH_PROFILE": "test",
        "SIMILAR_CACHE_SECONDS": 0,  # ids are reused between rolled-back tests
        # Changes are queued for the search index (rolled back with each test) but reach no index, unless a
        # test asks for it with the ``search_index`` fixture (tests/search/conftest.py): a fresh index each.
        "SEARCH_DRAIN": "off",
        # Jobs (mail) run at once, so a test reads the mail right after its request; tiny retry delays.
        "JOB_QUEUE": "sync",
        "JOB_RETRY_DELAYS": (0.01, 0.02, 0.04),
    })

    # Every request gets its own flask.g, as on a real server: the per-test app context is otherwise
    # reused by requests, and g (with Flask-Login's cached user) would leak between clients.
    request_started.connect(lambda sender, **extra: vars(g).clear(), application, weak=False)

    @application.get("/__test__/boom")
    def boom():  # an unexpected error, for the 500 page test
        raise RuntimeError("secret internal detail")

    yield application
    db.engine.dispose()


@pytest.fixture(autouse=True)
def _transaction(request, app, smtp_server):
    """Every test runs inside a transaction that is rolled back; requests commit to a savepoint."""
    if "no_transaction" in request.keywords:
        yield
        return
    connection = db.engine.connect()
    # On SQLite the test's own transaction reads and writes alone: it begins deferred (not IMMEDIATE, see
    # civic.db.begins_immediate), so that a test may still read the database through a second connection.
    connection.info["immediate"] = False
    outer = connection.begin()
    connection.info.pop("immediate")
    db.factory.configure(bind=connection, join_transaction_mode="create_savepoint")
    smtp_server.messages.clear()
    ctx = app.app_context()
    ctx.push()
    try:
        yield
    finally:
        db.session.remove()
        ctx.pop()
        outer.rollback()
        connection.close()
        db.factory.configure(bind=db.engine, join_transaction_mode="conditional_savepoint")


# Factories and clients --------------------------------------------------------------------------------------
# The factories are plain functions in tests/factories.py; these fixtures hand them to tests by their old names.


def handed(factory, name: str):
    """A fixture called ``name`` whose value is ``factory`` itself (the test calls it as often as it needs)."""

    def fixture():
        return factory

    fixture.__doc__ = factory.__doc__
    return pytest.fixture(fixture, name=name)


make_user = handed(factories.user, "make_user")  # make_user(role="resident", nickname=..., ward=...)
make_people = handed(factories.people, "make_people")  # make_people(n, prefix="person"): no password, fast
make_process = handed(factories.process, "make_process")  # tests/proposals adds the proposal settings
make_group = handed(factories.group, "make_group")  # make_group(organiser=None, name=..., ward=...)


@pytest.fixture
def published_events():
    """The core events published while the test runs: a list of (name, subject, data)."""
    seen: list[tuple[str, object, dict]] = []

    def handler(name, subject=None, **data):
        seen.append((name, subject, data))

    with events.event_signal.connected_to(handler):
        yield seen


def sign_in_client(client, user: User) -> None:
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def client_as(app, make_user):
    """``client_as("officer")`` -> (client, user) signed in with that role; "anonymous" -> (client, None)."""

    def make(role: str, **kwargs):
        c = app.test_client()
        if role == "anonymous":
            return c, None
        user = make_user(role, **kwargs)
        sign_in_client(c, user)
        return c, user

    return make


@pytest.fixture
def signed_in(app):
    """``signed_in(user)`` -> a new test client signed in as that person."""

    def make(user: User):
        c = app.test_client()
        sign_in_client(c, user)
        return c

    return make


@pytest.fixture
def report_by():
    """``report_by(n, resource_type, resource_id)``: n new residents each report it (through the service)."""

    def report(n: int, resource_type: str, resource_id: int, reason: str = "offensive"):
        for _ in range(n):
            moderation.report(factories.user("resident"), resource_type, resource_id, reason)
        db.session.commit()

    return report


# Query counting ---------------------------------------------------------------------------------------------


@dataclass
class QueryCounter:
    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    @contextmanager
    def counting():
        counter = QueryCounter()

        def before(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
                counter.statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return counting
