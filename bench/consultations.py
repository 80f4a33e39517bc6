"""Consultations: the tally of 100,000 ranked ballots over 8 options, and on PostgreSQL behind gunicorn the ballot
POST and the consultation page.

1. The tally: 100,000 ranked ballots (each ranks 1 to 8 of 8 options, drawn with a fixed seed) counted as the
   results page counts a ranked question (first preferences, every instant-runoff round, Borda), in this process.
   Budget: 2 s.
2. A fresh database ``civic_bench_consultations`` (dropped at the end), migrated with ``flask civic migrate``,
   holding an open consultation with a single, a multiple and a ranked question, and verified residents with a
   personal access token each. gunicorn (2 workers x 4 threads, as ``make run``) serves ``bench._wsgi:app``; after
   a warm-up, N sequential keep-alive requests:

   - ``POST /api/v1/consultations/<id>/ballot`` with a token, a different person each time (each answered 201).
     Budget: p95 <= 40 ms.
   - ``GET /consultations/<id>`` signed out. Budget: p95 <= 30 ms.

``BENCH_REQUESTS`` (default 300); ``BENCH_PG_URL`` (default ``postgresql://postgres@127.0.0.1:5432``);
``BENCH_CONSULTATIONS_DB`` (default ``civic_bench_consultations``: several people benchmarking on one server each
name their own).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.pages import ROOT, _bin, _free_port, _wait_until_up, print_gunicorn_errors, start_gunicorn, stop
from bench.proposals import PG_URL, WARMUP, Result, _report

DB_NAME = os.environ.get("BENCH_CONSULTATIONS_DB", "civic_bench_consultations")
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))
BALLOTS, OPTIONS = 100_000, 8
BUDGETS = {"tally_s": 2.0, "ballot": 40.0, "page": 30.0}

LOAD = r"""
import json, secrets, sys
from datetime import timedelta
from civic.app import create_app
from civic.accounts.api_tokens import PREFIX, digest
from civic.accounts.models import ApiToken, User, UserRole
from civic.db import db, utcnow
from consultations.models import Consultation, Option, Question

app = create_app()
n = int(sys.argv[1])
with app.app_context():
    now = utcnow()
    c = Consultation(title="Bench consultation", introduction="Tell us.", opens_at=now - timedelta(days=1),
                     closes_at=now + timedelta(days=7), state="published", published_at=now - timedelta(days=2))
    for position, (kind, low, high, options) in enumerate((("single", 1, 1, 3), ("multiple", 1, 3, 6),
                                                            ("ranked", 1, None, 8))):
        q = Question(kind=kind, title=f"Question {position}", min_choices=low if kind != "ranked" else 8,
                     max_choices=high, position=position)
        q.options = [Option(text=f"Option {k}", position=k) for k in range(options)]
        c.questions.append(q)
    db.session.add(c)
    tokens = []
    for i in range(n):
        raw = PREFIX + secrets.token_urlsafe(32)
        user = User(nickname=f"bench_voter_{i}", display_name=f"Voter {i}", email=f"voter{i}@example.org",
                    email_confirmed_at=now, role_rows=[UserRole(role="verified")])
        db.session.add(user)
        db.session.flush()
        db.session.add(ApiToken(user_id=user.id, name="bench", token_hash=digest(raw)))
        tokens.append(raw)
    db.session.commit()
    answers = {str(q.id): ([o.id for o in q.options][0] if q.kind == "single" else
                           [o.id for o in q.options][:2] if q.kind == "multiple" else
                           [o.id for o in q.options][::-1]) for q in c.questions}
    print(json.dumps({"id": c.id, "tokens": tokens, "answers": answers}))
"""


def tally() -> bool:
    from consultations import kinds

    rng = random.Random(16)
    options = list(range(1, OPTIONS + 1))
    ballots = [tuple(rng.sample(options, rng.randint(1, OPTIONS))) for _ in range(BALLOTS)]
    question = type("Q", (), {"max_choices": None, "options": options})()
    started = time.perf_counter()
    result = kinds.get("ranked").tally(question, options, ballots)
    seconds = time.perf_counter() - started
    ok = seconds <= BUDGETS["tally_s"]
    print(f"tally of {BALLOTS:,} ranked ballots over {OPTIONS} options: {seconds:.2f} s "
          f"({len(result['runoff']['rounds'])} rounds)   budget <= {BUDGETS['tally_s']:.0f} s  "
          f"{'PASS' if ok else 'OVER'}")
    return ok


def _connect(dbname: str):
    import psycopg

    return psycopg.connect(f"{PG_URL}/{dbname}", autocommit=True, connect_timeout=5)


def served() -> bool:
    try:
        with _connect("postgres") as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {DB_NAME}")
    except Exception as e:  # noqa: BLE001 - any reason PostgreSQL is not there
        print(f"PostgreSQL is not reachable at {PG_URL} ({type(e).__name__}: {e}); set BENCH_PG_URL. Not measured.")
        return False
    try:
        with tempfile.TemporaryDirectory(prefix="civic-bench-") as tmp:
            data = Path(tmp)
            env = {**os.environ, "CIVIC_INSTANCE_PATH": str(data), "CIVIC_DATABASE_URL": f"{PG_URL}/{DB_NAME}",
                   "CIVIC_BASE_URL": "http://127.0.0.1", "CIVIC_MAIL_DIR": str(data / "mail"),
                   "CIVIC_SECRET_KEY": secrets.token_urlsafe(32), "CIVIC_BENCH_COUNT_QUERIES": "1",
                   "CIVIC_PRODUCTION": "0"}  # PostgreSQL, yet no production start checks (no HTTPS, no mail)
            env.pop("CIVIC_SMTP_HOST", None)
            subprocess.run([_bin("flask"), "--app", "wsgi", "civic", "migrate"], cwd=ROOT, env=env, check=True,
                           capture_output=True, timeout=120)
            loaded = subprocess.run([_bin("python"), "-c", LOAD, str(WARMUP + REQUESTS)], cwd=ROOT, env=env,
                                    check=True, capture_output=True, timeout=300, text=True)
            plan = json.loads(loaded.stdout.strip().splitlines()[-1])
            return _serve_and_measure(env, data, plan)
    finally:
        with _connect("postgres") as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def _measure(port: int, n: int, request, expect: int) -> Result:
    """``request(i)`` gives (method, path, headers, body) of the i-th request; warm-up first, then ``n``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    result = Result()
    try:
        for i in range(WARMUP + n):
            method, path, headers, body = request(i)
            started = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            if i >= WARMUP:
                result.timings.append((time.perf_counter() - started) * 1000)
                result.bad += response.status != expect
                result.queries.append(int(response.getheader("X-Bench-Queries") or -1))
    finally:
        conn.close()
    return result


def _serve_and_measure(env: dict[str, str], data: Path, plan: dict) -> bool:
    port = _free_port()
    server = start_gunicorn(env, data, port, "bench._wsgi:app")
    try:
        _wait_until_up(port, server)
        print(f"gunicorn, 2 workers x 4 threads, PostgreSQL; {REQUESTS} sequential keep-alive requests each after "
              f"{WARMUP} to warm up")
        print(f"{'request':<34} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}   budget")
        body = json.dumps({"answers": plan["answers"]})

        def ballot(i: int):
            return "POST", f"/api/v1/consultations/{plan['id']}/ballot", {
                "Authorization": f"Bearer {plan['tokens'][i]}", "Content-Type": "application/json",
                "Accept": "application/json", "Connection": "keep-alive"}, body

        within = _report("POST ballot (API, token)", _measure(port, REQUESTS, ballot, 201), BUDGETS["ballot"])
        html = {"Accept": "text/html", "Connection": "keep-alive"}
        within &= _report("GET consultation page", _measure(
            port, REQUESTS, lambda i: ("GET", f"/consultations/{plan['id']}", html, None), 200), BUDGETS["page"])
        return within
    finally:
        stop(server)
        print_gunicorn_errors(data)


def main() -> bool:
    within = tally()
    return served() and within


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
