"""A published budget's projects are found by search; a draft budget's are not, and appear once it is published
(the projects are the consultation's children in the index); projects take comments and follows."""

from __future__ import annotations

from datetime import timedelta

from civic.db import db, utcnow
from consultations import budgets
from tests.consultations.budget_factories import project_ids
from tests.support.pages import main_text
from tests.support.search import keys


def test_projects_of_published_budgets_are_found(make_budget, officer, find):
    shown = make_budget(projects=[("Hedgehog highway", "1000")])
    draft = make_budget(projects=[("Hedgehog houses", "1000")], published=False,
                        opens=utcnow() + timedelta(days=2), closes=utcnow() + timedelta(days=9))
    assert keys(find("hedgehog", type="budget_project")) == [f"budget_project:{project_ids(shown)['Hedgehog highway']}"]
    budgets.publish(officer, draft)
    db.session.commit()
    assert sorted(keys(find("hedgehog", type="budget_project"))) == sorted(
        f"budget_project:{i}" for i in (project_ids(shown)["Hedgehog highway"], project_ids(draft)["Hedgehog houses"]))


def test_a_project_takes_comments(signed_in, make_budget, voter):
    b = make_budget()
    pid = project_ids(b)["Bike hangars"]
    client = signed_in(voter)
    page = main_text(client.get(f"/budgets/{b.id}/projects/{pid}"))
    assert "Bike hangars" in page and "£20,000" in page and "Comments (0)" in page
    posted = client.post(f"/comments/budget_project/{pid}", data={"body": "Yes please, near the station."})
    assert posted.status_code in (302, 303)
    assert "Yes please, near the station." in main_text(client.get(f"/budgets/{b.id}/projects/{pid}"))
