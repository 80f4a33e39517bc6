"""Residents vote in a participatory budget: the page lists the projects with filters and a running total that
works without JavaScript ("Update total"), the review step, the receipt shown once; every bad choice is refused
with its reason beside the field, nothing half-kept; the ballot is as secret as any consultation's."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from civic.db import db, utcnow
from consultations import ballots, budgets
from consultations.models import Ballot, BudgetProject, Choice, Receipt, RollEntry
from tests.consultations.budget_factories import project_ids
from tests.support.pages import main_text


def counts(consultation_id: int) -> tuple[int, int, int, int]:
    def n(model, column):
        return db.session.scalar(select(func.count()).select_from(model).where(column == consultation_id))
    choices = db.session.scalar(select(func.count()).select_from(Choice).join(Ballot, Ballot.id == Choice.ballot_id)
                                .where(Ballot.consultation_id == consultation_id))
    return (n(RollEntry, RollEntry.consultation_id), n(Ballot, Ballot.consultation_id), choices,
            n(Receipt, Receipt.consultation_id))


def test_the_page_lists_projects_with_costs_the_money_and_the_rule(client, signed_in, make_budget, voter):
    b = make_budget(title="2027 budget", total="60000")
    page = main_text(client.get(f"/budgets/{b.id}"))
    assert "2027 budget" in page and "£60,000" in page
    assert "Trees on Edgware Road — £40,000" in page and "Water fountains — £10,000" in page
    assert "as long as their costs fit the budget" in page
    assert "Sign in as a verified resident to vote." in page
    mine = main_text(signed_in(voter).get(f"/budgets/{b.id}"))
    assert "Update total" in mine and "Review my choice" in mine
    assert "you have chosen £0 of £60,000 (£60,000 left)" in mine


def test_update_total_recalculates_without_javascript(signed_in, make_budget, voter):
    b = make_budget(total="60000")
    ids = project_ids(b)
    client = signed_in(voter)
    response = client.post(f"/budgets/{b.id}/review", data={"action": "update", "projects": [
        str(ids["Trees on Edgware Road"]), str(ids["A play street"])]})
    assert response.status_code == 200
    text = main_text(response)
    assert "you have chosen £70,000 of £60,000 (£0 left)" in text
    assert "Over the budget by £10,000." in text
    assert "more than the £60,000 of The whole city" in text
    html = response.get_data(as_text=True)
    assert f'value="{ids["Trees on Edgware Road"]}" data-cost="40000.00" data-heading' in html
    assert html.count(" checked") == 2
    assert counts(b.consultation_id) == (0, 0, 0, 0)


def test_review_then_cast_gives_a_receipt_once_and_one_secret_ballot(signed_in, make_budget, voter):
    b = make_budget(total="60000")
    ids = project_ids(b)
    chosen = [str(ids["Trees on Edgware Road"]), str(ids["Bike hangars"])]
    client = signed_in(voter)
    review = client.post(f"/budgets/{b.id}/review", data={"action": "review", "projects": chosen})
    text = main_text(review)
    assert "Check your choice" in text and "Trees on Edgware Road" in text and "Bike hangars" in text
    assert "£60,000" in text and "Your ballot is final." in text
    assert counts(b.consultation_id) == (0, 0, 0, 0)
    cast = client.post(f"/budgets/{b.id}/vote", data={"projects": chosen})
    assert cast.status_code == 200
    code = main_text(cast).split("Your receipt code")[1].split()[0]
    assert len(ballots.normalise_receipt(code)) == ballots.RECEIPT_LENGTH
    assert counts(b.consultation_id) == (1, 1, 2, 1)
    chosen_options = set(db.session.scalars(select(Choice.option_id)))
    assert chosen_options == set(db.session.scalars(select(BudgetProject.option_id).where(
        BudgetProject.id.in_([ids["Trees on Edgware Road"], ids["Bike hangars"]]))))
    again = client.post(f"/budgets/{b.id}/vote", data={"projects": chosen})
    assert again.status_code == 409 and "You have already voted" in main_text(again)
    assert counts(b.consultation_id) == (1, 1, 2, 1)
    page = main_text(client.get(f"/budgets/{b.id}"))
    assert "You voted on" in page and "Review my choice" not in page
    assert ballots.receipt_counted(b.consultation, code)


def _refused(client, b, chosen) -> str:
    response = client.post(f"/budgets/{b.id}/review", data={"action": "review", "projects": [str(i) for i in chosen]})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="projects-error"' in html
    return main_text(response)


def test_each_bad_choice_is_refused_with_its_reason_beside_the_field(signed_in, make_budget, voter):
    b = make_budget(total="60000", rule="approval", min_projects=2, max_projects=3, min_share_percent=50,
                    projects=[("Trees on Edgware Road", "40000"), ("A play street", "30000"), ("Bike hangars", "20000"),
                              ("Water fountains", "5000")])
    ids = project_ids(b)
    client = signed_in(voter)
    assert "more than the £60,000 of The whole city" in _refused(
        client, b, [ids["Trees on Edgware Road"], ids["A play street"]])
    assert "Choose at least 2 projects in The whole city." in _refused(client, b, [ids["Trees on Edgware Road"]])
    assert "Spend at least 50% of the money of The whole city (£30,000): your projects cost £25,000." in _refused(
        client, b, [ids["Bike hangars"], ids["Water fountains"]])
    assert "Choose among the projects of this budget." in _refused(client, b, [999999])
    assert "Choose among the projects of this budget." in _refused(client, b, ["abc"])
    assert counts(b.consultation_id) == (0, 0, 0, 0)


def test_too_many_projects_is_refused(signed_in, make_budget, voter):
    b = make_budget(total="200000", rule="approval", min_projects=1, max_projects=2)
    ids = project_ids(b)
    text = _refused(signed_in(voter), b, [ids["Trees on Edgware Road"], ids["A play street"], ids["Bike hangars"]])
    assert "Choose at most 2 projects in The whole city." in text


def test_below_the_minimum_share_is_refused(signed_in, make_budget, voter):
    b = make_budget(total="60000", min_share_percent=50)
    ids = project_ids(b)
    text = _refused(signed_in(voter), b, [ids["Bike hangars"]])
    assert "Spend at least 50% of the money of The whole city (£30,000): your projects cost £20,000." in text
    ok = signed_in(voter).post(f"/budgets/{b.id}/vote", data={"projects": [str(ids["Trees on Edgware Road"])]})
    assert "Your ballot is cast" in main_text(ok)


def test_a_project_of_another_ward_is_refused_and_each_votes_in_their_own(signed_in, make_budget, voter, make_user):
    b = make_budget(wards={"Church Street": "50000", "Bayswater": "30000"},
                    projects=[("Church Street lights", "20000", "Church Street"),
                              ("Bayswater benches", "10000", "Bayswater")])
    ids = project_ids(b)
    client = signed_in(voter)  # of Church Street
    page = main_text(client.get(f"/budgets/{b.id}"))
    assert "Residents of Bayswater vote on it." in page
    assert "Church Street: you have chosen £0 of £50,000" in page and "Bayswater: you have chosen" not in page
    text = _refused(client, b, [ids["Church Street lights"], ids["Bayswater benches"]])
    assert "“Bayswater benches” is a project of Bayswater: you vote in the projects of your own ward." in text
    assert "Your ballot is cast" in main_text(client.post(f"/budgets/{b.id}/vote",
                                                          data={"projects": [str(ids["Church Street lights"])]}))
    other = make_user("verified", ward="Marylebone")
    refused = signed_in(other).post(f"/budgets/{b.id}/vote", data={"projects": [str(ids["Bayswater benches"])]})
    assert refused.status_code == 403
    assert counts(b.consultation_id) == (1, 1, 1, 1)


def test_a_closed_budget_refuses_with_the_date(signed_in, make_budget, voter):
    now = utcnow()
    b = make_budget(opens=now - timedelta(days=9), closes=now - timedelta(days=1))
    ids = project_ids(b)
    response = signed_in(voter).post(f"/budgets/{b.id}/vote", data={"projects": [str(ids["Bike hangars"])]})
    assert response.status_code == 409 and "Voting closed on" in main_text(response)
    assert counts(b.consultation_id) == (0, 0, 0, 0)


def test_the_consultation_page_and_its_generic_ballot_send_budgets_to_their_own(client, signed_in, make_budget,
                                                                              voter):
    b = make_budget()
    ids = project_ids(b)
    assert client.get(f"/consultations/{b.consultation_id}").headers["Location"].endswith(
        f"/consultations/{b.consultation_id}/budget")
    assert client.get(f"/consultations/{b.consultation_id}/budget").headers["Location"].endswith(f"/budgets/{b.id}")
    question = b.headings[0].question_id
    response = signed_in(voter).post(f"/consultations/{b.consultation_id}/vote",
                                     data={f"q{question}": [str(ids["Trees on Edgware Road"])] * 1})
    assert "Vote in this participatory budget on its own page." in main_text(response)
    assert counts(b.consultation_id) == (0, 0, 0, 0)


def test_filters_by_ward_and_programme_keep_the_choice(signed_in, make_budget, voter):
    b = make_budget(projects=[("Lights", "1000", "Church Street"), ("Benches", "2000", "Bayswater")])
    ids = project_ids(b)
    client = signed_in(voter)
    page = main_text(client.get(f"/budgets/{b.id}?ward=bayswater"))
    assert "Benches" in page and "Lights —" not in page and "1 of 2 shown" in page
    html = client.get(f"/budgets/{b.id}?ward=bayswater&projects={ids['Lights']}").get_data(as_text=True)
    assert f'<input type="hidden" name="projects" value="{ids["Lights"]}" data-cost' in html
    assert "No projects match" in main_text(client.get(f"/budgets/{b.id}?programme=innovative-economy"))
    assert budgets.pounds(1234567) == "£1,234,567"


def test_the_consultations_list_and_the_budgets_list_name_the_budget(client, make_budget):
    b = make_budget(title="2027 budget", total="60000")
    listed = main_text(client.get("/consultations/"))
    assert "2027 budget" in listed and "A participatory budget." in listed
    budgets_page = main_text(client.get("/budgets/"))
    assert "2027 budget" in budgets_page and "£60,000 to share." in budgets_page
    process = main_text(client.get(f"/processes/{b.consultation.process.slug}/budgets"))
    assert "2027 budget" in process


def test_after_close_the_consultations_results_and_files_count_the_budget_ballots(client, signed_in, make_budget,
                                                                                 voter, make_user):
    b = make_budget(total="60000")
    ids = project_ids(b)
    signed_in(voter).post(f"/budgets/{b.id}/vote", data={"projects": [str(ids["Bike hangars"])]})
    other = make_user("verified", ward="Bayswater")
    signed_in(other).post(f"/budgets/{b.id}/vote", data={"projects": [str(ids["Bike hangars"]),
                                                                        str(ids["A play street"])]})
    assert client.get(f"/consultations/{b.consultation_id}/results").status_code == 200  # "after the close"
    b.consultation.closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    page = main_text(client.get(f"/consultations/{b.consultation_id}/results"))
    assert "Bike hangars" in page
    data = client.get(f"/api/v1/consultations/{b.consultation_id}/ballots").get_json()
    assert sorted(len(ballot[str(b.headings[0].question_id)]) for ballot in data["ballots"]) == [1, 2]
