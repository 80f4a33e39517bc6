"""Every page reachable by following links, for every role: it loads, logs no error and passes axe-core.

Later features add pages and links; this crawl finds them on its own.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import DEMO_ROLES, sign_in
from tests.browser.crawl import crawl

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]

axe = Axe()


def axe_violations(page) -> list[str]:
    """Every axe-core violation on the page, one line per element: rule id, impact, target and page."""
    found = []
    for violation in axe.run(page).response["violations"]:
        for node in violation["nodes"]:
            found.append(f"{violation['id']} ({violation['impact']}) at {node['target']} on {page.url}: "
                         f"{violation['help']}")
    return found


def test_the_axe_check_finds_a_real_violation(new_context):
    """The checker itself can fail, on a live page under its Content-Security-Policy: a field that loses
    its label and a link that loses its text are reported."""
    _context, page, _watch = new_context()
    page.goto("/sign-in")
    assert axe_violations(page) == []
    page.evaluate("() => { document.querySelectorAll('label').forEach(l => l.remove());"
                  " document.querySelector('.brand').textContent = ''; }")
    found = axe_violations(page)
    assert any(line.startswith("label (critical)") for line in found), found
    assert any(line.startswith("link-name (serious)") for line in found), found


def page_problems(page, _visit) -> list[str]:
    """axe-core's violations, and the house rule axe does not check: exactly one h1."""
    problems = axe_violations(page)
    h1s = page.locator("h1").count()
    if h1s != 1:
        problems.append(f"one-h1 at h1 on {page.url}: the page has {h1s} h1 headings")
    return problems


@pytest.mark.parametrize("role", ("anonymous", *DEMO_ROLES))
def test_every_reachable_page_loads_cleanly_and_passes_axe(role, new_context, live_server):
    _context, page, watch = new_context()
    if role != "anonymous":
        sign_in(page, role)
    watch.console_errors.clear()

    result = crawl(page, live_server.origin, check=page_problems, kind=live_server.route_of)

    elsewhere = [u for u in watch.requests if not u.startswith(live_server.origin + "/")]
    report = [
        *(f"failed: {line}" for line in result.failures),
        *(f"console: {line}" for line in watch.console_errors),
        *(f"axe: {line}" for line in result.problems),
        *(f"left {live_server.origin}: {url}" for url in elsewhere),
    ]
    if role != "anonymous":
        page.goto(live_server.origin + "/")  # (the crawl may end on a JSON or file address, with no header)
    if role != "anonymous" and page.get_by_role("button", name="Sign out").count() != 1:
        report.append(f"the crawl lost the session; last page {page.url}")
    if report:
        pytest.fail(f"as {role}, {len(result.visits)} pages visited:\n" + "\n".join(report), pytrace=False)
    assert len(result.visits) >= 4, f"the crawl as {role} found only {result.urls}"
    print(f"{role}: {len(result.visits)} pages: " + " ".join(result.urls))
