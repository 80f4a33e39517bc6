"""Issue #12, item 10: the SQLite default takes ordinary concurrency.

gunicorn serves a fresh SQLite instance as ``make run`` does (2 workers x 4 threads), and 30 people write at
once through the JSON API with their personal access tokens: 150 supports and 150 comments, 32 at a time. No
answer is a 5xx ("database is locked"), and every write acknowledged is in the database afterwards.
"""

from __future__ import annotations

import sqlite3

import requests

from tests.support.race import in_parallel
from tests.support.server import live_server

PEOPLE, PROPOSALS = 30, 5

SETUP = f"""
from civic.accounts import roles
from civic.accounts.api_tokens import create_token
from civic.db import db
from tests import factories
from tests.proposals import factories as proposals

process = proposals.process(phases=[factories.open_phase()], support_limit=0)
author, *people = factories.people({PEOPLE} + 1, prefix="writer", roles=[roles.VERIFIED])
made = [proposals.proposal(process, author, commit=False) for _ in range({PROPOSALS})]
tokens = [create_token(person, "parallel writes", None, recently_signed_in=True)[1] for person in people]
db.session.commit()
print(json.dumps({{"tokens": tokens, "proposals": [p.id for p in made]}}))
"""


def write(url: str, token: str, kind: str, proposal_id: int, body: str) -> tuple[str, int, str, int]:
    headers = {"Authorization": f"Bearer {token}"}
    if kind == "support":
        response = requests.post(f"{url}/api/v1/proposals/{proposal_id}/support", headers=headers, timeout=60)
    else:
        response = requests.post(f"{url}/api/v1/proposals/{proposal_id}/comments", headers=headers, timeout=60,
                                 json={"body": body, "alignment": "neutral"})
    return kind, proposal_id, body, response.status_code


def test_300_parallel_writes_through_gunicorn_on_sqlite(tmp_path):
    with live_server(tmp_path, setup=SETUP) as site:
        tokens, proposal_ids = site.made["tokens"], site.made["proposals"]
        calls = [(site.url, token, kind, pid, f"Comment {n} by writer {i} on {pid}.")
                 for i, token in enumerate(tokens) for n, pid in enumerate(proposal_ids)
                 for kind in ("support", "comment")]
        assert len(calls) == 300
        outcomes = in_parallel(write, calls, threads=32)
    statuses = sorted({status for *_, status in outcomes})
    failed = [o for o in outcomes if o[3] >= 500]
    assert failed == [], f"{len(failed)} of 300 writes answered 5xx; statuses {statuses}"
    assert statuses == [201]  # every write acknowledged...

    con = sqlite3.connect(site.database)  # ...is in the database
    try:
        supports = dict(con.execute("SELECT proposal_id, count(*) FROM supports GROUP BY proposal_id").fetchall())
        counts = dict(con.execute("SELECT id, supports_count FROM proposals").fetchall())
        bodies = {row[0] for row in con.execute("SELECT body FROM comments")}
    finally:
        con.close()
    assert supports == {pid: PEOPLE for pid in proposal_ids}
    assert counts == supports
    assert {body for kind, _, body, _ in outcomes if kind == "comment"} <= bodies
