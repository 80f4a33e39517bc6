"""Issue 22, "The proof": two app servers (gunicorn, each with its own instance folder, as two machines would
have) on two loopback ports against one PostgreSQL database and one Redis, with two RQ workers, checked going
through both servers in turn:

- a proposal published through A is found by search on B within 2 s, and once hidden it is found on neither;
- a photo uploaded through A is served by B (``CIVIC_UPLOADS_STORE=database``);
- a rate limit reached through A and B together holds on both (the counters are in Redis);
- a mail job queued by A is delivered exactly once although two workers take jobs from the queue;
- a session signed in on A is valid on B (one ``CIVIC_SECRET_KEY``).

The servers use a database of their own beside the test database, dropped afterwards, and keys of
their own in Redis (the job queue's name and the rate limiter's prefix).
"""

from __future__ import annotations

import re
import secrets
import time
from io import BytesIO
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
import requests
from PIL import Image
from sqlalchemy import create_engine, text

from tests.conftest import REDIS_URL
from tests.support.server import _bin, background, environment, gunicorn, prepare

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.no_transaction]

PASSWORD = "a long and quiet river"
#: How long a person would wait for a change made on one server to be found on the other.
PATIENCE = 2.0

SETUP = """
from civic.db import db
from tests import factories
from tests.proposals import factories as proposals

process = proposals.process(phases=[factories.open_phase()])
factories.user("verified", email="author@example.org")
for n in range(3):
    factories.user("resident", email=f"reporter{n}@example.org")
db.session.commit()
print(json.dumps({"slug": process.slug, "ward": factories.ward_named("Church Street").id}))
"""


def with_search_path(url: str, schema: str) -> str:
    """The servers' own database (named ``schema``: it began as a schema, but citizen sensing keeps its monthly
    partitions in a schema of fixed name, so two migrated copies cannot share one database)."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{schema}"))


def csrf_of(page: requests.Response) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    assert found, f"no CSRF token on {page.url} ({page.status_code})"
    return found.group(1)


def post_form(browser: requests.Session, url: str, data: dict, *, form_url: str | None = None,
              files: dict | None = None) -> requests.Response:
    token = csrf_of(browser.get(form_url or url, timeout=30))
    return browser.post(url, data={"csrf_token": token, **data}, files=files, timeout=30)


def signed_in(url: str, email: str) -> requests.Session:
    browser = requests.Session()
    response = post_form(browser, f"{url}/sign-in", {"email": email, "password": PASSWORD})
    assert response.status_code == 200 and "Sign out" in response.text, response.text[:500]
    return browser


def found_by_search(url: str, word: str) -> list[int]:
    response = requests.get(f"{url}/api/v1/search", params={"q": word, "type": "proposal"}, timeout=30)
    assert response.status_code == 200, response.text
    return [r["id"] for r in response.json()["results"]]


def within(seconds: float, check) -> tuple[bool, float]:
    """Whether ``check()`` became true within ``seconds`` (asked every 50 ms), and after how long."""
    started = time.monotonic()
    while True:
        if check():
            return True, time.monotonic() - started
        if time.monotonic() - started > seconds:
            return False, time.monotonic() - started
        time.sleep(0.05)


def png() -> bytes:
    out = BytesIO()
    Image.new("RGB", (64, 48), "teal").save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def schema(app, database_url):
    name = f"two_servers_{secrets.token_hex(4)}"
    server = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield name
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def test_two_servers_on_one_database_and_one_redis(database_url, schema, smtp_server, tmp_path):
    shared = {
        "CIVIC_DATABASE_URL": with_search_path(database_url, schema),
        "CIVIC_REDIS_URL": REDIS_URL,
        "CIVIC_JOB_QUEUE_NAME": f"civic-{schema}",
        "CIVIC_RATELIMIT_KEY_PREFIX": schema,
        "CIVIC_SECRET_KEY": secrets.token_urlsafe(32),
        "CIVIC_BASE_URL": "http://civic.test",
        "CIVIC_SMTP_HOST": smtp_server.host,
        "CIVIC_SMTP_PORT": str(smtp_server.port),
        "CIVIC_UPLOADS_STORE": "database",
        "CIVIC_SEARCH_DRAIN": "thread",
        "CIVIC_PRODUCTION": "0",  # a test on PostgreSQL, not a public site (http, no trusted hosts)
    }
    machines = {name: environment(tmp_path / name, shared) for name in ("a", "b")}
    for name in machines:
        (tmp_path / name).mkdir()
    made = prepare(machines["a"], SETUP)
    worker = [_bin("flask"), "--app", "wsgi", "civic", "worker"]
    with gunicorn(machines["a"], tmp_path / "a.log", workers=1) as a, \
            gunicorn(machines["b"], tmp_path / "b.log", workers=1) as b, \
            background(worker, machines["a"], tmp_path / "worker-a.log"), \
            background(worker, machines["b"], tmp_path / "worker-b.log"):
        try:
            check_both(a, b, made, smtp_server)
        finally:
            queue = redis.Redis.from_url(REDIS_URL)
            for key in queue.scan_iter(match=f"*{schema}*", count=1000):
                queue.delete(key)
            queue.close()


def check_both(a: str, b: str, made: dict, smtp_server) -> None:
    # A session signed in on A is valid on B.
    author = signed_in(a, "author@example.org")
    account = author.get(f"{b}/", timeout=30)
    assert "Sign out" in account.text

    # A proposal made (with a photo) and published through A...
    word = f"zephyrine{secrets.token_hex(2)}"  # one word that nothing else has
    new = f"{a}/processes/{made['slug']}/proposals/new"
    draft = post_form(author, new, {
        "title": f"Bike hangars on Church Street {word}", "body": "Secure storage for bikes in the market.",
        "ward": str(made["ward"]), "photo_alt": "An empty corner of the market"},
        files={"photo": ("market.png", png(), "image/png")})
    assert draft.status_code == 200, draft.text[:500]
    proposal_id = int(re.search(r"/proposals/(\d+)", draft.url).group(1))
    published = post_form(author, f"{a}/proposals/{proposal_id}/publish", {},
                          form_url=f"{a}/proposals/{proposal_id}")
    assert "Your proposal is published" in published.text
    # ...is found by search on B at once (within a person's patience), and on A.
    found, after = within(PATIENCE, lambda: found_by_search(b, word) == [proposal_id])
    assert found, f"not found on B after {after:.1f} s"
    assert found_by_search(a, word) == [proposal_id]

    # The photo uploaded through A is served by B, with the same bytes and headers.
    page = requests.get(f"{b}/proposals/{proposal_id}", timeout=30)
    photo = re.search(r'src="/uploads/(proposals/[^"]+)"', page.text).group(1)
    on_a, on_b = requests.get(f"{a}/uploads/{photo}", timeout=30), requests.get(f"{b}/uploads/{photo}", timeout=30)
    assert on_b.status_code == 200 and on_b.headers["Content-Type"] == "image/png"
    assert on_b.content == on_a.content and Image.open(BytesIO(on_b.content)).size == (64, 48)
    assert on_b.headers["ETag"] == on_a.headers["ETag"] and "no-cache" in on_b.headers["Cache-Control"]
    assert requests.get(f"{b}/uploads/{photo}", headers={"If-None-Match": on_a.headers["ETag"]},
                        timeout=30).status_code == 304

    # Three residents report it, through A, B and A: hidden automatically, it is found on neither server.
    reporters = [signed_in(server, f"reporter{n}@example.org") for n, server in enumerate((a, b, a))]
    report = f"/moderation/report/proposal/{proposal_id}"
    for n, (reporter, server) in enumerate(zip(reporters, (a, b, a), strict=True)):
        answer = post_form(reporter, f"{server}{report}", {"reason": "spam", "details": f"Report {n}."})
        assert answer.status_code == 200 and "Thank you for your report" in answer.text
    gone, after = within(PATIENCE, lambda: found_by_search(a, word) == [] and found_by_search(b, word) == [])
    assert gone, f"still found after {after:.1f} s"

    # A rate limit reached through A and B together holds on both: reports are 10 an hour for a person.
    first = reporters[0]
    statuses = [post_form(first, f"{server}{report}", {"reason": "spam", "details": "Again."},
                          form_url=f"{server}/").status_code for server in (b, a, b, a, b, a, b, a, b)]
    assert 429 not in statuses, statuses  # 10 reports so far: 5 through each server
    assert post_form(first, f"{b}{report}", {"reason": "spam", "details": "Again."},
                     form_url=f"{b}/").status_code == 429
    assert post_form(first, f"{a}{report}", {"reason": "spam", "details": "Again."},
                     form_url=f"{a}/").status_code == 429

    # A mail job queued by A is delivered exactly once, although two workers take jobs from the queue.
    address = f"{word}@example.org"
    with requests.Session() as newcomer:
        signed_up = post_form(newcomer, f"{a}/sign-up", {"display_name": "Kim", "nickname": word,
                                                         "email": address, "password": PASSWORD})
    assert signed_up.status_code == 200, signed_up.text[:500]
    arrived, after = within(30, lambda: len(smtp_server.to(address)) >= 1)
    assert arrived, "the confirmation mail never arrived"
    time.sleep(2)  # time enough for a second delivery, were there one
    assert len(smtp_server.to(address)) == 1
