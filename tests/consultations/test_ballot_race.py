"""One ballot per person, kept by the database: parallel submissions by one person on PostgreSQL record exactly
one; two hundred different voters at once all count. Real commits, one session per racer."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from civic.accounts import roles
from civic.db import db
from consultations import ballots
from consultations.models import Ballot, Consultation, Receipt, RollEntry
from tests import factories
from tests.consultations import factories as consultations
from tests.support.race import committed, delete_people, race, real_commits, tag

pytestmark = [pytest.mark.postgres, pytest.mark.no_transaction]


@pytest.fixture
def world(app):
    made: dict[str, list[int]] = {"users": [], "consultations": []}

    def make(n_voters: int) -> tuple[int, list[int], dict]:
        with committed(app):
            c = consultations.consultation(questions=[("single", "Yes or no?", ["Yes", "No"])], commit=False)
            voters = factories.people(n_voters, prefix=f"voter_{tag()}", roles=[roles.VERIFIED], commit=False)
            db.session.flush()
            made["consultations"].append(c.id)
            made["users"] += [v.id for v in voters]
            return c.id, [v.id for v in voters], {c.questions[0].id: c.questions[0].options[0].id}

    with real_commits(app, connections=25) as _engine:
        yield make
        with committed(app):
            db.session.execute(delete(Consultation).where(Consultation.id.in_(made["consultations"])))
            delete_people(made["users"], audit_of=("consultation", made["consultations"]))


def cast(user_id: int, consultation_id: int, answers: dict) -> str:
    from civic.accounts.models import User

    return ballots.cast(db.session.get(User, user_id), db.session.get(Consultation, consultation_id), answers)


def _counts(app, cid: int) -> tuple[int, int, int, int]:
    with committed(app):
        def n(model):
            return db.session.scalar(select(func.count()).select_from(model).where(model.consultation_id == cid))
        return n(RollEntry), n(Ballot), n(Receipt), db.session.get(Consultation, cid).turnout


def test_twenty_parallel_submissions_by_one_person_record_exactly_one(app, world):
    cid, (voter,), answers = world(1)
    outcomes = race(app, cast, [(voter, cid, answers)] * 20, before="INSERT INTO consultation_roll")
    receipts = [o for o in outcomes if len(o) == ballots.RECEIPT_LENGTH and o.isalnum() and o.isupper()]
    assert len(receipts) == 1, outcomes
    assert all("already voted" in o for o in outcomes if o not in receipts)
    assert _counts(app, cid) == (1, 1, 1, 1)


def test_two_hundred_voters_at_once_all_count(app, world):
    cid, voters, answers = world(200)
    outcomes = race(app, cast, [(v, cid, answers) for v in voters], before="INSERT INTO consultation_roll",
                    at_once=20)
    assert all(len(o) == ballots.RECEIPT_LENGTH for o in outcomes), [o for o in outcomes if len(o) != 16][:3]
    assert len(set(outcomes)) == 200
    assert _counts(app, cid) == (200, 200, 200, 200)


def either_channel(channel: str, user_id: int, officer_id: int, consultation_id: int, answers: dict) -> str:
    from civic.accounts.models import User

    consultation = db.session.get(Consultation, consultation_id)
    if channel == "online":
        return ballots.cast(db.session.get(User, user_id), consultation, answers)
    officer = db.session.get(User, officer_id)
    voter = ballots.paper_voter_for_user(officer, consultation, user_id)
    return ballots.cast_paper(officer, consultation, voter, "Market day", answers)


def test_online_and_paper_at_once_for_one_person_record_one(app, world):
    cid, (voter, officer), answers = world(2)
    with committed(app):
        from civic.accounts.models import User, UserRole

        db.session.add(UserRole(user_id=officer, role=roles.OFFICER))
        assert db.session.get(User, officer) is not None
    calls = [("online" if n % 2 else "paper", voter, officer, cid, answers) for n in range(10)]
    outcomes = race(app, either_channel, calls, before="INSERT INTO consultation_roll")
    assert sum(len(o) == ballots.RECEIPT_LENGTH and o.isupper() for o in outcomes) == 1, outcomes
    assert _counts(app, cid) == (1, 1, 1, 1)
