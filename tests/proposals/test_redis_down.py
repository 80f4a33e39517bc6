"""Issue #12, item 11: with CIVIC_REDIS_URL set and Redis unreachable the site degrades, it does not fall over.

gunicorn serves a fresh SQLite instance whose CIVIC_REDIS_URL points at a loopback port where nothing listens
(the shared Redis is never stopped): the rate limiter counts in memory instead (Flask-Limiter's in-memory
fallback), and mail that cannot be queued is kept for ``jobs.retry-unqueued``. Signing up, signing in, asking
for a reset, reporting, writing through the API, searching and downloading all answer as usual, CSRF on.
"""

from __future__ import annotations

import re
import sqlite3

import requests

from tests.conftest import free_port
from tests.support.server import live_server

PASSWORD = "a long and quiet river"

SETUP = """
from civic.accounts.api_tokens import create_token
from tests import factories
from tests.proposals import factories as proposals

process = proposals.process(phases=[factories.open_phase()])
author = factories.user("verified", email="author@example.org")
proposal = proposals.proposal(process, author, title="Benches along the canal towpath")
factories.user("resident", email="reporter@example.org")
token = create_token(factories.user("verified"), "script", factories.PASSWORD)[1]
db.session.commit()
print(json.dumps({"proposal": proposal.id, "slug": process.slug, "token": token}))
"""


def csrf_of(page: requests.Response) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    assert found, f"no CSRF token on {page.url}"
    return found.group(1)


def post_form(browser: requests.Session, url: str, data: dict) -> requests.Response:
    token = csrf_of(browser.get(url, timeout=30))
    return browser.post(url, data={"csrf_token": token, **data}, timeout=30)


def test_redis_down_leaves_every_door_open(tmp_path):
    setup = "from civic.db import db\n" + SETUP
    with live_server(tmp_path, setup=setup, env={"CIVIC_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}) as site:
        url, made = site.url, site.made
        answers = {}
        with requests.Session() as newcomer:
            answers["sign-up"] = post_form(newcomer, f"{url}/sign-up", {
                "display_name": "Kim", "nickname": "kim_redis_down", "email": "kim@example.org",
                "password": PASSWORD})
        with requests.Session() as forgetful:
            answers["reset"] = post_form(forgetful, f"{url}/forgot-password", {"email": "author@example.org"})
        with requests.Session() as reporter:
            answers["sign-in"] = post_form(reporter, f"{url}/sign-in", {"email": "reporter@example.org",
                                                                        "password": PASSWORD})
            assert "Sign out" in reporter.get(f"{url}/", timeout=30).text  # really signed in
            answers["report"] = post_form(reporter, f"{url}/moderation/report/proposal/{made['proposal']}",
                                          {"reason": "spam", "details": "Testing with Redis down."})
        bearer = {"Authorization": f"Bearer {made['token']}"}
        answers["api support"] = requests.post(f"{url}/api/v1/proposals/{made['proposal']}/support",
                                               headers=bearer, timeout=30)
        answers["api comment"] = requests.post(f"{url}/api/v1/proposals/{made['proposal']}/comments",
                                               headers=bearer, json={"body": "Yes please."}, timeout=30)
        answers["search"] = requests.get(f"{url}/search", params={"q": "canal"}, timeout=30)
        answers["api search"] = requests.get(f"{url}/api/v1/search", params={"q": "canal"}, timeout=30)
        answers["export"] = requests.get(f"{url}/processes/{made['slug']}/proposals/export.csv", timeout=30)

    statuses = {name: r.status_code for name, r in answers.items()}
    assert all(status < 500 or (name.endswith("search") and status == 503) for name, status in statuses.items()), \
        statuses
    assert statuses["api support"] == 201 and statuses["api comment"] == 201
    # The API's own count falls back to memory too: its answers still say where the client stands (issue #13).
    assert all("RateLimit-Remaining" in answers[name].headers for name in ("api support", "api comment"))
    assert statuses["export"] == 200 and "Benches along the canal towpath" in answers["export"].text
    assert "check your email" in answers["sign-up"].text.lower() or answers["sign-up"].url.endswith(
        "/sign-up/check-your-email")
    assert "Thank you for your report" in answers["report"].text
    assert "in-memory" in site.log.read_text()  # the limiter said it fell back (and the site went on)

    con = sqlite3.connect(site.database)
    try:
        kept = [row[0] for row in con.execute("SELECT description FROM job_failures WHERE attempts = 0 "
                                              "AND error LIKE 'Could not be queued:%'")]
        reports = con.execute("SELECT count(*) FROM reports").fetchone()[0]
    finally:
        con.close()
    assert reports == 1
    # The mail waits for the queue (jobs.retry-unqueued hands it over when Redis answers: tests/jobs).
    assert any("kim@example.org" in d for d in kept) and any("author@example.org" in d for d in kept), kept
