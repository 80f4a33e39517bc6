"""Two officers choosing the official rule of one budget at once, on PostgreSQL: they take turns (the budget's row
is locked, and the projects are read again after the lock), so the funded projects are always those of the rule
recorded last. Real commits, one session each; five rounds, each starting from the last one's choice. Without the
lock this test fails (one rule recorded, the other's projects funded)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from civic.accounts import roles
from civic.db import db, utcnow
from civic.spaces.models import Process
from consultations import ballots, budget_results, budgets
from consultations.models import Budget, BudgetProject, Consultation
from tests import factories
from tests.consultations import budget_factories
from tests.support.race import committed, delete_people, race, real_commits, tag

pytestmark = [pytest.mark.postgres, pytest.mark.no_transaction]


def choose(user_id: int, budget_id: int, rule: str) -> str:
    from civic.accounts.models import User

    funded = budget_results.choose_rule(db.session.get(User, user_id), db.session.get(Budget, budget_id), rule)
    return ",".join(sorted(str(p.id) for p in funded))


@pytest.fixture
def world(app):
    """A closed budget of two blocs (greedy funds A, B, C; Equal Shares A, B, D) and two officers, committed for
    real; removed afterwards."""
    made: dict[str, list[int]] = {"users": [], "consultations": [], "processes": []}
    with real_commits(app, connections=6) as _engine:
        with committed(app):
            b = budget_factories.budget(total="1000", projects=[(f"P{t}", "300") for t in "ABCDE"], commit=False)
            people = factories.people(10, prefix=f"chooser_{tag()}", roles=[roles.VERIFIED], commit=False)
            officers = factories.people(2, prefix=f"officer_{tag()}", roles=["officer"], commit=False)
            db.session.flush()
            made["consultations"].append(b.consultation_id)
            made["processes"].append(b.consultation.process_id)
            made["users"] += [u.id for u in people + officers]
            ids = budget_factories.project_ids(b)
            options = {p.id: p.option_id for p in budgets.projects(b)}
            question = b.headings[0].question_id
            for n, person in enumerate(people):
                chosen = ["PA", "PB", "PC"] if n < 6 else ["PD", "PE"]
                ballots._into_the_box(b.consultation, {question: [(options[ids[t]], None) for t in chosen]},
                                      {"user_id": person.id, "ward_id": None, "channel": "online"})
            b.consultation.closes_at = utcnow() - timedelta(minutes=1)
            budget_id, officer_ids = b.id, [o.id for o in officers]
        yield budget_id, officer_ids
        with committed(app):
            db.session.execute(delete(Consultation).where(Consultation.id.in_(made["consultations"])))
            db.session.execute(delete(Process).where(Process.id.in_(made["processes"])))
            delete_people(made["users"])


def test_two_officers_choosing_at_once_leave_one_rules_projects_funded(app, world):
    budget_id, officer_ids = world
    expected = {"greedy": {"PA", "PB", "PC"}, "equal_shares": {"PA", "PB", "PD"}}
    for _round in range(5):
        outcomes = race(app, choose, [(officer_ids[0], budget_id, "greedy"),
                                      (officer_ids[1], budget_id, "equal_shares")],
                        before=lambda sql: "FOR UPDATE" in sql)
        assert len(outcomes) == 2 and all("," in o for o in outcomes), outcomes
        with committed(app):
            rule = db.session.get(Budget, budget_id).outcome_rule
            funded = set(db.session.scalars(select(BudgetProject.title).where(
                BudgetProject.budget_id == budget_id, BudgetProject.funded_at.is_not(None))))
        assert funded == expected[rule]
