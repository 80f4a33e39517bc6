"""Search at scale: 50,000 documents (processes, proposals, comments, groups) in a database, reindexed, then
searched as residents search.

It runs on both backends, side by side: Whoosh on a throwaway SQLite instance in a temporary directory
(search index in ``instance/search``), and PostgreSQL (``search_documents``) in a database of its own, made and
dropped beside the database ``BENCH_DATABASE_URL`` (or ``CIVIC_TEST_DATABASE_URL``) names; without one, only
Whoosh runs and the output says so. Each is migrated with Alembic, then loaded with bulk INSERTs: 3,000
residents, 200 participatory processes over the four programmes, 20,000 proposals (titles and descriptions
built from the demo's ideas, streets and sentences, as ``bench.proposals`` does), 27,800 comments (the demo's
comments and replies, naming streets) and 2,000 community groups: 50,000 searchable objects. Then:

- **reindex**: ``civic.search.reindex()`` (what ``flask civic reindex`` runs) reads every object from the
  database, builds its document and writes the new index aside, then switches to it. Budget: **at least
  2,000 documents/s**.
- **query**: a mix of what residents type (words, several words, "phrases", prefix*, NOT, filters by type,
  ward, programme and state, page 2) through the search service, as the page and the JSON endpoint call it:
  the index query with its counts per type, the database check of every result shown and the highlighted
  snippets. After one warm-up pass, N searches (``BENCH_REQUESTS``, default 300). Budget: **p95 <= 20 ms**.
  The index's part alone is printed beside it. There is no cache of results: each search reads the postings
  of its words again (what is kept between searches is said in the output).
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from bench.proposals import _proposal_text
from proposals import demo_data

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))
PEOPLE = 3_000
PROCESSES = 200
PROPOSALS = 20_000
COMMENTS = 27_800
GROUPS = 2_000
BUDGET_QUERY_P95_MS = 20.0
BUDGET_REINDEX_PER_S = 2_000.0
SEED = 50_000

#: What residents type, with the filters they choose.
QUERIES: list[dict] = [
    {"q": "cycle lane"}, {"q": "damp"}, {"q": "cycling"}, {"q": "air quality"}, {"q": '"air quality"'},
    {"q": "trees"}, {"q": "solar panels school"}, {"q": "library"}, {"q": "heat pumps"}, {"q": "bins"},
    {"q": "recycl*"}, {"q": "allot*"}, {"q": "benches near the market"}, {"q": "wifi"}, {"q": "playground"},
    {"q": "parking NOT cars"}, {"q": "noise"}, {"q": "older residents"}, {"q": "Church Street"},
    {"q": "Harrow Road trees"}, {"q": "canal"}, {"q": "cycle", "type": "proposal"},
    {"q": "damp", "type": "group"}, {"q": "air", "ward": "church-street"}, {"q": "sensors", "state": "accepted"},
    {"q": "school", "programme": "cleantech-city"}, {"q": "street", "page": 2}, {"q": "trial", "type": "comment"},
    {"q": "green roofs"}, {"q": "digital skills"},
]


def _load(engine, rng: random.Random) -> dict[str, int]:
    from civic.comments.models import Comment
    from civic.groups.models import Group
    from civic.spaces.models import Phase, PhaseAction, Process, Programme, Ward
    from proposals.models import Proposal

    now = datetime.now(UTC).replace(microsecond=0)
    with engine.begin() as conn:
        wards = {name: ident for ident, name in conn.execute(select(Ward.id, Ward.name))}
        ward_slugs = dict(conn.execute(select(Ward.name, Ward.slug)).all())
        programmes = list(conn.execute(select(Programme.id)).scalars())
        conn.execute(insert(__import__("civic.accounts.models", fromlist=["User"]).User), [
            {"nickname": f"bench_{i}", "display_name": f"Resident {i}", "email": f"bench_{i}@example.org",
             "email_confirmed_at": now} for i in range(PEOPLE)])
        users = list(range(1, PEOPLE + 1))
        ward_names = list(demo_data.WARD_PLACES)
        conn.execute(insert(Process), [
            {"slug": f"bench-process-{i}", "title": f"{rng.choice(['Greener', 'Safer', 'Fairer', 'Smarter'])} "
             f"{rng.choice(ward_names)}: ideas for {2026 + i % 3}",
             "subtitle": "What should the council do next?", "description": "Tell us your **ideas** for the ward.",
             "programme_id": programmes[i % len(programmes)], "whole_city": i % 3 == 0,
             "published_at": now - timedelta(days=30), "created_at": now - timedelta(days=40)}
            for i in range(PROCESSES)])
        conn.execute(insert(Phase), [
            {"process_id": i + 1, "title": "Proposals", "starts_at": now - timedelta(days=10 + i % 30),
             "ends_at": now + timedelta(days=i % 40 - 5)}
            for i in range(PROCESSES)])
        conn.execute(insert(PhaseAction), [{"phase_id": i + 1, "action": action}  # a fresh database: ids 1..n
                                           for i in range(PROCESSES) for action in ("propose", "comment")])
        rows = []
        for i in range(PROPOSALS):
            ward = rng.choice(ward_names)
            title, body = _proposal_text(rng, ward)
            rows.append({"process_id": 1 + i % PROCESSES, "author_id": rng.choice(users), "title": title[:150],
                         "body": body, "ward_id": wards[ward], "state": "withdrawn" if i % 97 == 0 else "published",
                         "answer_state": rng.choice(("not_answered", "not_answered", "evaluating", "accepted",
                                                     "rejected")),
                         "published_at": now - timedelta(minutes=i), "created_at": now - timedelta(minutes=i)})
        for start in range(0, len(rows), 2000):
            conn.execute(insert(Proposal), rows[start:start + 2000])
        rows = []
        texts = [t for group in demo_data.COMMENTS.values() for t in group] + list(demo_data.REPLIES)
        for i in range(COMMENTS):
            ward = rng.choice(ward_names)
            street = rng.choice(demo_data.WARD_PLACES[ward][1])
            rows.append({"resource_type": "proposal", "resource_id": 1 + rng.randrange(PROPOSALS),
                         "author_id": rng.choice(users), "body": rng.choice(texts).format(street=street),
                         "alignment": 0, "depth": 0, "created_at": now - timedelta(seconds=i)})
        for start in range(0, len(rows), 2000):
            conn.execute(insert(Comment), rows[start:start + 2000])
        topics = ("damp", "air quality", "cycling", "gardening", "noise", "recycling", "digital skills", "canal",
                  "trees", "older neighbours")
        conn.execute(insert(Group), [
            {"slug": f"bench-group-{i}", "name": f"{rng.choice(ward_names)} {rng.choice(topics)} group {i}",
             "description": f"Neighbours working on {rng.choice(topics)} and {rng.choice(topics)} in "
                            f"{rng.choice(ward_names)}.",
             "ward_id": wards[rng.choice(ward_names)], "members_count": 0, "created_at": now}
            for i in range(GROUPS)])
    del ward_slugs
    return {"processes": PROCESSES, "proposals": PROPOSALS, "comments": COMMENTS, "groups": GROUPS}


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


@dataclass
class Figures:
    backend: str
    indexed: int = 0
    rate: float = 0.0
    full: list[float] = field(default_factory=list)
    index_only: list[float] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.full)

    @property
    def p95(self) -> float:
        return _percentile(self.full, 95)

    @property
    def i50(self) -> float:
        return statistics.median(self.index_only)

    @property
    def i95(self) -> float:
        return _percentile(self.index_only, 95)


def run(backend: str, database_url: str, tmp: str) -> Figures:
    """Load, reindex and search on one backend (the app's database at ``database_url``, empty and migrated)."""
    rng = random.Random(SEED)
    os.environ["CIVIC_INSTANCE_PATH"] = tmp
    from civic import migrate
    from civic.app import create_app
    from civic.db import db
    from civic.search import services

    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": tmp, "SEARCH_BACKEND": backend,
                      "SEARCH_DRAIN": "off", "SECRET_KEY": "bench", "SERVER_NAME": "civic.bench"})
    figures = Figures(backend)
    with app.app_context():
        migrate.upgrade(db.engine)
        started = time.monotonic()
        loaded = _load(db.engine, rng)
        total = sum(loaded.values())
        print(f"[{backend}] loaded in {time.monotonic() - started:.1f} s: "
              + ", ".join(f"{n:,} {k}" for k, n in loaded.items())
              + f" ({total:,} searchable objects, {db.engine.dialect.name})")
        started = time.monotonic()
        figures.indexed = services.reindex()
        seconds = time.monotonic() - started
        figures.rate = figures.indexed / seconds
        print(f"[{backend}] reindex: {figures.indexed:,} documents in {seconds:.1f} s")

        engine = services.backend()
        with app.test_request_context("/search"):
            for params in QUERIES:  # warm-up: caches, searchers, the parser
                services.search(None, services.Params(**params))
            deadline = time.monotonic() + 120
            for i in range(REQUESTS):
                params = QUERIES[i % len(QUERIES)]
                t0 = time.perf_counter()
                page = services.search(None, services.Params(**params))
                figures.full.append((time.perf_counter() - t0) * 1000)
                query = services.make_query(services.Params(**params), None, page.params.q)
                t0 = time.perf_counter()
                engine.query(query)
                figures.index_only.append((time.perf_counter() - t0) * 1000)
                db.session.rollback()
                if time.monotonic() > deadline:
                    break
        db.session.remove()
    db.engine.dispose()
    return figures


def _postgres_database(url: str):
    """A database of its own beside the one at ``url`` (dropped afterwards): the bench's URL. Not a schema: the
    sensing domain keeps its partitions in a schema of a fixed name, which two schemas in one database share."""
    from contextlib import contextmanager

    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from civic.db import make_engine

    @contextmanager
    def made():
        base = make_url(url)
        name = f"{base.database}_bench_search_{os.getpid()}"
        server = make_engine(base.set(database="postgres").render_as_string(hide_password=False),
                             isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with server.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            server.dispose()

    return made()


def main() -> bool:
    os.environ["CIVIC_PRODUCTION"] = "0"  # PostgreSQL, yet no production start checks (no HTTPS, no mail)
    results: list[Figures] = []
    with tempfile.TemporaryDirectory(prefix="civic-bench-search-") as tmp:
        results.append(run("whoosh", f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", tmp))
    postgres_url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("CIVIC_TEST_DATABASE_URL")
    if postgres_url and postgres_url.startswith("postgresql"):
        with tempfile.TemporaryDirectory(prefix="civic-bench-search-") as tmp, _postgres_database(postgres_url) as url:
            results.append(run("postgres", url, tmp))
    else:
        print("[postgres] not run: set BENCH_DATABASE_URL (or CIVIC_TEST_DATABASE_URL) to a PostgreSQL database "
              "(a database of its own is made beside it and dropped afterwards)")
    print(f"{REQUESTS} searches per backend over {len(QUERIES)} kinds of query, one after another, in the process")
    print("no result cache: every search reads its words' postings (Whoosh) or the GIN index (PostgreSQL) and "
          "counts and ranks anew (Whoosh keeps parsed query texts and per searcher the filter, audience and type "
          "sets)")
    print(f"{'backend':<9} {'query p50':>10} {'query p95':>10} {'index p50':>10} {'index p95':>10} "
          f"{'reindex docs/s':>15}")
    ok = True
    for f in results:
        query_ok, reindex_ok = f.p95 <= BUDGET_QUERY_P95_MS, f.rate >= BUDGET_REINDEX_PER_S
        ok = ok and query_ok and reindex_ok
        print(f"{f.backend:<9} {f.p50:>7.1f} ms {f.p95:>7.1f} ms {f.i50:>7.1f} ms {f.i95:>7.1f} ms "
              f"{f.rate:>15,.0f}")
    print(f"budgets: query p95 <= {BUDGET_QUERY_P95_MS:.0f} ms, reindex >= {BUDGET_REINDEX_PER_S:,.0f} docs/s")
    for f in results:
        print(f"{f.backend}: query p95 {f.p95:.1f} ms (budget {BUDGET_QUERY_P95_MS:.0f} ms) "
              f"{'PASS' if f.p95 <= BUDGET_QUERY_P95_MS else 'FAIL'}; reindex {f.rate:,.0f} docs/s (budget "
              f"{BUDGET_REINDEX_PER_S:,.0f}) {'PASS' if f.rate >= BUDGET_REINDEX_PER_S else 'FAIL'}")
    return ok


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
