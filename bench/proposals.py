"""Proposals at scale: 20,000 proposals with supports and comments on PostgreSQL, served by gunicorn on loopback.

It creates a fresh database ``civic_bench`` (dropped at the end), migrates it with ``flask civic migrate``, and
loads with ``COPY`` through psycopg: one process in its supports phase, 3,000 verified residents, 20,000
proposals across the 18 wards with categories and answers, 60,000 supports, 5,000 endorsements, 20,000
comments spread over the proposals and a 200-comment conversation (four levels, votes, mentions) on one of
them; the counters are computed from the rows, as the app keeps them. Then gunicorn (2 workers x 4 threads,
as ``make run``) serves ``bench._wsgi:app`` with ``CIVIC_BENCH_COUNT_QUERIES=1``, so each response says how many
SQL statements it ran, and it measures, after a warm-up, N sequential requests on one kept-alive connection:

- the proposals list of the process (default random order, page 1, with the visitor's session cookie), and
  again newest first (the same budget; it shows what the random order costs);
- the page of the proposal with 200 comments (signed out);
- ``POST /api/v1/proposals/<id>/support`` with a personal access token, a different person and proposal each
  time (each answered 201).

Each figure is printed beside its budget with PASS or OVER. ``BENCH_REQUESTS`` (default 300), at most 60 s per
measurement; ``BENCH_PG_URL`` (default ``postgresql://postgres@127.0.0.1:5432``) is the server;
``BENCH_KEEP_DB=1`` keeps the database afterwards for a look.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.pages import ROOT, _bin, _free_port, _wait_until_up, print_gunicorn_errors, start_gunicorn, stop
from proposals import demo_data

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432").rstrip("/")
DB_NAME = "civic_bench"
PROPOSALS = 20_000
PEOPLE = 3_000
SUPPORTS_EACH = 20
ENDORSEMENTS = 5_000
OTHER_COMMENTS = 20_000
PAGE_COMMENTS = 200
TOKEN_PEOPLE = 400
#: The last proposals, which the token holders have not supported: the support POSTs go there.
RESERVED = 2_000
WARMUP = 30
REQUESTS = min(int(os.environ.get("BENCH_REQUESTS", "300")), RESERVED - WARMUP)
TIME_LIMIT_S = 60.0
BUDGETS_MS = {"index": 50.0, "proposal": 60.0, "support": 30.0}
SEED = 20_000

WORDS = ("air", "quality", "sensors", "cycle", "hangars", "trees", "solar", "panels", "school", "street", "bins",
         "benches", "lighting", "wifi", "library", "market", "noise", "canal", "park", "playground", "heat",
         "pumps", "charging", "pavement", "crossing", "recycling", "repair", "cafe", "garden", "water")
#: Titles and descriptions as residents write them: the demo's ideas, wards, streets and sentences.
IDEAS = [idea for ideas in demo_data.IDEAS.values() for idea in ideas]


@dataclass
class Plan:
    slug: str
    page_proposal: int
    supports: list[tuple[str, int]] = field(default_factory=list)  # (token, proposal id)
    rows: dict[str, int] = field(default_factory=dict)


def _connect(dbname: str):
    import psycopg

    return psycopg.connect(f"{PG_URL}/{dbname}", autocommit=True, connect_timeout=5)


def _recreate_database() -> None:
    with _connect("postgres") as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def _drop_database() -> None:
    with _connect("postgres") as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def _proposal_text(rng: random.Random, ward: str) -> tuple[str, str]:
    """A title and a Markdown description like the demo's (the similar-proposals search sees real words)."""
    _centre, streets, places = demo_data.WARD_PLACES[ward]
    street, place = rng.choice(streets), rng.choice(places)
    title_t, plan, cats = rng.choice(IDEAS)
    values = {"ward": ward, "street": street, "place": place, "years": rng.randrange(3, 40)}
    title = title_t.format(**values)
    body = "\n\n".join((
        f"{rng.choice(demo_data.OPENINGS).format(**values)} {rng.choice(demo_data.PROBLEMS[cats[0]])}",
        f"**What I propose:** {plan}.", f"{rng.choice(demo_data.BENEFITS)} {rng.choice(demo_data.MEASURES)}",
        rng.choice(demo_data.CLOSINGS)))
    return title[0].upper() + title[1:], body


def _copy(cur, table: str, columns: tuple[str, ...], rows) -> int:
    count = 0
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _load(url_db: str) -> Plan:
    """Fill the migrated database; returns what the measurements need."""
    rng = random.Random(SEED)
    now = datetime.now(UTC).replace(microsecond=0)
    with _connect(url_db) as conn, conn.transaction():
        cur = conn.cursor()
        ward_rows = cur.execute("SELECT id, name FROM wards ORDER BY id").fetchall()
        wards = [r[0] for r in ward_rows]
        ward_names = {r[0]: r[1] for r in ward_rows}
        programme = cur.execute("SELECT id FROM programmes WHERE slug = 'cleantech-city'").fetchone()[0]
        slug = "bench-cleaner-air"
        process = cur.execute(
            "INSERT INTO processes (slug, title, subtitle, description, programme_id, whole_city, banner_alt, "
            "published_at, created_at) VALUES (%s, %s, %s, %s, %s, true, '', %s, %s) RETURNING id",
            (slug, "Bench: cleaner air for Westminster", "Twenty thousand ideas",
             "A process with **many** proposals.", programme, now - timedelta(days=30), now - timedelta(days=30)),
        ).fetchone()[0]
        phase = cur.execute(
            "INSERT INTO process_phases (process_id, title, description, starts_at, ends_at) "
            "VALUES (%s, 'Ideas and supports', '', %s, %s) RETURNING id",
            (process, now - timedelta(days=20), now + timedelta(days=20))).fetchone()[0]
        cur.executemany("INSERT INTO phase_actions (phase_id, action) VALUES (%s, %s)",
                        [(phase, action) for action in ("propose", "support", "comment", "endorse")])
        cur.execute(
            "INSERT INTO proposal_settings (process_id, support_limit, min_supports, threshold, close_at_threshold, "
            "proposal_limit, verified_only, ward_only, edit_window_minutes) "
            "VALUES (%s, 100, 0, 50, false, 0, true, false, 10)", (process,))
        categories = [cur.execute(
            "INSERT INTO proposal_categories (process_id, slug, name) VALUES (%s, %s, %s) RETURNING id",
            (process, name.lower().replace(" ", "-"), name)).fetchone()[0]
            for name in ("Air quality", "Cycling", "Energy", "Green space", "Sensors", "Waste")]

        rows: dict[str, int] = {}
        rows["users"] = _copy(cur, "users", (
            "id", "nickname", "display_name", "email", "email_confirmed_at", "session_token", "ward_id",
            "created_at"),
            ((i, f"bench_{i:05d}", f"Bench Resident {i}", f"bench.{i}@bench.civic.localhost",
              now - timedelta(days=100), secrets.token_urlsafe(16), wards[i % len(wards)],
              now - timedelta(days=100)) for i in range(1, PEOPLE + 1)))
        _copy(cur, "user_roles", ("user_id", "role", "granted_at"),
              ((i, "verified", now - timedelta(days=99)) for i in range(1, PEOPLE + 1)))

        answers = ("not_answered",) * 7 + ("evaluating", "accepted", "rejected")

        def proposals():
            for pid in range(1, PROPOSALS + 1):
                published = now - timedelta(seconds=rng.randrange(20 * 86400))
                located = rng.random() < 0.7
                answer = rng.choice(answers)
                ward = wards[pid % len(wards)]
                title, body = _proposal_text(rng, ward_names[ward])
                yield (pid, process, rng.randrange(1, PEOPLE + 1), title, body, ward,
                       51.50 + rng.random() * 0.03 if located else None,
                       -0.20 + rng.random() * 0.07 if located else None, "", "", "published", answer,
                       "" if answer == "not_answered" else _sentence(rng, 20), "", 0, 0, 0,
                       published - timedelta(minutes=5), published)

        rows["proposals"] = _copy(cur, "proposals", (
            "id", "process_id", "author_id", "title", "body", "ward_id", "latitude", "longitude", "address",
            "photo_alt", "state", "answer_state", "answer_text", "answer_delivery", "supports_count",
            "comments_count", "endorsements_count", "created_at", "published_at"), proposals())
        rows["category links"] = _copy(cur, "proposal_category_links", ("proposal_id", "category_id"),
                                       ((pid, categories[pid % len(categories)]) for pid in range(1, PROPOSALS + 1)))

        open_ids = range(1, PROPOSALS - RESERVED + 1)

        def supports():
            for uid in range(1, PEOPLE + 1):
                for pid in rng.sample(open_ids, SUPPORTS_EACH):
                    yield pid, uid, process, True, now - timedelta(seconds=rng.randrange(86400 * 15))

        rows["supports"] = _copy(cur, "supports", ("proposal_id", "user_id", "process_id", "counted", "created_at"),
                                 supports())
        cur.execute("INSERT INTO support_budgets (process_id, user_id, used) "
                    "SELECT process_id, user_id, count(*) FROM supports GROUP BY process_id, user_id")

        pairs = {(rng.randrange(1, PROPOSALS + 1), rng.randrange(1, PEOPLE + 1)) for _ in range(ENDORSEMENTS)}
        rows["endorsements"] = _copy(cur, "endorsements", ("proposal_id", "user_id", "endorser_key", "created_at"),
                                     ((pid, uid, f"u:{uid}", now) for pid, uid in sorted(pairs)))

        page_proposal = PROPOSALS // 2

        def comments():
            cid = 0
            levels: list[list[int]] = [[], [], [], []]
            plan = [0] * 120 + [1] * 50 + [2] * 20 + [3] * 10  # 200 comments, four levels
            for depth in plan:
                cid += 1
                parent = rng.choice(levels[depth - 1]) if depth else None
                levels[depth].append(cid)
                mention = f" I agree with @bench_{rng.randrange(1, PEOPLE):05d}." if rng.random() < 0.2 else ""
                yield (cid, "proposal", page_proposal, parent, depth, rng.randrange(1, PEOPLE + 1),
                       _sentence(rng, 30) + mention, rng.choice((-1, 0, 1)),
                       now - timedelta(seconds=(PAGE_COMMENTS - cid) * 600), 0, 0)
            for _ in range(OTHER_COMMENTS):
                cid += 1
                yield (cid, "proposal", rng.randrange(1, PROPOSALS + 1), None, 0, rng.randrange(1, PEOPLE + 1),
                       _sentence(rng, 20), 0, now - timedelta(seconds=rng.randrange(86400 * 15)), 0, 0)

        rows["comments"] = _copy(cur, "comments", (
            "id", "resource_type", "resource_id", "parent_id", "depth", "author_id", "body", "alignment",
            "created_at", "up_votes", "down_votes"), comments())
        votes = {(rng.randrange(1, PAGE_COMMENTS + 1), rng.randrange(1, PEOPLE + 1)) for _ in range(1_000)}
        rows["comment votes"] = _copy(cur, "comment_votes", ("comment_id", "user_id", "value", "created_at"),
                                      ((c, u, 1 if rng.random() < 0.8 else -1, now) for c, u in sorted(votes)))

        tokens = ["civic_" + secrets.token_urlsafe(32) for _ in range(TOKEN_PEOPLE)]
        _copy(cur, "api_tokens", ("user_id", "name", "token_hash", "created_at"),
              ((i + 1, "Bench", hashlib.sha256(t.encode()).hexdigest(), now) for i, t in enumerate(tokens)))

        # Counters from the rows, as the app keeps them.
        cur.execute("UPDATE proposals p SET supports_count = s.n FROM (SELECT proposal_id, count(*) AS n "
                    "FROM supports WHERE counted GROUP BY proposal_id) s WHERE s.proposal_id = p.id")
        cur.execute("UPDATE proposals p SET threshold_reached_at = %s WHERE supports_count >= 50", (now,))
        cur.execute("UPDATE proposals p SET comments_count = c.n FROM (SELECT resource_id, count(*) AS n "
                    "FROM comments WHERE resource_type = 'proposal' GROUP BY resource_id) c WHERE c.resource_id = p.id")
        cur.execute("UPDATE proposals p SET endorsements_count = e.n FROM (SELECT proposal_id, count(*) AS n "
                    "FROM endorsements GROUP BY proposal_id) e WHERE e.proposal_id = p.id")
        cur.execute("UPDATE comments c SET up_votes = v.up, down_votes = v.down FROM (SELECT comment_id, "
                    "count(*) FILTER (WHERE value = 1) AS up, count(*) FILTER (WHERE value = -1) AS down "
                    "FROM comment_votes GROUP BY comment_id) v WHERE v.comment_id = c.id")
        for table in ("users", "proposals", "comments"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    with _connect(url_db) as conn:
        conn.execute("VACUUM ANALYZE")  # what autovacuum would have done on a live site

    reserved = list(range(PROPOSALS - RESERVED + 1, PROPOSALS + 1))
    rng.shuffle(reserved)
    plan = Plan(slug, page_proposal, rows=rows)
    plan.supports = [(tokens[i % TOKEN_PEOPLE], reserved[i]) for i in range(WARMUP + REQUESTS)]
    return plan


@dataclass
class Result:
    timings: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    bad: int = 0
    connections: int = 0


def _measure(port: int, n: int, request: Callable[[int], tuple[str, str, dict[str, str]]], expect: int) -> Result:
    """``request(i)`` gives (method, path, headers) of the i-th request; warm-up first, then up to ``n``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    result = Result()
    try:
        for i in range(WARMUP):
            method, path, headers = request(i)
            conn.request(method, path, headers=headers)
            conn.getresponse().read()
        stop_at = time.monotonic() + TIME_LIMIT_S
        for i in range(WARMUP, WARMUP + n):
            method, path, headers = request(i)
            result.connections += conn.sock is None
            started = time.perf_counter()
            conn.request(method, path, headers=headers)
            response = conn.getresponse()
            response.read()
            result.timings.append((time.perf_counter() - started) * 1000)
            result.bad += response.status != expect
            result.queries.append(int(response.getheader("X-Bench-Queries") or -1))
            if time.monotonic() > stop_at:
                break
    finally:
        conn.close()
    return result


def _session_cookie(port: int, path: str) -> str:
    """The visitor's session cookie (it keeps their random order), as a browser would send it back."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        cookie = response.getheader("Set-Cookie") or ""
    finally:
        conn.close()
    return cookie.split(";", 1)[0]


def _report(label: str, result: Result, budget: float) -> bool:
    p50 = statistics.median(result.timings)
    p95 = statistics.quantiles(result.timings, n=100, method="inclusive")[94]
    queries = sorted(set(result.queries))
    q = str(queries[0]) if len(queries) == 1 else f"{queries[0]}-{queries[-1]}"
    ok = p95 <= budget and result.bad == 0
    note = f"  ({result.bad} unexpected statuses)" if result.bad else ""
    note += f"  ({result.connections} connections: keep-alive failed)" if result.connections > 1 else ""
    print(f"{label:<34} {len(result.timings):>8} {p50:>8.2f} {p95:>8.2f} {q:>8}   p95 <= {budget:.0f} ms  "
          f"{'PASS' if ok else 'OVER'}{note}")
    return ok


def main() -> bool:
    try:
        _recreate_database()
    except Exception as e:  # noqa: BLE001 - any reason PostgreSQL is not there
        print(f"PostgreSQL is not reachable at {PG_URL} ({type(e).__name__}: {e}); set BENCH_PG_URL. Not measured.")
        return False
    db_url = f"{PG_URL}/{DB_NAME}"
    try:
        with tempfile.TemporaryDirectory(prefix="civic-bench-") as tmp:
            data = Path(tmp)
            env = {**os.environ, "CIVIC_INSTANCE_PATH": str(data), "CIVIC_DATABASE_URL": db_url,
                   "CIVIC_BASE_URL": "http://127.0.0.1",
                   "CIVIC_MAIL_DIR": str(data / "mail"), "CIVIC_SECRET_KEY": secrets.token_urlsafe(32),
                   "CIVIC_BENCH_COUNT_QUERIES": "1"}
            env.pop("CIVIC_SMTP_HOST", None)
            subprocess.run([_bin("flask"), "--app", "wsgi", "civic", "migrate"], cwd=ROOT, env=env, check=True,
                           capture_output=True, timeout=120)
            started = time.monotonic()
            plan = _load(DB_NAME)
            print(f"Loaded in {time.monotonic() - started:.1f} s: "
                  + ", ".join(f"{n:,} {what}" for what, n in plan.rows.items()))
            return _serve_and_measure(env, data, plan)
    finally:
        if os.environ.get("BENCH_KEEP_DB") != "1":
            _drop_database()


def _serve_and_measure(env: dict[str, str], data: Path, plan: Plan) -> bool:
    port = _free_port()
    server = start_gunicorn(env, data, port, "bench._wsgi:app")
    try:
        _wait_until_up(port, server)
        print(f"gunicorn, 2 workers x 4 threads, PostgreSQL; {REQUESTS} sequential keep-alive requests each after "
              f"{WARMUP} to warm up; queries = SQL statements per request")
        print(f"{'request':<34} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}   budget")
        index = f"/processes/{plan.slug}/proposals/"
        cookie = _session_cookie(port, index)
        html = {"Accept": "text/html", "Connection": "keep-alive"}
        within = _report(f"GET list ({PROPOSALS:,} proposals)", _measure(
            port, REQUESTS, lambda i: ("GET", index, {**html, "Cookie": cookie}), 200), BUDGETS_MS["index"])
        within &= _report("GET list, order=newest", _measure(
            port, REQUESTS, lambda i: ("GET", f"{index}?order=newest", {**html, "Cookie": cookie}), 200),
            BUDGETS_MS["index"])
        within &= _report(f"GET proposal ({PAGE_COMMENTS} comments)", _measure(
            port, REQUESTS, lambda i: ("GET", f"/proposals/{plan.page_proposal}", html), 200),
            BUDGETS_MS["proposal"])

        def support(i: int) -> tuple[str, str, dict[str, str]]:
            token, proposal = plan.supports[i]
            return "POST", f"/api/v1/proposals/{proposal}/support", {
                "Authorization": f"Bearer {token}", "Accept": "application/json", "Connection": "keep-alive",
                "Content-Length": "0"}

        within &= _report("POST support (API, token)", _measure(port, REQUESTS, support, 201),
                          BUDGETS_MS["support"])
        return within
    finally:
        stop(server)
        print_gunicorn_errors(data)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
