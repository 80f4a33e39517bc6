"""The Urban Data School in a real browser: every school page a role reaches passes axe-core, has one h1 and
does not scroll sideways on a 320-pixel phone; a learner goes from the catalogue to a certificate by the
pages alone, and the certificate prints without the site's menus."""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in
from tests.browser.crawl import crawl
from tests.browser.test_crawl import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]

NARROW = {"width": 320, "height": 640}
WIDTH_JS = "() => document.documentElement.scrollWidth"


def school_problems(page, visit) -> list[str]:
    if "/school" not in visit.url:
        return []
    problems = axe_violations(page)
    if page.locator("h1").count() != 1:
        problems.append(f"one-h1 on {page.url}")
    width = page.evaluate(WIDTH_JS)
    if width > NARROW["width"]:
        problems.append(f"{page.url} is {width}px wide at 320px")
    return problems


@pytest.mark.parametrize("role", ("anonymous", "resident", "instructor", "officer", "admin"))
def test_the_school_pages_pass_axe_on_a_phone(role, new_context, live_server):
    _context, page, watch = new_context(viewport=NARROW)
    if role != "anonymous":
        sign_in(page, role)
    watch.console_errors.clear()

    def kind(path: str) -> str:
        return live_server.route_of(path) if path.startswith("/school") else "elsewhere"

    result = crawl(page, live_server.origin, check=school_problems, start="/school/", limit=45, kind=kind)
    school = [u for u in result.urls if "/school" in u]
    assert len(school) >= 8, school
    if role == "instructor":
        assert any("/school/teach/courses/" in u for u in school), school
    problems = result.failures + result.problems + watch.console_errors
    if problems:
        pytest.fail(f"as {role}:\n" + "\n".join(problems), pytrace=False)


def test_a_learner_goes_from_the_catalogue_to_a_printed_certificate(new_context):
    _context, page, _watch = new_context()
    sign_in(page, "verified")
    page.goto("/school/")
    page.get_by_role("link", name="Online safety for everyone").click()
    page.get_by_role("button", name="Join this course").click()
    page.get_by_role("link", name="Carry on where you left off").click()
    assert page.locator("h1").inner_text() == "Scam messages"
    page.get_by_role("button", name="I have finished this lesson").click()
    # On to the lesson's quiz: two answers are right.
    assert page.locator("h1").inner_text().startswith("Quiz")
    assert axe_violations(page) == []
    page.get_by_label("It says you must act within an hour").check()
    page.get_by_label("It asks for your bank password").check()
    page.get_by_role("button", name="Check my answers").click()
    assert "you passed with 100%" in page.locator("main").inner_text()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Back to the course").click()
    page.get_by_role("link", name="Carry on where you left off").click()
    page.get_by_role("button", name="I have finished this lesson").click()
    assert page.locator("h1").inner_text() == "Certificate of completion"
    assert "This certificate is real and valid." in page.locator("main").inner_text()
    assert axe_violations(page) == []
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible() and page.locator(".certificate").is_visible()
