"""Consultations in the platform search (published, not hidden), and the demo data: one open consultation with
each question kind, one closed with its results."""

from __future__ import annotations

from sqlalchemy import func, select

from civic.cli import seed_demo_data
from civic.db import db, utcnow
from consultations import demo, results, services
from consultations.models import Consultation
from tests.support.search import keys


def test_published_consultations_are_found_drafts_and_hidden_ones_not(make_consultation, find):
    shown = make_consultation(title="Allotments beside the canal")
    make_consultation(title="Allotments in secret", published=False)
    hidden = make_consultation(title="Allotments hidden")
    hidden.hidden_at = utcnow()
    assert keys(find("allotments", type="consultation")) == [f"consultation:{shown.id}"]


def test_the_demo_has_an_open_consultation_of_each_kind_and_a_closed_one_with_results(app):
    seed_demo_data(password="demo password for tests")
    db.session.flush()
    by_title = {c.title: c for c in db.session.scalars(select(Consultation).where(
        Consultation.title.in_((demo.OPEN_TITLE, demo.CLOSED_TITLE))))}
    open_, closed = by_title[demo.OPEN_TITLE], by_title[demo.CLOSED_TITLE]
    assert services.status(open_) == "open" and {q.kind for q in open_.questions} == {"single", "multiple", "ranked"}
    assert services.status(closed) == "closed" and closed.counted_at is not None and closed.turnout > 0
    data = results.results(closed)
    assert data["turnout"]["ballots"] == closed.turnout
    assert data["questions"][0]["result"]["runoff"]["winner"] is not None
    demo.seed()  # again: nothing more
    assert db.session.scalar(select(func.count()).select_from(Consultation).where(
        Consultation.title.in_((demo.OPEN_TITLE, demo.CLOSED_TITLE)))) == 2
