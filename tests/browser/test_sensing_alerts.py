"""Citizen sensing's alerts in headless Chromium: the organiser's rules page (a refused rule with its error
summary, then a rule added), the campaign's alerts and a device's alerts: one h1, no axe-core violation, nothing
wider than 320 px, no console errors."""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in
from tests.browser.test_pages import NARROW
from tests.browser.test_sensing import check

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]


def test_an_organiser_sets_a_rule_and_reads_the_alerts(new_context):
    problems: list[str] = []
    _context, page, watch = new_context(viewport=NARROW)
    sign_in(page, "organiser")
    page.goto("/sensing/damp-in-homes")
    page.get_by_role("link", name="Alert rules").click()
    page.wait_for_load_state()
    check(page, problems)
    page.get_by_label("Value", exact=True).fill("seventy")
    page.get_by_label("For how many hours").fill("6")
    page.get_by_role("button", name="Add the rule").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="There is a problem").count() == 1
    check(page, problems)
    page.get_by_label("Quantity", exact=True).select_option(label="Relative humidity (%)")
    page.get_by_label("Value", exact=True).fill("70")
    page.get_by_label("For how many hours").fill("6")
    page.get_by_role("button", name="Add the rule").click()
    page.wait_for_load_state()
    assert page.get_by_role("cell", name="Relative humidity above 70 % for 6 hours").count() >= 1
    check(page, problems)
    page.get_by_role("link", name="The campaign's alerts").click()
    page.wait_for_load_state()
    check(page, problems)
    page.goto("/sensing/damp-in-homes")
    page.get_by_role("link", name="Frog in the nursery").first.click()
    page.wait_for_load_state()
    page.get_by_role("link", name="The device's alerts").click()
    page.wait_for_load_state()
    check(page, problems)
    assert problems == [], "\n".join(problems)
    assert watch.console_errors == []
