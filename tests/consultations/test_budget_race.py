"""One budget ballot per person, kept by the database as for any consultation: parallel submissions by one person
on PostgreSQL (with different choices) record exactly one; a hundred voters at once all count. Real commits, one
session per racer."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from civic.accounts import roles
from civic.db import db
from civic.spaces.models import Process
from consultations import ballots, budgets
from consultations.models import Ballot, Budget, Choice, Consultation, Receipt, RollEntry
from tests import factories
from tests.consultations import budget_factories
from tests.support.race import committed, delete_people, race, real_commits, tag

pytestmark = [pytest.mark.postgres, pytest.mark.no_transaction]


@pytest.fixture
def world(app):
    made: dict[str, list[int]] = {"users": [], "consultations": [], "processes": []}

    def make(n_voters: int) -> tuple[int, list[int], list[int]]:
        with committed(app):
            b = budget_factories.budget(total="60000", commit=False)
            voters = factories.people(n_voters, prefix=f"budget_voter_{tag()}", roles=[roles.VERIFIED],
                                      commit=False)
            db.session.flush()
            made["consultations"].append(b.consultation_id)
            made["processes"].append(b.consultation.process_id)
            made["users"] += [v.id for v in voters]
            return b.id, [v.id for v in voters], list(budget_factories.project_ids(b).values())

    with real_commits(app, connections=25) as _engine:
        yield make
        with committed(app):
            db.session.execute(delete(Consultation).where(Consultation.id.in_(made["consultations"])))
            db.session.execute(delete(Process).where(Process.id.in_(made["processes"])))
            delete_people(made["users"])


def cast(user_id: int, budget_id: int, chosen: list[int]) -> str:
    from civic.accounts.models import User

    return budgets.cast(db.session.get(User, user_id), db.session.get(Budget, budget_id), chosen)


def _counts(app, budget_id: int) -> tuple[int, int, int, int]:
    with committed(app):
        cid = db.session.get(Budget, budget_id).consultation_id

        def n(model):
            return db.session.scalar(select(func.count()).select_from(model).where(model.consultation_id == cid))
        return n(RollEntry), n(Ballot), n(Receipt), db.session.get(Consultation, cid).turnout


def test_twenty_parallel_budget_ballots_by_one_person_record_exactly_one(app, world):
    bid, (voter,), projects = world(1)
    choices = [[projects[0]], [projects[1], projects[2]], [projects[3]], [projects[2], projects[3]]]
    calls = [(voter, bid, choices[n % 4]) for n in range(20)]
    outcomes = race(app, cast, calls, before="INSERT INTO consultation_roll")
    receipts = [o for o in outcomes if len(o) == ballots.RECEIPT_LENGTH and o.isalnum() and o.isupper()]
    assert len(receipts) == 1, outcomes
    assert all("already voted" in o for o in outcomes if o not in receipts)
    assert _counts(app, bid) == (1, 1, 1, 1)
    with committed(app):
        cid = db.session.get(Budget, bid).consultation_id
        kept = db.session.scalar(select(func.count()).select_from(Choice).join(Ballot, Ballot.id == Choice.ballot_id)
                                 .where(Ballot.consultation_id == cid))
    assert kept in (1, 2)  # one ballot's choices, whichever won


def test_a_hundred_voters_at_once_all_count(app, world):
    bid, voters, projects = world(100)
    outcomes = race(app, cast, [(v, bid, [projects[1], projects[2]]) for v in voters],
                    before="INSERT INTO consultation_roll", at_once=20)
    assert all(len(o) == ballots.RECEIPT_LENGTH for o in outcomes), [o for o in outcomes if len(o) != 16][:3]
    assert len(set(outcomes)) == 100
    assert _counts(app, bid) == (100, 100, 100, 100)
