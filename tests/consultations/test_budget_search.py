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


def test_a_project_can_be_followed(signed_in, make_budget, voter):
    from civic.notifications import services as notifications

    b = make_budget()
    pid = project_ids(b)["Bike hangars"]
    client = signed_in(voter)
    assert client.post("/follow", data={"resource_type": "budget_project", "resource_id": str(pid)}).status_code == 302
    assert notifications.followers_count("budget_project", pid) == 1


def test_a_projects_description_is_sanitised_and_its_image_served_with_its_budget(signed_in, client, officer,
                                                                                  make_budget, png_image):
    from io import BytesIO

    from sqlalchemy import select

    from consultations.models import BudgetProject

    b = make_budget(published=False, opens=utcnow() + timedelta(days=2), closes=utcnow() + timedelta(days=9))
    staff = signed_in(officer)
    response = staff.post(f"/budgets/{b.id}/projects/new", data={
        "title": "Murals", "cost": "900", "description": "Paint *walls*<script>alert(1)</script>",
        "image": (BytesIO(png_image), "mural.png"), "image_alt": "A painted wall"},
        content_type="multipart/form-data")
    assert response.status_code == 302
    project = db.session.scalar(select(BudgetProject).where(BudgetProject.title == "Murals"))
    assert project.image_path and project.image_alt == "A painted wall"
    image_url = f"/uploads/{project.image_path}"
    assert client.get(image_url).status_code == 404  # a draft budget's image: not to the public
    no_alt = staff.post(f"/budgets/{b.id}/projects/new", data={
        "title": "More murals", "cost": "900", "image": (BytesIO(png_image), "m.png")},
        content_type="multipart/form-data")
    assert "Describe the image for people who cannot see it." in main_text(no_alt)
    budgets.publish(officer, b)
    db.session.commit()
    served = client.get(image_url)
    assert served.status_code == 200
    served.close()
    html = client.get(f"/budgets/{b.id}/projects/{project.id}").get_data(as_text=True)
    assert "<em>walls</em>" in html and "<script>alert(1)</script>" not in html
    assert 'alt="A painted wall"' in html
