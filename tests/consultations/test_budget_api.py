"""The budgets' JSON API: the list, one budget with its headings, its projects (filters, pages), and casting a
budget ballot with a token under the page's rule (422 naming ``projects``, 409 for a closed budget or a second
ballot, 403 for eligibility)."""

from __future__ import annotations

from datetime import timedelta

from civic.db import utcnow
from consultations import ballots
from tests.consultations.budget_factories import project_ids
from tests.consultations.test_api import bearer


def test_the_list_one_budget_and_its_projects(client, make_budget):
    b = make_budget(title="2027 budget", total="60000", located=True)
    make_budget(title="Secret draft", published=False)
    listed = client.get("/api/v1/budgets").get_json()
    assert [i["title"] for i in listed["items"]] == ["2027 budget"]
    assert listed["items"][0]["total"] == "60000" and listed["items"][0]["status"] == "open"
    one = client.get(f"/api/v1/budgets/{b.id}").get_json()
    assert one["rule"] == "knapsack" and one["headings"] == [{"id": b.headings[0].id, "ward": None,
                                                              "amount": "60000"}]
    projects = client.get(f"/api/v1/budgets/{b.id}/projects?per_page=2").get_json()
    assert projects["total"] == 4 and [p["title"] for p in projects["items"]] == ["Trees on Edgware Road",
                                                                                  "A play street"]
    assert projects["items"][0]["cost"] == "40000" and projects["items"][0]["location"]["latitude"] == 51.52
    assert client.get(f"/api/v1/budgets/{b.id}/projects?programme=innovative-economy").get_json()["total"] == 0
    assert client.get("/api/v1/budgets/999999").status_code == 404
    assert "budgets" in [col["name"] for col in client.get("/api/v1/").get_json()["collections"]]


def test_casting_with_a_token_gives_a_receipt_once(client, make_budget, voter):
    b = make_budget(total="60000")
    ids = project_ids(b)
    headers = bearer(voter)
    url = f"/api/v1/budgets/{b.id}/ballot"
    response = client.post(url, json={"projects": [ids["Trees on Edgware Road"], ids["Bike hangars"]]},
                           headers=headers)
    assert response.status_code == 201
    assert ballots.receipt_counted(b.consultation, response.get_json()["receipt"])
    again = client.post(url, json={"projects": [ids["Bike hangars"]]}, headers=headers)
    assert again.status_code == 409 and "already voted" in again.get_json()["error"]


def test_bad_choices_are_422_naming_projects(client, make_budget, voter, make_user):
    b = make_budget(total="60000", rule="approval", min_projects=1, max_projects=2,
                    wards=None)
    ids = project_ids(b)
    headers = bearer(voter)
    url = f"/api/v1/budgets/{b.id}/ballot"
    for body, words in (({"projects": [ids["Trees on Edgware Road"], ids["A play street"]]}, "more than the £60,000"),
                        ({"projects": [ids["A play street"], ids["Bike hangars"], ids["Water fountains"]]},
                         "Choose at most 2 projects"),
                        ({"projects": []}, "Choose at least 1 project"),
                        ({"projects": [ids["Bike hangars"]] * 2}, "at most once"),
                        ({"projects": [999999]}, "Choose among the projects"),
                        ({"projects": "all of them"}, "as a list of project ids"),
                        ({"projects": [True]}, "Choose among the projects"),
                        ({"projects": [{"id": 1}]}, "Choose among the projects"),
                        ({}, "Choose at least 1 project")):
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == 422, body
        assert response.get_json()["field"] == "projects" and words in response.get_json()["error"], body
    assert client.post(url, data="not json", headers={**headers, "Content-Type": "application/json"}).status_code \
        in (400, 415, 422)
    assert ballots.roll_entry(b.consultation, voter) is None


def test_other_wards_closed_budgets_and_eligibility(client, make_budget, voter, make_user):
    b = make_budget(wards={"Church Street": "50000", "Bayswater": "30000"},
                    projects=[("Lights", "20000", "Church Street"), ("Benches", "10000", "Bayswater")])
    ids = project_ids(b)
    response = client.post(f"/api/v1/budgets/{b.id}/ballot", json={"projects": [ids["Benches"]]},
                           headers=bearer(voter))
    assert response.status_code == 422 and "is a project of Bayswater" in response.get_json()["error"]
    outsider = make_user("verified", ward="Marylebone")
    refused = client.post(f"/api/v1/budgets/{b.id}/ballot", json={"projects": [ids["Lights"]]},
                          headers=bearer(outsider))
    assert refused.status_code == 403
    now = utcnow()
    closed = make_budget(opens=now - timedelta(days=9), closes=now - timedelta(days=1))
    late = client.post(f"/api/v1/budgets/{closed.id}/ballot",
                       json={"projects": [project_ids(closed)["Bike hangars"]]}, headers=bearer(voter))
    assert late.status_code == 409 and "Voting closed on" in late.get_json()["error"]
    assert client.post(f"/api/v1/budgets/{b.id}/ballot", json={"projects": [ids["Lights"]]}).status_code == 401
