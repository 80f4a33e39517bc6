"""A verified resident votes in the demo's open consultation in Chromium, ranking with the keyboard (the "Move up"
buttons of static/js/ranked.js), reviews and casts; the closed consultation's results draw their charts with
tables. Every page passes axe-core, has one h1 and does not scroll sideways at 320 px."""

from __future__ import annotations

import pytest

from consultations import demo
from tests.browser.conftest import sign_in
from tests.browser.test_pages import NARROW
from tests.browser.test_spaces import check

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]


def test_a_resident_ranks_by_keyboard_reviews_and_casts(new_context):  # noqa: F811 - the fixture
    problems: list[str] = []
    _context, page, _watch = new_context(viewport=NARROW)
    sign_in(page, "verified")
    page.goto("/consultations/")
    check(page, problems)
    page.get_by_role("link", name=demo.OPEN_TITLE).click()
    page.wait_for_load_state()
    check(page, problems)
    page.get_by_label("Yes, until 10 pm").check()
    page.get_by_label("Outdoor gym").check()
    page.get_by_role("button", name="Review my choices").click()  # nothing ranked: refused beside the question
    page.wait_for_load_state()
    assert page.get_by_text("Rank at least one option").count() >= 1
    check(page, problems)
    page.get_by_label("Yes, until 10 pm").check()
    page.get_by_label("Outdoor gym").check()
    move = page.get_by_role("button", name="Move up: New trees")
    move.focus()
    page.keyboard.press("Enter")
    assert page.get_by_role("spinbutton", name="New trees").input_value() == "1"
    assert page.locator("ol.ranked li").first.locator("label").inner_text() == "New trees"
    page.get_by_role("button", name="Review my choices").click()
    page.wait_for_load_state()
    check(page, problems)
    assert page.get_by_text("Your ballot is final.").count() == 1
    page.get_by_role("button", name="Cast my ballot").click()
    page.wait_for_load_state()
    check(page, problems)
    assert page.get_by_role("heading", name="Your ballot is cast").count() == 1
    assert len(page.locator(".receipt-code").inner_text().replace("-", "")) == 16
    assert not problems, "\n".join(problems)


def test_the_closed_consultation_shows_its_results_with_tables(new_context):  # noqa: F811 - the fixture
    problems: list[str] = []
    _context, page, _watch = new_context(viewport=NARROW)
    page.goto("/consultations/?show=closed")
    page.get_by_role("link", name=demo.CLOSED_TITLE).click()
    page.get_by_role("link", name="See the results").click()
    page.wait_for_load_state()
    check(page, problems)
    assert page.locator("figure.chart svg").count() >= 2
    assert page.locator("figure.chart table").count() == page.locator("figure.chart svg").count()
    assert not problems, "\n".join(problems)
