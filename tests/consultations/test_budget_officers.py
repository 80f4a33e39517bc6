"""Officers set up a participatory budget: create it in a process (the city's money or each ward's), add projects by
hand or from the process's accepted proposals (linked both ways: the proposal's page says "Funded in the <budget>"
once the project is funded), publish it; every action is in the audit log; projects freeze once voting opens."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from civic.audit import AuditEntry
from civic.db import db, utcnow
from civic.errors import PermissionDenied, RuleViolation
from consultations import budgets
from consultations.models import Budget, BudgetProject, Consultation, Option
from tests.consultations.budget_factories import project_ids
from tests.factories import ward_named
from tests.proposals import factories as proposal_factories
from tests.support.pages import main_text


def budget_form(process, **overrides) -> dict:
    data = {"title": "2027 budget", "introduction": "Choose what we fund.", "process_slug": process.slug,
            "opens_at": "2030-03-01", "opens_at_time": "09:00", "closes_at": "2030-04-01", "closes_at_time": "17:00",
            "total": "250000", "rule": "knapsack", "min_projects": "1"}
    data.update(overrides)
    return data


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_an_officer_creates_a_city_wide_budget_and_adds_projects(signed_in, officer, make_process):
    process = make_process(allow_vote=True)
    client = signed_in(officer)
    response = client.post("/budgets/new", data=budget_form(process))
    assert response.status_code == 302
    budget = db.session.scalar(select(Budget))
    assert budget.total == Decimal("250000") and not budget.by_ward and budget.rule == "knapsack"
    assert budget.consultation.process_id == process.id and budget.consultation.state == "draft"
    assert [(h.ward_id, h.amount) for h in budget.headings] == [(None, Decimal("250000"))]
    assert budget.headings[0].question.kind == "budget"
    added = client.post(f"/budgets/{budget.id}/projects/new", data={
        "title": "Trees on Harrow Road", "description": "**Forty** trees.", "cost": "£40,000", "ward_id": "",
        "programme_id": str(process.programme_id), "latitude": "51.5226", "longitude": "-0.1990"})
    assert added.status_code == 302
    project = db.session.scalar(select(BudgetProject))
    assert project.cost == Decimal("40000") and project.latitude == 51.5226
    assert db.session.get(Option, project.option_id).text == "Trees on Harrow Road"
    manage = main_text(client.get(f"/budgets/{budget.id}/manage"))
    assert "Trees on Harrow Road" in manage and "£40,000" in manage
    assert client.post(f"/budgets/{budget.id}/publish").status_code == 302
    db.session.refresh(budget.consultation)
    assert budget.consultation.state == "published"
    assert actions() == ["budget.create", "budget.add_project", "budget.publish"]


def test_bad_budget_input_is_refused_beside_the_field(signed_in, officer, make_process):
    process = make_process(allow_vote=True)
    client = signed_in(officer)
    for overrides, message in [
        ({"total": "lots"}, "Enter the total in pounds, like 15000 or 15000.50."),
        ({"total": "-5"}, "The total must be more than £0."),
        ({"total": "10.005"}, "Give the total to the penny at most"),
        ({"total": "1e400"}, "The total is too large."),
        ({"total": "NaN"}, "Enter the total in pounds"),
        ({"process_slug": "no-such-process"}, "Choose the participatory process the budget belongs to."),
        ({"closes_at": "2030-02-01"}, "The closing time must be after the opening time."),
        ({"rule": "approval", "min_projects": "3", "max_projects": "2"},
         "The most projects must be at least the fewest, and at least 1."),
        ({"by_ward": "y"}, "Give at least one ward its money."),
    ]:
        response = client.post("/budgets/new", data=budget_form(process, **overrides))
        assert response.status_code == 200, overrides
        assert message in main_text(response), overrides
    assert db.session.scalar(select(Budget)) is None


def test_a_budget_split_by_ward_has_a_heading_per_ward_and_limits_who_votes(signed_in, officer, make_process):
    process = make_process(allow_vote=True)
    church, bays = ward_named("Church Street"), ward_named("Bayswater")
    client = signed_in(officer)
    response = client.post("/budgets/new", data=budget_form(
        process, by_ward="y", total="", **{f"ward_{church.id}": "50000", f"ward_{bays.id}": "30000.50"}))
    assert response.status_code == 302
    budget = db.session.scalar(select(Budget))
    assert budget.by_ward and budget.total == Decimal("80000.50")
    assert sorted((h.ward.name, h.amount) for h in budget.headings) == [
        ("Bayswater", Decimal("30000.50")), ("Church Street", Decimal("50000"))]
    assert not budget.consultation.whole_city
    assert {w.name for w in budget.consultation.wards} == {"Bayswater", "Church Street"}
    refused = client.post(f"/budgets/{budget.id}/projects/new", data={"title": "Lights", "cost": "1000",
                                                                      "ward_id": str(ward_named("Marylebone").id)})
    assert "This budget has no money for that ward" in main_text(refused)
    over = client.post(f"/budgets/{budget.id}/projects/new", data={"title": "Lights", "cost": "40000",
                                                                   "ward_id": str(bays.id)})
    assert "The project costs more than the £30,000.50 of Bayswater." in main_text(over)
    ok = client.post(f"/budgets/{budget.id}/projects/new", data={"title": "Lights", "cost": "1000",
                                                                 "ward_id": str(bays.id)})
    assert ok.status_code == 302
    heading = budgets.heading_for_ward(budget, bays.id)
    assert db.session.scalar(select(BudgetProject.heading_id)) == heading.id
    # Taking a ward's money away while it has projects is refused.
    edit = client.post(f"/budgets/{budget.id}/edit", data=budget_form(
        process, by_ward="y", total="", **{f"ward_{church.id}": "50000", f"ward_{bays.id}": ""}))
    assert "Bayswater has projects: remove them before taking its money away." in main_text(edit)
    assert "Church Street has no projects yet." in main_text(client.get(f"/budgets/{budget.id}/manage"))


def test_projects_and_rules_freeze_once_voting_opens(signed_in, officer, make_budget):
    b = make_budget()
    ids = project_ids(b)
    client = signed_in(officer)
    for url, data in [(f"/budgets/{b.id}/projects/new", {"title": "More", "cost": "10"}),
                      (f"/budgets/{b.id}/projects/{ids['Bike hangars']}/edit", {"title": "Bikes", "cost": "10"})]:
        response = client.post(url, data=data)
        assert "Voting in this budget has opened: its projects and rules can no longer change." in main_text(
            response), url
    client.post(f"/budgets/{b.id}/projects/{ids['Bike hangars']}/remove")
    assert db.session.get(BudgetProject, ids["Bike hangars"]) is not None
    with pytest.raises(RuleViolation):
        budgets.update(officer, b, budgets.Details(title="X", introduction="", process_slug=b.consultation.process.slug,
                                                   opens_at=utcnow(), closes_at=utcnow() + timedelta(days=1),
                                                   total="5"))
    assert actions() == []


def test_residents_cannot_manage_budgets(signed_in, make_user, make_budget):
    b = make_budget(published=False, opens=utcnow() + timedelta(days=3), closes=utcnow() + timedelta(days=9))
    resident = make_user("verified", ward="Church Street")
    client = signed_in(resident)
    assert client.get(f"/budgets/{b.id}/manage").status_code == 403
    assert client.get(f"/budgets/{b.id}").status_code == 404  # a draft is not shown
    assert client.post(f"/budgets/{b.id}/projects/new", data={"title": "X", "cost": "1"}).status_code == 403
    with pytest.raises(PermissionDenied):
        budgets.add_project(resident, b, budgets.ProjectDetails(title="X", cost="1"))


def test_editing_and_removing_a_project_before_voting(signed_in, officer, make_budget):
    b = make_budget(published=False, opens=utcnow() + timedelta(days=3), closes=utcnow() + timedelta(days=9))
    ids = project_ids(b)
    client = signed_in(officer)
    assert client.post(f"/budgets/{b.id}/projects/{ids['Bike hangars']}/edit",
                       data={"title": "Bike hangars for flats", "cost": "25000"}).status_code == 302
    project = db.session.get(BudgetProject, ids["Bike hangars"])
    assert project.title == "Bike hangars for flats" and project.cost == Decimal("25000")
    assert db.session.get(Option, project.option_id).text == "Bike hangars for flats"
    option_id = project.option_id
    from consultations import services  # the consultation's own question editing refuses a budget
    with pytest.raises(RuleViolation, match="participatory budget"):
        services.add_option(officer, b.headings[0].question, text="Sneaky")
    assert client.post(f"/budgets/{b.id}/projects/{ids['Bike hangars']}/remove").status_code == 302
    db.session.expire_all()
    assert db.session.get(BudgetProject, ids["Bike hangars"]) is None
    assert db.session.get(Option, option_id) is None
    assert actions() == ["budget.update_project", "budget.remove_project"]
    other = make_budget()
    assert client.post(f"/budgets/{b.id}/projects/{project_ids(other)['A play street']}/edit",
                       data={"title": "X", "cost": "1"}).status_code == 404


def test_projects_from_accepted_proposals_link_both_ways(signed_in, officer, make_user, client):
    process = proposal_factories.process(allow_vote=True)
    author = make_user("verified", ward="Church Street")
    accepted = proposal_factories.proposal(process, author, title="A pocket park", answer_state="accepted",
                                           answer_cost=Decimal("12000"), latitude=51.52, longitude=-0.17)
    no_cost = proposal_factories.proposal(process, author, title="Lights please", answer_state="accepted")
    proposal_factories.proposal(process, author, title="Rejected idea", answer_state="rejected")
    elsewhere = proposal_factories.proposal(proposal_factories.process(), author, title="Other process",
                                            answer_state="accepted", answer_cost=Decimal("5"))
    b = budgets.create(officer, budgets.Details(
        title="2027 budget", introduction="", process_slug=process.slug, opens_at=utcnow() + timedelta(days=1),
        closes_at=utcnow() + timedelta(days=30), total="100000"))
    db.session.commit()
    staff = signed_in(officer)
    listing = main_text(staff.get(f"/budgets/{b.id}/sources"))
    assert "A pocket park" in listing and "Cost in its answer: £12,000" in listing and "Lights please" in listing
    assert "Rejected idea" not in listing and "Other process" not in listing
    assert staff.post(f"/budgets/{b.id}/sources", data={"source": f"proposal:{accepted.id}"}).status_code == 302
    project = db.session.scalar(select(BudgetProject))
    assert (project.source_type, project.source_id, project.cost) == ("proposal", accepted.id, Decimal("12000"))
    assert project.title == "A pocket park" and project.ward_id == accepted.ward_id and project.latitude == 51.52
    assert "Already a project of this budget" in main_text(staff.get(f"/budgets/{b.id}/sources"))
    again = staff.post(f"/budgets/{b.id}/sources", data={"source": f"proposal:{accepted.id}"})
    assert "“A pocket park” is already a project of this budget." in main_text(again)
    needs_cost = staff.post(f"/budgets/{b.id}/sources", data={"source": f"proposal:{no_cost.id}"})
    assert "“Lights please” has no cost in its answer: enter the project's cost." in main_text(needs_cost)
    assert staff.post(f"/budgets/{b.id}/sources", data={"source": f"proposal:{no_cost.id}",
                                                        "cost": "3000"}).status_code == 302
    wrong = staff.post(f"/budgets/{b.id}/sources", data={"source": f"proposal:{elsewhere.id}"})
    assert "Choose an accepted proposal of this budget's process from the list." in main_text(wrong)
    junk = staff.post(f"/budgets/{b.id}/sources", data={"source": "nonsense:abc"})
    assert junk.status_code == 200 and "Choose an accepted proposal from the list." in main_text(junk)
    assert actions().count("budget.add_project_from_source") == 2
    # The project's page links to the proposal; the proposal's page says nothing until the project is funded.
    budgets.publish(officer, b)
    db.session.commit()
    page = staff.get(f"/budgets/{b.id}/projects/{project.id}").get_data(as_text=True)
    assert f'href="/proposals/{accepted.id}"' in page
    assert "Funded in the 2027 budget" not in main_text(client.get(f"/proposals/{accepted.id}"))
    project.funded_at = utcnow()
    db.session.commit()
    proposal_page = client.get(f"/proposals/{accepted.id}").get_data(as_text=True)
    assert "Funded in the 2027 budget" in proposal_page and f'href="/budgets/{b.id}"' in proposal_page
    assert "Funded in" not in main_text(client.get(f"/proposals/{no_cost.id}"))


def test_a_budget_hidden_or_draft_gives_no_badge(officer, make_user):
    process = proposal_factories.process(allow_vote=True)
    accepted = proposal_factories.proposal(process, make_user("verified"), answer_state="accepted",
                                           answer_cost=Decimal("10"))
    b = budgets.create(officer, budgets.Details(
        title="Draft budget", introduction="", process_slug=process.slug, opens_at=utcnow() + timedelta(days=1),
        closes_at=utcnow() + timedelta(days=30), total="100"))
    project = budgets.add_from_source(officer, b, "proposal", accepted.id)
    project.funded_at = utcnow()
    db.session.flush()
    assert budgets.funded_badges([accepted.id]) == {}
    b.consultation.state = "published"
    db.session.flush()
    assert [badge.text for badge in budgets.funded_badges([accepted.id])[accepted.id]] == ["Funded in the Draft budget"]
    db.session.get(Consultation, b.consultation_id).hidden_at = utcnow()
    db.session.flush()
    assert budgets.funded_badges([accepted.id]) == {}
