"""A budget's projects can be reported and hidden by moderation (a project made from an accepted proposal carries
residents' text): a hidden project keeps its cost but not its name or description on the budget's page, its own
page, the map's points and the API; it leaves search; no new ballot may choose it (the service refuses, naming
``projects``); officers still see it; restoring it brings everything back."""

from __future__ import annotations

from sqlalchemy import select

from civic.db import db
from civic.errors import RuleViolation
from civic.moderation import services as moderation
from consultations import budgets
from tests.consultations.budget_factories import project_ids
from tests.consultations.test_api import bearer
from tests.support.pages import main_text
from tests.support.search import keys

HIDDEN = "This project was hidden by the moderators."


def test_a_project_page_offers_a_report_link_and_a_resident_reports_it(signed_in, make_budget, voter):
    b = make_budget()
    pid = project_ids(b)["Bike hangars"]
    client = signed_in(voter)
    html = client.get(f"/budgets/{b.id}/projects/{pid}").get_data(as_text=True)
    assert f"/moderation/report/budget_project/{pid}" in html
    response = client.post(f"/moderation/report/budget_project/{pid}", data={"reason": "offensive"})
    assert response.status_code in (302, 303)
    assert moderation.has_reported(voter, "budget_project", pid)
    assert moderation.moderation_of("budget_project", pid).reports_count == 1


def test_an_officer_hides_a_project_it_leaves_pages_search_and_api_then_restore_brings_it_back(
        client, signed_in, make_budget, voter, officer, make_user, find):
    b = make_budget(projects=[("Hedgehog highway", "1000"), ("Bike hangars", "20000")], total="60000",
                    located=True)
    ids = project_ids(b)
    pid = ids["Hedgehog highway"]
    moderation.report(voter, "budget_project", pid, "offensive")
    assert keys(find("hedgehog", type="budget_project")) == [f"budget_project:{pid}"]
    moderation.hide(officer, "budget_project", pid, "Names a neighbour")
    db.session.commit()

    assert keys(find("hedgehog", type="budget_project")) == []

    resident = signed_in(voter)
    page = main_text(resident.get(f"/budgets/{b.id}"))
    assert "Hedgehog highway" not in page and f"{HIDDEN} — £1,000" in page and "Bike hangars — £20,000" in page
    html = resident.get(f"/budgets/{b.id}").get_data(as_text=True)
    assert f'id="project-{pid}"' not in html and f'id="project-{ids["Bike hangars"]}"' in html
    own = main_text(resident.get(f"/budgets/{b.id}/projects/{pid}"))
    assert HIDDEN in own and "Hedgehog highway" not in own and "About Hedgehog" not in own and "£1,000" in own
    geo = client.get(f"/budgets/{b.id}/projects.geojson").get_data(as_text=True)
    assert "Hedgehog highway" not in geo and HIDDEN in geo

    api = client.get(f"/api/v1/budgets/{b.id}/projects").get_json()["items"]
    hidden = next(p for p in api if p["id"] == pid)
    assert hidden == {**hidden, "title": HIDDEN, "description": "", "cost": "1000", "hidden": True}
    assert next(p for p in api if p["id"] == ids["Bike hangars"])["title"] == "Bike hangars"

    staff = signed_in(make_user("officer"))
    assert "Hedgehog highway" in main_text(staff.get(f"/budgets/{b.id}/manage"))
    assert "Hedgehog highway" in main_text(staff.get(f"/budgets/{b.id}/projects/{pid}"))

    moderation.unhide(make_user("officer"), "budget_project", pid, "The neighbour agreed")
    db.session.commit()
    assert keys(find("hedgehog", type="budget_project")) == [f"budget_project:{pid}"]
    assert "Hedgehog highway — £1,000" in main_text(resident.get(f"/budgets/{b.id}"))
    assert client.get(f"/api/v1/budgets/{b.id}/projects").get_json()["items"][0]["title"] == "Hedgehog highway"


def test_a_hidden_project_cannot_be_chosen_by_the_service_the_page_or_the_api(client, signed_in, make_budget, voter,
                                                                            officer):
    b = make_budget(total="60000")
    ids = project_ids(b)
    pid = ids["Bike hangars"]
    moderation.hide(officer, "budget_project", pid, "Spam")
    db.session.commit()
    try:
        budgets.cast(voter, b, [pid])
    except RuleViolation as e:
        assert e.field == "projects" and "hidden by the moderators" in e.message
    else:
        raise AssertionError("a hidden project was cast")
    resident = signed_in(voter)
    refused = main_text(resident.post(f"/budgets/{b.id}/vote", data={"projects": [str(pid)]}))
    assert "hidden by the moderators, so it cannot be chosen" in refused
    review = main_text(resident.post(f"/budgets/{b.id}/review", data={"action": "review", "projects": [str(pid)]}))
    assert "hidden by the moderators, so it cannot be chosen" in review
    response = client.post(f"/api/v1/budgets/{b.id}/ballot", json={"projects": [pid]}, headers=bearer(voter))
    assert response.status_code == 422 and "projects" in response.get_data(as_text=True)
    cast = resident.post(f"/budgets/{b.id}/vote", data={"projects": [str(ids["Trees on Edgware Road"])]})
    assert "Your receipt code" in main_text(cast)


def test_the_officer_who_made_the_project_counts_as_its_author(make_budget, officer, make_user):
    from civic import resources

    b = make_budget()
    pid = project_ids(b)["Bike hangars"]
    rt = resources.find("budget_project")
    assert "reportable" in rt.capabilities
    project = db.session.get(rt.model, pid)
    assert rt.moderation.author_id(project) is None  # made directly, by no officer
    project.created_by_id = officer.id
    db.session.commit()
    assert rt.moderation.author_id(project) == officer.id
    moderation.hide(officer, "budget_project", pid, "Mine, but rude")
    db.session.commit()
    try:
        moderation.unhide(officer, "budget_project", pid, "Back")
    except Exception as e:  # nobody judges their own case
        assert "another officer" in str(e)
    else:
        raise AssertionError("the project's maker restored it")
    moderation.unhide(make_user("officer"), "budget_project", pid, "Back")
    db.session.commit()
    assert project.hidden_at is None


def test_a_hidden_projects_image_is_withheld_from_residents(client, signed_in, officer, make_user, make_budget,
                                                            png_image):
    from datetime import timedelta
    from io import BytesIO

    from civic.db import utcnow
    from consultations.models import BudgetProject

    b = make_budget(published=False, opens=utcnow() + timedelta(days=2), closes=utcnow() + timedelta(days=9))
    staff = signed_in(officer)
    response = staff.post(f"/budgets/{b.id}/projects/new", data={
        "title": "Murals", "cost": "900", "image": (BytesIO(png_image), "mural.png"), "image_alt": "A wall"},
        content_type="multipart/form-data")
    assert response.status_code == 302
    budgets.publish(officer, b)
    db.session.commit()
    project = db.session.scalar(select(BudgetProject).where(BudgetProject.title == "Murals"))
    image_url = f"/uploads/{project.image_path}"
    served = client.get(image_url)
    assert served.status_code == 200
    served.close()
    moderation.hide(make_user("officer"), "budget_project", project.id, "A resident's face")
    db.session.commit()
    assert client.get(image_url).status_code == 404
    assert 'alt="A wall"' not in client.get(f"/budgets/{b.id}/projects/{project.id}").get_data(as_text=True)
    for_staff = staff.get(image_url)
    assert for_staff.status_code == 200
    for_staff.close()
