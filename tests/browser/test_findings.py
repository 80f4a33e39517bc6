"""Results for the council in headless Chromium (issue 20): the report's editor with its preview (a chart drawn
from the campaign's data, a broken shortcode shown in place), the published report, a finding submitted, the
officers' queue and answer form, the finding and campaign pages with the answer, the "Turn into a proposal" form:
no console errors, one h1, no axe-core violation, nothing wider than 320 px."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.browser.conftest import sign_in
from tests.browser.test_pages import NARROW
from tests.browser.test_sensing import check

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]


def test_report_finding_answer_and_proposal_form(new_context):
    problems: list[str] = []
    month = datetime.now(UTC).strftime("%Y-%m")
    _context, page, watch = new_context(viewport=NARROW)
    sign_in(page, "organiser")
    page.goto("/sensing/damp-in-homes/report/edit")
    check(page, problems)
    page.get_by_label("The report").fill(f"## What we found\n\nHomes stay damp.\n\n"
                                         f"{{{{chart quantity=relative_humidity period={month}}}}}\n\n"
                                         "{{chart quantity=noise period=2026-11}}")
    page.get_by_role("button", name="Save the draft and preview").click()
    page.wait_for_load_state()
    assert page.locator(".report figure.report-chart").count() == 1
    assert page.locator(".report .report-error").count() == 1
    check(page, problems)
    page.get_by_label("The report").fill(f"## What we found\n\nHomes stay damp.\n\n"
                                         f"{{{{chart quantity=relative_humidity period={month}}}}}")
    page.get_by_role("button", name="Publish").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("Report:")
    assert page.locator("figure.report-chart details table").count() == 1
    check(page, problems)
    page.goto("/sensing/damp-in-homes/findings/new")
    check(page, problems)
    page.get_by_label("Title").fill("Homes on Church Street stay damp for days")
    page.get_by_label("Summary").fill("Humidity stays above 70 % for days in most homes. Please inspect them.")
    page.get_by_role("button", name="Submit to the council").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Homes on Church Street stay damp for days"
    check(page, problems)
    page.get_by_role("link", name="Turn into a proposal").click()
    page.wait_for_load_state()
    check(page, problems)

    _officer_context, officer, officer_watch = new_context(viewport=NARROW)
    sign_in(officer, "officer")
    officer.goto("/sensing/findings/awaiting-answer")
    check(officer, problems)
    officer.get_by_role("link", name="Homes on Church Street stay damp for days").first.click()
    officer.wait_for_load_state()
    check(officer, problems)
    officer.get_by_role("button", name="Save the answer").click()  # nothing chosen: the errors, by their fields
    officer.wait_for_load_state()
    assert officer.get_by_role("heading", name="There is a problem").count() == 1
    check(officer, problems)
    officer.get_by_label("Accepted").check()
    officer.get_by_label("Answer", exact=True).fill("We will inspect the homes in January.")
    officer.get_by_role("button", name="Save the answer").click()
    officer.wait_for_load_state()
    assert "We will inspect the homes in January." in officer.content()
    check(officer, problems)
    officer.goto("/sensing/damp-in-homes")
    assert officer.get_by_role("heading", name="Results for the council").count() == 1
    check(officer, problems)
    assert problems == [], "\n".join(problems)
    assert watch.console_errors == [] and officer_watch.console_errors == []
