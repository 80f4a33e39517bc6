"""The budget's page and the budget ballot POST run a fixed number of SQL statements whatever the number of projects,
wards and programmes (the page lists every project: a budget holds at most ``budgets.MAX_PROJECTS``)."""

from __future__ import annotations

from civic.db import db
from tests.consultations.budget_factories import project_ids
from tests.consultations.test_api import bearer

WARDS = ["Church Street", "Bayswater", "Marylebone", "Vincent Square"]


def many(n: int, *, by_ward: bool = False) -> list[tuple]:
    return [(f"Project {k}", str(1000 + k), WARDS[k % len(WARDS)] if by_ward else WARDS[k % 2]) for k in range(n)]


def _page(client, count_queries, budget_id: int, query: str = "") -> int:
    db.session.expunge_all()
    with count_queries() as counted:
        response = client.get(f"/budgets/{budget_id}{query}")
    assert response.status_code == 200
    return counted.count


def test_the_budget_page_runs_a_fixed_number_of_statements(client, signed_in, make_budget, voter, count_queries):
    few = make_budget(projects=many(3), total="1000000", located=True)
    lots = make_budget(projects=many(60), total="1000000", located=True)
    assert _page(client, count_queries, lots.id) == _page(client, count_queries, few.id)
    assert _page(client, count_queries, lots.id, "?ward=bayswater") == _page(client, count_queries, few.id,
                                                                             "?ward=bayswater")
    mine = signed_in(voter)
    chosen_few = "?" + "&".join(f"projects={i}" for i in list(project_ids(few).values())[:2])
    chosen_lots = "?" + "&".join(f"projects={i}" for i in list(project_ids(lots).values())[:40])
    assert _page(mine, count_queries, lots.id, chosen_lots) == _page(mine, count_queries, few.id, chosen_few)
    wards_few = make_budget(projects=many(4, by_ward=True), wards=dict.fromkeys(WARDS, "100000"))
    wards_lots = make_budget(projects=many(80, by_ward=True), wards=dict.fromkeys(WARDS, "100000"))
    assert _page(mine, count_queries, wards_lots.id) == _page(mine, count_queries, wards_few.id)


def _post(client, count_queries, budget, user, chosen: list[int]) -> int:
    headers, bid = bearer(user), budget.id
    db.session.expunge_all()
    with count_queries() as counted:
        response = client.post(f"/api/v1/budgets/{bid}/ballot", json={"projects": chosen}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return counted.count


def test_the_budget_ballot_post_runs_a_fixed_number_of_statements(client, make_budget, make_user, count_queries):
    few = make_budget(projects=many(3), total="1000000")
    lots = make_budget(projects=many(60), total="1000000")
    small = _post(client, count_queries, few, make_user("verified"), list(project_ids(few).values())[:1])
    big = _post(client, count_queries, lots, make_user("verified"), list(project_ids(lots).values())[:30])
    assert big == small
