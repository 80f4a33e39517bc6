"""Proposals in a real browser (run with ``--browser``): the list's map, choosing a point, the proposal page,
the form's errors, all checked with axe; and the same pages without JavaScript."""

from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from civic.accounts.models import User
from civic.db import db, utcnow
from civic.spaces.models import Phase, Process, Programme, Ward
from proposals.models import Category, Proposal, ProposalCategoryLink, ProposalSettings
from tests.browser.conftest import demo_email, sign_in
from tests.browser.test_crawl import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]


@pytest.fixture
def world(live_server):  # noqa: F811 - the fixture imported above
    """A process with three proposals (two on the map) by the demo resident, in the live server's database."""
    tag = uuid.uuid4().hex[:6]
    with live_server.app.app_context():
        now = utcnow()
        author = db.session.scalar(select(User).where(User.email == demo_email("resident")))
        process = Process(slug=f"browser-{tag}", title=f"Greener streets {tag}", published_at=now,
                          programme_id=db.session.scalar(select(Programme.id).limit(1)))
        process.phases = [Phase(title="Ideas", starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=9),
                                allow_propose=True, allow_support=True, allow_comment=True, allow_endorse=True)]
        db.session.add(process)
        db.session.flush()
        db.session.add(ProposalSettings(process_id=process.id))
        trees = Category(process_id=process.id, slug="trees", name="Trees")
        db.session.add(trees)
        ward = db.session.scalar(select(Ward).where(Ward.name == "Church Street"))
        rows = [
            Proposal(process_id=process.id, author_id=author.id, title="Street trees on Church Street market",
                     body="Plant **trees**.", ward_id=ward.id, state="published", published_at=now,
                     latitude=51.5226, longitude=-0.17, address="Church Street market"),
            Proposal(process_id=process.id, author_id=author.id, title="Cycle racks by Edgware Road station",
                     body="Racks.", ward_id=ward.id, state="published", published_at=now,
                     latitude=51.5199, longitude=-0.1679),
            Proposal(process_id=process.id, author_id=author.id, title="A reading bench in Paddington Green",
                     body="Bench.", ward_id=ward.id, state="published", published_at=now),
        ]
        db.session.add_all(rows)
        db.session.flush()
        db.session.add(ProposalCategoryLink(proposal_id=rows[0].id, category_id=trees.id))
        db.session.commit()
        made = {"slug": process.slug, "ids": [r.id for r in rows]}
        db.session.remove()
    return made


def test_the_list_shows_the_filtered_set_on_a_map_and_passes_axe(new_context, world):  # noqa: F811
    _context, page, watch = new_context()
    page.goto(f"/processes/{world['slug']}/proposals/?order=newest")
    page.wait_for_selector("#proposals-map .leaflet-marker-icon")
    assert page.locator("#proposals-map").is_visible()
    assert page.locator("#proposals-map .leaflet-marker-icon").count() == 2
    assert page.get_by_text("2 of 3 have a place on the map.").is_visible()
    assert axe_violations(page) == []
    # The pins are not in the tab order (the list is the way through); a link skips the map.
    assert page.locator("#proposals-map [tabindex]:not([tabindex='-1'])").count() == 0
    assert page.locator("#proposals-map .leaflet-marker-icon[tabindex]").count() == 0
    skip = page.get_by_role("link", name="Skip the map")
    skip.focus()
    assert skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "proposals-map-end"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('.proposal-list') !== null")
    # A marker opens a popup linking to its proposal.
    page.locator('#proposals-map .leaflet-marker-icon[title="Cycle racks by Edgware Road station"]').click()
    link = page.locator(".leaflet-popup-content a")
    assert link.inner_text() == "Cycle racks by Edgware Road station"
    assert urlsplit(link.get_attribute("href")).path == f"/proposals/{world['ids'][1]}"  # absolute in the GeoJSON
    # The map follows the filters.
    page.get_by_label("Category").select_option("trees")
    page.get_by_role("button", name="Show proposals").click()
    page.wait_for_selector("#proposals-map .leaflet-marker-icon")
    assert page.locator("#proposals-map .leaflet-marker-icon").count() == 1
    assert watch.console_errors == []


def test_the_proposal_page_passes_axe_with_its_map(new_context, world):  # noqa: F811
    _context, page, watch = new_context()
    page.goto(f"/proposals/{world['ids'][0]}")
    page.wait_for_selector("#proposal-map .leaflet-marker-icon")
    assert page.get_by_label("Link to this proposal").input_value().endswith(f"/proposals/{world['ids'][0]}")
    assert axe_violations(page) == []
    assert watch.console_errors == []


def test_making_a_proposal_with_a_point_chosen_on_the_map(new_context, world):  # noqa: F811
    _context, page, watch = new_context()
    sign_in(page, "resident")
    page.goto(f"/processes/{world['slug']}/proposals/new")
    page.get_by_role("button", name="Save as a draft and preview").click()
    page.wait_for_load_state()
    assert page.title().startswith("Error:")
    assert page.locator(".error-summary").is_visible()
    assert axe_violations(page) == []

    page.get_by_label("Title").fill("Trees and benches along Church Street")
    page.get_by_label("Describe your proposal").fill("Shade and a place to sit near the market.")
    page.get_by_label("Ward").select_option(label="Church Street")
    page.get_by_label("Address or postcode (optional)").fill("Church Street, NW8")
    page.get_by_label("Trees").check()
    picker = page.locator("#location-picker")
    assert picker.is_visible()
    picker.click(position={"x": 150, "y": 120})
    latitude = page.locator("#latitude").input_value()
    assert latitude and 51.28 < float(latitude) < 51.70
    assert page.get_by_text("Point chosen: latitude").is_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Save as a draft and preview").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="This is your draft").is_visible()
    assert page.get_by_text("Street trees on Church Street market").is_visible()  # a similar proposal
    assert axe_violations(page) == []
    page.get_by_role("button", name="Publish").click()
    page.wait_for_load_state()
    assert page.get_by_text("Your proposal is published.").is_visible()
    assert axe_violations(page) == []
    assert watch.console_errors == []


def test_a_point_is_picked_with_the_keyboard_and_a_far_one_is_questioned(new_context, world):  # noqa: F811
    _context, page, watch = new_context()
    sign_in(page, "resident")
    page.goto(f"/processes/{world['slug']}/proposals/new")
    page.get_by_label("Ward").select_option(label="Church Street")
    put = page.get_by_role("button", name="Put the point in the middle of the map")
    put.focus()
    page.keyboard.press("Enter")
    latitude, longitude = (float(page.locator(f"#{n}").input_value()) for n in ("latitude", "longitude"))
    assert abs(latitude - 51.5225) < 0.001 and abs(longitude + 0.1705) < 0.001  # the map opened on the ward
    marker = page.locator("#location-picker .leaflet-marker-icon")
    marker.focus()
    page.keyboard.press("Shift+ArrowUp")
    assert float(page.locator("#latitude").input_value()) == pytest.approx(latitude + 100 / 111320, abs=1e-6)
    assert page.get_by_text("Point chosen: latitude").is_visible()
    # Typed numbers move the point; one far from the ward is questioned at once.
    page.get_by_label("Latitude (optional)").fill("51.4870")
    page.get_by_label("Longitude (optional)").fill("-0.1375")
    page.get_by_label("Longitude (optional)").press("Tab")
    assert page.get_by_text("km from the middle of Church Street ward").is_visible()
    assert axe_violations(page) == []
    assert watch.console_errors == []


def test_without_javascript_the_pages_work_and_show_no_empty_map(new_context, world):  # noqa: F811
    _context, page, _watch = new_context(java_script_enabled=False)
    page.goto(f"/processes/{world['slug']}/proposals/")
    assert not page.locator("#proposals-map").is_visible()
    assert not page.get_by_role("link", name="Skip the map").is_visible()  # nothing to skip
    assert page.get_by_role("link", name="Street trees on Church Street market").is_visible()
    sign_in(page, "resident")
    page.goto(f"/processes/{world['slug']}/proposals/new")
    assert not page.locator("#location-picker").is_visible()
    assert page.get_by_label("Address or postcode (optional)").is_visible()
    assert page.get_by_label("Latitude (optional)").is_visible()  # a point can still be given, typed
