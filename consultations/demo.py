"""Demo data for consultations (``flask civic seed-demo``, idempotent, found by title): one consultation open now
with a question of each kind, and one closed with its ballots counted, so the results, charts and files show."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from civic.accounts import roles
from civic.accounts.models import User, UserRole
from civic.db import db, utcnow
from consultations import ballots, kinds, results
from consultations.models import Consultation, Option, Question

SEED = 16
OPEN_TITLE = "How should we spend the Church Street Green budget?"
CLOSED_TITLE = "Which streets first for the new cycle lanes?"

QUESTIONS = {
    OPEN_TITLE: [
        ("single", "Should Church Street Green stay open after dark?", 1, 1,
         ["Yes, until 10 pm", "Yes, until 8 pm", "No, close at dusk as now"]),
        ("multiple", "Which facilities would you use?", 1, 3,
         ["Outdoor gym", "Table tennis", "Community garden beds", "Drinking fountain", "More benches"]),
        ("ranked", "Put these improvements in your order of preference", 1, 3,
         ["Better lighting", "New trees", "A play area for under-fives", "Public toilets"]),
    ],
    CLOSED_TITLE: [
        ("ranked", "Rank the streets for the first cycle lanes", 4, None,
         ["Edgware Road", "Harrow Road", "Marylebone Road", "Praed Street"]),
        ("single", "Should the lanes be separated from traffic by kerbs?", 1, 1, ["Yes", "No", "Not sure"]),
    ],
}


def _consultation(title: str, opens, closes, created_by: int | None) -> Consultation:
    consultation = Consultation(title=title, opens_at=opens, closes_at=closes, state="published",
                                published_at=opens - timedelta(days=1), created_by_id=created_by,
                                introduction="The council wants to know what residents think. **Every verified "
                                             "resident** can take part; the ballot is secret.")
    for n, (kind, question, low, high, options) in enumerate(QUESTIONS[title]):
        kinds.get(kind)
        q = Question(kind=kind, title=question, min_choices=low, max_choices=high, position=n)
        q.options = [Option(text=t, position=k) for k, t in enumerate(options)]
        consultation.questions.append(q)
    db.session.add(consultation)
    db.session.flush()
    return consultation


def seed() -> None:
    titles = set(db.session.scalars(select(Consultation.title).where(Consultation.title.in_(QUESTIONS))))
    officer = db.session.scalar(select(User.id).where(User.nickname == "demo_officer"))
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    if OPEN_TITLE not in titles:
        _consultation(OPEN_TITLE, now - timedelta(days=3), now + timedelta(days=21), officer)
    if CLOSED_TITLE not in titles:
        closed = _consultation(CLOSED_TITLE, now - timedelta(days=40), now + timedelta(hours=1), officer)
        _vote(closed)  # while it is open, as the ballots were; then it closed ten days ago
        closed.closes_at = now - timedelta(days=10)
        db.session.flush()
        results.count_closed(now)


def _vote(consultation: Consultation) -> None:
    """Ballots from the demo's verified residents (never the demo accounts people sign in with)."""
    rng = random.Random(SEED)
    voters = list(db.session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == roles.VERIFIED, User.nickname.not_like("demo\\_%", escape="\\"))
        .order_by(User.id).limit(60)))
    for voter in voters:
        rows = {}
        for q in consultation.questions:
            ids = [o.id for o in q.options]
            rng.shuffle(ids)
            if q.kind == "ranked":
                rows[q.id] = [(o, n) for n, o in enumerate(ids[:rng.randint(q.min_choices, len(ids))], start=1)]
            else:
                rows[q.id] = [(ids[0], None)]
        ballots._into_the_box(consultation, rows, {"user_id": voter.id, "ward_id": voter.ward_id,
                                                   "channel": "online",
                                                   "voted_at": consultation.opens_at + timedelta(days=2)})
    db.session.expire(consultation)
