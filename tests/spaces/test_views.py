"""Process pages as people use them: officers create, edit, publish and plan phases; everyone reads."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import select

from civic import resources
from civic.db import db, utcnow
from civic.resources import Component
from civic.spaces.models import Phase, Process
from tests.spaces.conftest import audit_entries, field_error, phase, text, utc

FORM = {"title": "Cleaner air around schools", "subtitle": "Where should the sensors go?",
        "description": "We will **measure** air quality.", "programme": "cleantech-city", "scope": "city",
        "banner_alt": ""}


def png(width: int = 60, height: int = 30) -> BytesIO:
    data = BytesIO()
    Image.new("RGB", (width, height), (20, 120, 60)).save(data, "PNG")
    data.seek(0)
    return data


def process_named(title: str) -> Process | None:
    return db.session.scalar(select(Process).where(Process.title == title).execution_options(
        populate_existing=True))


# Creating and editing ---------------------------------------------------------------------------------------


def test_an_officer_creates_a_draft_process(client_as):
    client, officer = client_as("officer")
    page = client.get("/processes/new").get_data(as_text=True)
    assert "<h1>Create a participatory process</h1>" in page
    assert page.count('name="wards"') == 18 and 'enctype="multipart/form-data"' in page
    response = client.post("/processes/new", data={**FORM, "scope": "wards", "wards": ["Pimlico North",
                                                                                        "Vincent Square"]})
    assert response.status_code == 302 and response.location.endswith("/processes/cleaner-air-around-schools/phases")
    page = client.get(response.location).get_data(as_text=True)
    assert "is created as a draft" in text(page)
    process = process_named("Cleaner air around schools")
    assert not process.is_published and [w.name for w in process.wards] == ["Pimlico North", "Vincent Square"]
    entry = audit_entries("process", process.id)[0]
    assert (entry.action, entry.actor_id, entry.after["scope"]) == ("process.create", officer.id,
                                                                   ["Pimlico North", "Vincent Square"])


def test_bad_input_keeps_what_was_typed(client_as):
    client, _officer = client_as("officer")
    response = client.post("/processes/new", data={**FORM, "title": "", "scope": "wards",
                                                   "subtitle": "Keep <this> subtitle"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in page and "<title>Error:" in page
    assert "Enter the title of the process." in field_error(page, "title")
    assert "Choose at least one ward" in field_error(page, "wards")
    assert 'value="Keep &lt;this&gt; subtitle"' in page
    assert "We will **measure** air quality.</textarea>" in page
    assert re.search(r'<option selected value="cleantech-city">|<option value="cleantech-city" selected', page)
    assert re.search(r'id="scope-1"[^>]*checked|checked[^>]*id="scope-1"', page)
    assert process_named("Keep <this> subtitle") is None and db.session.scalar(
        select(Process).where(Process.subtitle == "Keep <this> subtitle")) is None


def test_chosen_wards_are_kept_when_another_field_is_wrong(client_as):
    client, _officer = client_as("officer")
    page = client.post("/processes/new", data={**FORM, "description": "", "scope": "wards",
                                               "wards": ["Maida Vale"]}).get_data(as_text=True)
    assert "Describe the process" in field_error(page, "description")
    assert re.search(r'<input checked id="wards-\d+" name="wards" type="checkbox" value="Maida Vale">', page)


def test_an_officer_edits_a_process(client_as, make_process):
    client, officer = client_as("officer")
    process = make_process("Smart lighting", wards=["Bayswater"], programme="innovative-economy")
    page = client.get(f"/processes/{process.slug}/edit").get_data(as_text=True)
    assert 'value="Smart lighting"' in page and re.search(r'checked[^>]*value="Bayswater"', page)
    response = client.post(f"/processes/{process.slug}/edit", data={**FORM, "title": "Smarter lighting",
                                                                    "scope": "city"})
    assert response.status_code == 302 and response.location.endswith(f"/processes/{process.slug}")
    changed = process_named("Smarter lighting")
    assert changed.whole_city and changed.wards == [] and changed.programme.slug == "cleantech-city"
    entry = audit_entries("process", process.id)[-1]
    assert entry.action == "process.update" and entry.actor_id == officer.id
    assert entry.before["title"] == "Smart lighting" and entry.after["title"] == "Smarter lighting"
    assert entry.before["scope"] == ["Bayswater"] and entry.after["scope"] == "whole city"


def test_publish_and_unpublish(client_as, client, make_process):
    officer_client, officer = client_as("officer")
    process = make_process("Draft plans", published=False)
    assert client.get(f"/processes/{process.slug}").status_code == 404
    page = officer_client.get(f"/processes/{process.slug}").get_data(as_text=True)
    assert "Only officers can see this process until it is published." in page and ">Publish</button>" in page
    response = officer_client.post(f"/processes/{process.slug}/publish")
    assert response.status_code == 302
    assert "is published: everyone can see it now" in text(officer_client.get(response.location).get_data(
        as_text=True))
    assert client.get(f"/processes/{process.slug}").status_code == 200
    officer_client.post(f"/processes/{process.slug}/unpublish")
    assert client.get(f"/processes/{process.slug}").status_code == 404
    assert [e.action for e in audit_entries("process", process.id)] == [
        "process.create", "process.publish", "process.unpublish"]


# Banner images ----------------------------------------------------------------------------------------------


def test_a_banner_image_with_its_description(client_as, app):
    client, _officer = client_as("officer")
    response = client.post("/processes/new", data={**FORM, "banner": (png(), "banner.png"),
                                                   "banner_alt": "Children at a school gate"},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    process = process_named(FORM["title"])
    assert process.banner_path.startswith("banners/") and process.banner_path.endswith(".png")
    client.post(f"/processes/{process.slug}/publish")
    page = client.get(f"/processes/{process.slug}").get_data(as_text=True)
    assert f'src="/uploads/{process.banner_path}" alt="Children at a school gate"' in page
    with client.get(f"/uploads/{process.banner_path}") as image:
        assert image.status_code == 200 and Image.open(BytesIO(image.data)).size == (60, 30)


def test_a_banner_needs_its_description(client_as):
    client, _officer = client_as("officer")
    page = client.post("/processes/new", data={**FORM, "banner": (png(), "banner.png")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "Describe the banner image" in field_error(page, "banner_alt")
    assert "choose the banner image again" in page
    assert process_named(FORM["title"]) is None


def test_a_file_that_is_not_an_image_is_refused(client_as):
    client, _officer = client_as("officer")
    page = client.post("/processes/new", data={**FORM, "banner": (BytesIO(b"%PDF-1.4 not an image"), "x.png"),
                                               "banner_alt": "A chart"},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "not an image we can read" in field_error(page, "banner")
    assert 'value="A chart"' in page
    assert process_named(FORM["title"]) is None


def test_replacing_and_removing_the_banner(client_as, app):
    client, _officer = client_as("officer")
    client.post("/processes/new", data={**FORM, "banner": (png(), "a.png"), "banner_alt": "First"},
                content_type="multipart/form-data")
    process = process_named(FORM["title"])
    first = process.banner_path
    stored = app.instance_path + "/uploads/" + first
    client.post(f"/processes/{process.slug}/edit", data={**FORM, "banner": (png(80, 40), "b.png"),
                                                         "banner_alt": "Second"},
                content_type="multipart/form-data")
    process = process_named(FORM["title"])
    assert process.banner_path != first and process.banner_alt == "Second"
    assert not os.path.exists(stored)  # the replaced image is gone
    page = client.post(f"/processes/{process.slug}/edit", data={**FORM, "banner_alt": ""}).get_data(as_text=True)
    assert "Describe the banner image" in field_error(page, "banner_alt")  # the image stays, so its text too
    client.post(f"/processes/{process.slug}/edit", data={**FORM, "remove_banner": "y"})
    process = process_named(FORM["title"])
    assert process.banner_path is None and process.banner_alt == ""


# Phases -----------------------------------------------------------------------------------------------------


def test_an_officer_adds_a_phase_in_uk_time(client_as, make_process):
    client, officer = client_as("officer")
    process = make_process(phases=[])
    page = client.get(f"/processes/{process.slug}/phases").get_data(as_text=True)
    assert "UK time (Europe/London" in page and "stores it in UTC" in page
    assert "Residents can write and publish new proposals." in page  # help text beside each action
    response = client.post(f"/processes/{process.slug}/phases", data={
        "title": "Supports", "description": "Support the ideas you like.",
        "starts_at": "2026-07-01", "starts_at_time": "09:00", "ends_at": "31/07/2026", "ends_at_time": "17:30",
        "allow_support": "y", "allow_comment": "y"})
    assert response.status_code == 302
    added = db.session.scalar(select(Phase).where(Phase.process_id == process.id))
    assert (added.starts_at, added.ends_at) == (utc(2026, 7, 1, 8), utc(2026, 7, 31, 16, 30))  # BST
    assert (added.allows("support"), added.allows("comment"), added.allows("propose")) == (True, True, False)
    page = client.get(response.location).get_data(as_text=True)
    assert "The phase “Supports” is added." in text(page)
    assert "1 July 2026, 09:00" in page and "31 July 2026, 17:30" in page
    # the next phase starts where the last one ended, shown day/month/year as the hint says (not the browser's
    # mm/dd/yyyy date picker)
    assert 'value="31/07/2026"' in page and 'value="17:30"' in page
    assert 'type="date"' not in page
    assert audit_entries("phase", added.id)[0].actor_id == officer.id


def test_an_overlapping_phase_is_refused_beside_the_field(client_as, make_process):
    client, _officer = client_as("officer")
    process = make_process(phases=[phase("Proposals", utc(2026, 1, 5, 9), utc(2026, 2, 1), "propose")])
    response = client.post(f"/processes/{process.slug}/phases", data={
        "title": "Supports", "starts_at": "2026-01-20", "starts_at_time": "09:00", "ends_at": "2026-02-20",
        "ends_at_time": "17:00", "allow_support": "y"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in page
    assert "would overlap the “Proposals” phase" in field_error(page, "starts_at")
    assert 'value="Supports"' in page and 'value="2026-01-20"' in page and 'value="2026-02-20"' in page
    assert re.search(r'checked[^>]*name="allow_support"|name="allow_support"[^>]*checked', page)
    assert len(db.session.scalars(select(Phase).where(Phase.process_id == process.id)).unique().all()) == 1


def test_phase_dates_are_checked(client_as, make_process):
    client, _officer = client_as("officer")
    process = make_process(phases=[])
    page = client.post(f"/processes/{process.slug}/phases", data={
        "title": "Backwards", "starts_at": "2026-05-10", "starts_at_time": "09:00", "ends_at": "2026-05-01",
        "ends_at_time": "09:00"}).get_data(as_text=True)
    assert "must end after it starts" in field_error(page, "ends_at")
    page = client.post(f"/processes/{process.slug}/phases", data={
        "title": "Nonsense", "starts_at": "2026-13-45", "starts_at_time": "25:00", "ends_at": "",
        "ends_at_time": "09:00"}).get_data(as_text=True)
    assert field_error(page, "starts_at") and field_error(page, "starts_at_time")
    assert "Enter the date the phase ends" in field_error(page, "ends_at")
    assert 'value="2026-13-45"' in page and 'value="25:00"' in page
    page = client.post(f"/processes/{process.slug}/phases", data={
        "title": "Clocks", "starts_at": "2026-03-29", "starts_at_time": "01:30", "ends_at": "2026-04-01",
        "ends_at_time": "09:00"}).get_data(as_text=True)
    assert "the clocks go forward" in field_error(page, "starts_at_time")
    assert db.session.scalars(select(Phase).where(Phase.process_id == process.id)).unique().all() == []


def test_an_officer_edits_and_removes_a_phase(client_as, make_process):
    client, _officer = client_as("officer")
    process = make_process(phases=[phase("Proposals", utc(2026, 1, 5, 9), utc(2026, 2, 1), "propose")])
    proposals = process.phases[0]
    page = client.get(f"/processes/{process.slug}/phases/{proposals.id}/edit").get_data(as_text=True)
    assert 'value="05/01/2026"' in page and 'value="09:00"' in page and 'value="01/02/2026"' in page
    response = client.post(f"/processes/{process.slug}/phases/{proposals.id}/edit", data={
        "title": "Ideas", "starts_at": "2026-01-05", "starts_at_time": "10:00", "ends_at": "2026-02-01",
        "ends_at_time": "00:00", "allow_propose": "y", "allow_comment": "y"})
    assert response.status_code == 302
    edited = db.session.scalar(select(Phase).where(Phase.id == proposals.id).execution_options(
        populate_existing=True))
    assert (edited.title, edited.starts_at, edited.allows("comment")) == ("Ideas", utc(2026, 1, 5, 10), True)
    response = client.post(f"/processes/{process.slug}/phases/{proposals.id}/remove")
    assert "The phase “Ideas” is removed." in text(client.get(response.location).get_data(as_text=True))
    assert db.session.get(Phase, proposals.id) is None
    assert [e.action for e in audit_entries("phase", proposals.id)] == ["phase.create", "phase.update",
                                                                       "phase.delete"]


def test_a_phase_of_another_process_is_not_found(client_as, make_process):
    client, _officer = client_as("officer")
    mine, other = make_process(), make_process()
    assert client.get(f"/processes/{mine.slug}/phases/{other.phases[0].id}/edit").status_code == 404
    assert client.post(f"/processes/{mine.slug}/phases/{other.phases[0].id}/remove").status_code == 404
    assert len(other.phases) == 3


# The process page -------------------------------------------------------------------------------------------


def test_the_process_page(client, make_process, monkeypatch):
    monkeypatch.setitem(resources._components, "test-phases", Component("test-phases", "Phase plan", "spaces.phases"))
    monkeypatch.setitem(resources._components, "test-missing", Component("test-missing", "Nowhere", "nope.index"))
    process = make_process("Greener streets", subtitle="Trees, planters and parklets",
                           description="Plant **trees**.\n\n<script>alert(1)</script>\n\n# Big heading",
                           wards=["Marylebone", "Abbey Road"], programme="extraordinary-experiences")
    page = client.get(f"/processes/{process.slug}").get_data(as_text=True)
    words = text(page)
    assert "<h1>Greener streets</h1>" in page and "Trees, planters and parklets" in page
    assert "<strong>trees</strong>" in page and "<script>alert" not in page and "<h2>Big heading</h2>" in page
    assert "Programme Extraordinary Experiences" in words and "Where Abbey Road, Marylebone" in words
    timeline = re.search(r'<ol class="timeline".*?</ol>', page, re.S).group(0)
    steps = re.findall(r"<li(.*?)>\s*<h3>(.*?)</h3>", timeline, re.S)
    assert [re.sub(r"<.*", "", title).strip() for _attrs, title in steps] == ["Proposals", "Supports", "Evaluation"]
    assert [('aria-current="step"' in attrs) for attrs, _title in steps] == [False, True, False]
    assert timeline.count("Current phase") == 1 and "Current phase" in steps[1][1]
    assert "Open now Supporting proposals, Commenting, Endorsing proposals" in words
    assert f'<a class="button" href="/processes/{process.slug}/phases">Phase plan</a>' in page
    assert "Nowhere" not in page
    assert "Manage this process" not in page


@pytest.mark.parametrize("role", ["anonymous", "officer"])
def test_the_process_page_needs_the_same_number_of_queries_for_1_or_12_phases(client_as, make_process,
                                                                              count_queries, role):
    client, _user = client_as(role)
    now = utcnow()
    few = make_process(wards=["Westbourne"], phases=[phase("Only", now - timedelta(days=1), now + timedelta(days=1))])
    many = make_process(wards=["Westbourne", "Maida Vale", "Bayswater"], phases=[
        phase(f"Step {n}", now + timedelta(days=n - 1), now + timedelta(days=n), "comment") for n in range(12)])
    client.get(f"/processes/{few.slug}")  # warm up: the signed-in user's first load
    with count_queries() as one:
        assert client.get(f"/processes/{few.slug}").status_code == 200
    with count_queries() as twelve:
        assert "Step 11" in client.get(f"/processes/{many.slug}").get_data(as_text=True)
    assert twelve.count == one.count, twelve.statements


def test_dates_on_the_process_page_are_in_uk_time(client, make_process):
    process = make_process(phases=[phase("Summer", utc(2031, 7, 1, 8), utc(2031, 8, 1, 8), "comment")])
    page = client.get(f"/processes/{process.slug}").get_data(as_text=True)
    assert "1 July 2031, 09:00 to 1 August 2031, 09:00" in page
    assert "Upcoming: starts on 1 July 2031, 09:00" in text(page)


# The list ---------------------------------------------------------------------------------------------------


@pytest.fixture
def three_kinds(make_process):
    now = utcnow()
    return {
        "active": make_process("Running now", wards=["Hyde Park"], programme="empowering-people"),
        "city": make_process("Citywide now", programme="cleantech-city"),
        "upcoming": make_process("Coming soon", phases=[phase("A", now + timedelta(days=3), now + timedelta(days=9))]),
        "past": make_process("All done", phases=[phase("A", now - timedelta(days=9), now - timedelta(days=3))]),
        "draft": make_process("Hidden draft", published=False),
    }


def titles(page: str) -> list[str]:
    return re.findall(r'<h3><a href="/processes/[^"]+">(.*?)</a></h3>', page)


def test_the_list_by_status(client, three_kinds):
    page = client.get("/processes/").get_data(as_text=True)
    assert sorted(titles(page)) == ["Citywide now", "Running now"]
    assert "Active (2)" in text(page) and "Upcoming (1)" in text(page) and "Past (1)" in text(page)
    assert 'href="/processes/?status=upcoming"' in page
    assert titles(client.get("/processes/?status=upcoming").get_data(as_text=True)) == ["Coming soon"]
    assert titles(client.get("/processes/?status=past").get_data(as_text=True)) == ["All done"]
    assert "Hidden draft" not in client.get("/processes/?status=active").get_data(as_text=True)


def test_the_list_filters_by_programme_and_ward(client, three_kinds):
    page = client.get("/processes/?programme=empowering-people").get_data(as_text=True)
    assert titles(page) == ["Running now"] and "matching your filters" in page
    assert 'href="/processes/?status=past&amp;programme=empowering-people"' in page  # tabs keep the filters
    # a ward's list includes the processes for the whole city
    assert sorted(titles(client.get("/processes/?ward=hyde-park").get_data(as_text=True))) == [
        "Citywide now", "Running now"]
    # an unknown ward (an old link) is said so beside the field, and the list is not filtered by it
    page = client.get("/processes/?ward=soho-nowhere").get_data(as_text=True)
    assert "We do not know that ward" in field_error(page, "ward")
    assert sorted(titles(page)) == ["Citywide now", "Running now"]
    assert titles(client.get("/processes/?ward=bayswater&programme=empowering-people").get_data(as_text=True)) == []


def test_officers_see_drafts_marked(client_as, three_kinds):
    client, _officer = client_as("officer")
    page = client.get("/processes/").get_data(as_text=True)
    assert "Hidden draft" in titles(page)
    card = re.search(r"Hidden draft</a></h3>\s*<p><span class=\"tag\">Draft</span>", page)
    assert card is not None and "Create a process" in page


def test_the_list_is_paginated(client, make_process):
    for n in range(23):
        make_process(f"Process {n:02d}")
    first = client.get("/processes/").get_data(as_text=True)
    second = client.get("/processes/?page=2").get_data(as_text=True)
    assert len(titles(first)) == 20 and len(titles(second)) == 3
    assert not set(titles(first)) & set(titles(second))
    assert "Page 1 of 2 (23 in all)" in first and 'href="/processes/?page=2"' in first


@pytest.mark.parametrize("role", ["anonymous", "officer"])
def test_the_list_needs_the_same_number_of_queries_for_2_or_25_processes(client_as, make_process,
                                                                         count_queries, role):
    client, _user = client_as(role)
    for n in range(2):
        make_process(f"Few {n}", wards=["Westbourne", "Little Venice"])
    client.get("/processes/")  # warm up: the signed-in user's first load
    with count_queries() as few:
        assert client.get("/processes/").status_code == 200
    for n in range(23):
        make_process(f"Many {n}", wards=["Westbourne"], published=n % 2 == 0)
    with count_queries() as many:
        page = client.get("/processes/").get_data(as_text=True)
    assert len(titles(page)) == (20 if role == "officer" else 14)
    assert many.count == few.count, many.statements


# Who may do what --------------------------------------------------------------------------------------------


def officer_routes(process: Process) -> list[tuple[str, str]]:
    phase_id = process.phases[0].id
    base = f"/processes/{process.slug}"
    return [("GET", "/processes/new"), ("POST", "/processes/new"), ("GET", f"{base}/edit"),
            ("POST", f"{base}/edit"), ("POST", f"{base}/publish"), ("POST", f"{base}/unpublish"),
            ("GET", f"{base}/phases"), ("POST", f"{base}/phases"), ("GET", f"{base}/phases/{phase_id}/edit"),
            ("POST", f"{base}/phases/{phase_id}/edit"), ("POST", f"{base}/phases/{phase_id}/remove")]


@pytest.mark.parametrize("role", ["resident", "verified", "organiser", "instructor"])
def test_residents_cannot_manage_processes(client_as, make_process, role):
    client, _user = client_as(role)
    process = make_process("Not yours")
    for method, url in officer_routes(process):
        response = client.open(url, method=method, data={**FORM, "title": "Taken over"})
        assert response.status_code == 403, (method, url)
    assert process_named("Not yours").is_published and len(process_named("Not yours").phases) == 3
    assert process_named("Taken over") is None


def test_anonymous_people_are_asked_to_sign_in(client, make_process):
    process = make_process()
    for method, url in officer_routes(process):
        response = client.open(url, method=method)
        assert response.status_code == 302 and "/sign-in" in response.location, (method, url)


def test_drafts_are_not_found_for_residents(client_as, make_process):
    draft = make_process("Secret plans", published=False)
    for role in ("anonymous", "resident", "verified"):
        client, _user = client_as(role)
        response = client.get(f"/processes/{draft.slug}")
        assert response.status_code == 404 and "Secret plans" not in response.get_data(as_text=True)
    for role in ("officer", "admin"):
        client, _user = client_as(role)
        assert client.get(f"/processes/{draft.slug}").status_code == 200


def test_admins_manage_processes_too(client_as, make_process):
    client, admin = client_as("admin")
    process = make_process()
    assert client.get(f"/processes/{process.slug}/edit").status_code == 200
    assert client.post(f"/processes/{process.slug}/unpublish").status_code == 302
    assert audit_entries("process", process.id)[-1].actor_id == admin.id


def test_an_unknown_process_is_not_found(client_as):
    client, _officer = client_as("officer")
    assert client.get("/processes/no-such-process").status_code == 404
    assert client.get("/processes/no-such-process/edit").status_code == 404
