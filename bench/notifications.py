"""Notifications at scale, on PostgreSQL: fan-out of one event to 10,000 followers, and digests for 10,000 people.

It creates a fresh database ``civic_bench_notify`` (dropped at the end), migrates it, and loads 10,000
confirmed residents with ``COPY``, all following one proposal and all wanting a daily digest of comments.

- **fan-out**: one comment event is delivered to the proposal's 10,000 followers through the real
  ``civic.notifications.services.deliver`` (one ``INSERT ... SELECT`` per audience) and committed; the best
  of 3 runs (each a new event) is the figure. Budget: 1 s.
- **digests**: every person then has 5 pending notifications; ``send_digests("daily")`` claims, builds
  (text and HTML, grouped by space, each with its signed unsubscribe link) and hands over 10,000 digest
  mails; the hand-over here counts the messages (what SMTP does afterwards is the job queue's work, not the
  build). Budget: 30 s.

``BENCH_PG_URL`` (default ``postgresql://postgres@127.0.0.1:5432``) is the server; ``BENCH_KEEP_DB=1`` keeps
the database afterwards.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
from datetime import UTC, datetime

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432").rstrip("/")
DB_NAME = "civic_bench_notify"
PEOPLE = int(os.environ.get("BENCH_PEOPLE", "10000"))
EACH = 5
BUDGET_FANOUT_S = 1.0
BUDGET_DIGEST_S = 30.0


def _connect(dbname: str):
    import psycopg

    return psycopg.connect(f"{PG_URL}/{dbname}", autocommit=True, connect_timeout=5)


def _load(app) -> int:
    """People, one process and proposal, follows and preferences; returns the proposal's id."""
    from sqlalchemy import select

    from civic.accounts.models import User
    from civic.db import db
    from civic.spaces.models import Phase, Process, Programme, Ward
    from proposals.models import Proposal

    now = datetime.now(UTC)
    with app.app_context():
        programme = db.session.scalars(select(Programme)).first()
        ward = db.session.scalars(select(Ward)).first()
        author = User(nickname="author_of_bench", display_name="Bench Author", email="author@bench.test",
                      email_confirmed_at=now)
        process = Process(slug="bench", title="Greener streets", programme_id=programme.id, published_at=now,
                          phases=[Phase(title="All", starts_at=now.replace(year=now.year - 1),
                                        ends_at=now.replace(year=now.year + 1), allow_comment=True)])
        db.session.add_all([author, process])
        db.session.flush()
        proposal = Proposal(process_id=process.id, author_id=author.id, title="Trees along Harrow Road",
                            body="Plant trees.", ward_id=ward.id, state="published", published_at=now)
        db.session.add(proposal)
        db.session.commit()
        ids = (proposal.id, author.id)
    with _connect(DB_NAME) as conn, conn.transaction():
        cur = conn.cursor()
        with cur.copy("COPY users (nickname, display_name, email, email_confirmed_at, session_token, created_at) "
                      "FROM STDIN") as copy:
            for i in range(PEOPLE):
                copy.write_row((f"bench_{i}", f"Resident {i}", f"bench_{i}@bench.test", now,
                                secrets.token_urlsafe(8), now))
        cur.execute("INSERT INTO follows (user_id, resource_type, resource_id, created_at) "
                    "SELECT id, 'proposal', %s, now() FROM users WHERE nickname LIKE 'bench\\_%%'", (ids[0],))
        cur.execute("INSERT INTO notification_preferences (user_id, kind, email) "
                    "SELECT id, 'comment', 'daily' FROM users WHERE nickname LIKE 'bench\\_%%'")
    return ids[0]


def _fan_out(app, proposal_id: int, n: int) -> tuple[float, int]:
    from sqlalchemy import func, select

    from civic.db import db
    from civic.notifications import services
    from civic.notifications.models import Notification
    from civic.notifications.registry import Followers, Notice

    with app.test_request_context():
        started = time.perf_counter()
        event_id = services.deliver("comment.created", Notice(
            key=f"bench:{n}", title="Trees along Harrow Road", url=f"/proposals/{proposal_id}",
            space="Greener streets", excerpt="A comment that everybody hears about.",
            audiences=[Followers("comment", "proposal", proposal_id)], resource=("proposal", proposal_id)))
        db.session.commit()
        elapsed = time.perf_counter() - started
        made = db.session.scalar(select(func.count()).where(Notification.event_id == event_id))
        db.session.remove()
    return elapsed, made


def _digests(app) -> tuple[float, int, int]:
    from civic.db import db
    from civic.notifications import delivery

    handed: list[object] = []
    with app.app_context():
        started = time.perf_counter()
        result = delivery.send_digests("daily", dispatch=handed.append)
        elapsed = time.perf_counter() - started
        db.session.remove()
    return elapsed, result.users, len(handed)


def main() -> bool:
    try:
        with _connect("postgres") as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {DB_NAME}")
    except Exception as e:  # noqa: BLE001 - any reason PostgreSQL is not there
        print(f"PostgreSQL is not reachable at {PG_URL} ({type(e).__name__}: {e}); set BENCH_PG_URL. Not measured.")
        return False
    try:
        with tempfile.TemporaryDirectory(prefix="civic-bench-") as tmp:
            from civic import migrate
            from civic.app import create_app
            from civic.db import db

            app = create_app({"DATABASE_URL": f"{PG_URL}/{DB_NAME}", "INSTANCE_PATH": tmp,
                              "SECRET_KEY": secrets.token_urlsafe(32), "JOB_QUEUE": "sync",
                              "MAIL_DIR": f"{tmp}/mail", "SERVER_NAME": "civic.bench"})
            with app.app_context():
                migrate.upgrade(db.engine)
            proposal_id = _load(app)
            print(f"loaded {PEOPLE:,} people following one proposal")
            runs = [_fan_out(app, proposal_id, n) for n in range(3)]
            best = min(t for t, _ in runs)
            made = runs[0][1]
            for _ in range(EACH - len(runs)):
                _fan_out(app, proposal_id, len(runs) + _)
            fan_ok = best <= BUDGET_FANOUT_S and made == PEOPLE
            print(f"fan-out of one event to {made:,} followers: {best * 1000:.0f} ms "
                  f"(budget {BUDGET_FANOUT_S * 1000:.0f} ms) {'PASS' if fan_ok else 'OVER'}")
            elapsed, users, handed = _digests(app)
            digest_ok = elapsed <= BUDGET_DIGEST_S and users == PEOPLE and handed == PEOPLE
            print(f"daily digests built for {users:,} people ({EACH} notifications each): {elapsed:.1f} s "
                  f"(budget {BUDGET_DIGEST_S:.0f} s) {'PASS' if digest_ok else 'OVER'}")
            db.engine.dispose()
            return fan_ok and digest_ok
    finally:
        if not os.environ.get("BENCH_KEEP_DB"):
            with _connect("postgres") as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
