"""Citizen sensing in headless Chromium: the campaign pages with their map and charts (drawn by the vendored
uPlot over the server's SVG, the table beside them), the owner's device page, the upload and the device form
with its errors: no console errors, one h1, no axe-core violation, nothing wider than 320 px."""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in
from tests.browser.test_crawl import axe_violations
from tests.browser.test_pages import NARROW, WIDTH_JS
from tests.browser.test_spaces import WIDE_JS

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]


def check(page, problems: list[str]) -> None:
    problems.extend(axe_violations(page))
    if page.locator("h1").count() != 1:
        problems.append(f"{page.url}: not exactly one h1")
    width = page.evaluate(WIDTH_JS)
    if width > NARROW["width"]:
        problems.append(f"{page.url} is {width}px wide: " + " ".join(page.evaluate(WIDE_JS)))


def test_campaign_pages_charts_and_the_owners_device_pages(new_context):
    problems: list[str] = []
    _context, page, watch = new_context(viewport=NARROW)
    page.goto("/sensing/")
    check(page, problems)
    page.get_by_role("link", name="Damp in homes").click()
    page.wait_for_load_state()
    check(page, problems)
    assert page.locator("figure.chart .chart-live").count() == 2  # uPlot drew both quantities
    assert page.locator("figure.chart svg[hidden]").count() == 2
    assert page.locator("figure.chart details table").count() == 2  # the text alternative
    sign_in(page, "organiser")
    page.goto("/sensing/air-quality-on-church-street?range=month")
    check(page, problems)
    page.get_by_role("link", name="Market balcony").click()
    page.wait_for_load_state()
    check(page, problems)
    page.get_by_role("link", name="Upload readings from a file").click()
    page.wait_for_load_state()
    check(page, problems)
    # Damp and mould: the campaign's summary, a damp flat's page and its owner's evidence pack, on screen and printed.
    page.goto("/sensing/damp-in-homes")
    assert page.get_by_role("heading", name="Damp and mould risk: the last 30 days").count() == 1
    page.get_by_role("link", name="Frog in the basement flat").click()
    page.wait_for_load_state()
    check(page, problems)
    assert page.get_by_role("heading", name="Damp and mould: the last 30 days").count() == 1
    page.get_by_role("link", name="Make an evidence pack").click()
    page.wait_for_load_state()
    check(page, problems)
    assert len(page.locator("#evidence-digest").inner_text().strip()) == 64
    page.emulate_media(media="print")
    assert not page.locator("form[action$='/evidence']").is_visible()  # the period's form is not printed
    assert page.locator("#evidence-digest").is_visible()
    page.emulate_media(media="screen")
    page.goto("/sensing/damp-in-homes/devices/new")
    page.get_by_role("button", name="Register the device").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="There is a problem").count() == 1
    check(page, problems)
    assert problems == [], "\n".join(problems)
    assert watch.console_errors == []
