"""What a person checks in a real browser: forms with errors, a narrow screen, the keyboard, no JavaScript,
and that the site asks nothing of any other server."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import DEMO_PASSWORD, DEMO_ROLES, demo_email, sign_in
from tests.browser.crawl import Visit, crawl
from tests.browser.test_crawl import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]

NARROW = {"width": 320, "height": 640}
WIDTH_JS = "() => document.documentElement.scrollWidth"


def test_sign_up_with_errors_shows_a_focused_summary_and_messages_and_passes_axe(new_context):
    _context, page, watch = new_context()
    page.goto("/sign-up")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_load_state()

    assert page.title().startswith("Error:")
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert summary.get_by_role("heading", name="There is a problem").is_visible()
    assert summary.get_attribute("tabindex") == "-1"
    assert page.evaluate("() => document.activeElement.classList.contains('error-summary')"), \
        "the error summary should take focus when the page loads"
    links = summary.get_by_role("link")
    assert links.count() == 4  # name, nickname, email, password
    for i in range(links.count()):
        target = links.nth(i).get_attribute("href").removeprefix("#")
        control = page.locator(f"#{target}")
        assert control.get_attribute("aria-invalid") == "true"
        message_ids = control.get_attribute("aria-describedby").split()
        assert f"{target}-error" in message_ids
        assert page.locator(f"#{target}-error").inner_text().startswith("Error:")
    assert page.get_by_text("Enter your name.").count() == 2  # in the summary and beside the field
    assert axe_violations(page) == []
    assert watch.console_errors == []


def test_nothing_typed_is_lost_when_sign_up_fails_except_the_password(new_context):
    _context, page, _watch = new_context()
    page.goto("/sign-up")
    page.get_by_label("Your name").fill("Nia Newcomer")
    page.get_by_label("Nickname").fill("nia_n")
    page.get_by_label("Email address").fill("not an email")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_load_state()

    assert page.locator(".error-summary").is_visible()
    assert page.get_by_label("Your name").input_value() == "Nia Newcomer"
    assert page.get_by_label("Nickname").input_value() == "nia_n"
    assert page.get_by_label("Email address").input_value() == "not an email"
    assert page.get_by_label("Password").input_value() == ""
    assert axe_violations(page) == []


@pytest.mark.parametrize("role", ("anonymous", *DEMO_ROLES))
def test_no_page_scrolls_sideways_at_320_pixels_and_axe_still_passes(role, new_context, live_server):
    """Reflow (WCAG 1.4.10): nothing scrolls sideways on a 320px screen; a wide table may scroll inside its
    own region, which axe then checks can be reached with the keyboard."""
    _context, page, _watch = new_context(viewport=NARROW)
    if role != "anonymous":
        sign_in(page, role)

    def too_wide(p, visit):
        width = p.evaluate(WIDTH_JS)
        return [*([f"{visit.url} is {width}px wide"] if width > NARROW["width"] else []), *axe_violations(p)]

    result = crawl(page, live_server.origin, check=too_wide, kind=live_server.route_of)
    if role == "anonymous":  # a form full of errors is the widest a form gets
        page.goto("/sign-up")
        page.get_by_role("button", name="Create account").click()
        page.wait_for_load_state()
        result.problems.extend(too_wide(page, Visit(page.url, 200, "text/html")))

    assert len(result.visits) >= 4
    if result.problems or result.failures:
        pytest.fail(f"at 320px as {role}:\n" + "\n".join(result.failures + result.problems), pytrace=False)


def test_the_narrow_check_can_fail(new_context):
    _context, page, _watch = new_context(viewport=NARROW)
    page.goto("/")
    page.evaluate("() => { document.querySelector('main').style.minWidth = '40rem'; }")
    assert page.evaluate(WIDTH_JS) > NARROW["width"]


def test_a_keyboard_user_meets_the_skip_link_first_and_it_moves_focus_to_the_content(new_context):
    _context, page, _watch = new_context()
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    assert focused.inner_text() == "Skip to main content"
    box = focused.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0 and box["width"] > 0, \
        f"the skip link is focused but not visible: {box}"
    assert focused.is_visible()

    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    assert page.evaluate("() => document.activeElement.id") == "main"
    page.keyboard.press("Tab")  # the next stop is inside the main content, not back in the header
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")


def test_focus_is_visible_on_links_and_buttons(new_context):
    _context, page, _watch = new_context()
    page.goto("/sign-in")
    page.get_by_label("Email address").focus()
    for _ in range(6):
        page.keyboard.press("Tab")
        style = page.evaluate(
            "() => { const s = getComputedStyle(document.activeElement);"
            " return [s.outlineStyle, s.outlineWidth, s.boxShadow, document.activeElement.outerHTML]; }")
        outline_style, outline_width, box_shadow, html = style
        visible = (outline_style != "none" and outline_width != "0px") or box_shadow != "none"
        assert visible, f"no visible focus indicator on {html}"


def test_without_javascript_a_person_can_sign_in_and_out(new_context):
    _context, page, watch = new_context(java_script_enabled=False)
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(demo_email("verified"))
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()

    # "Welcome back" or, when no earlier test signed this demo account in, "Welcome, …: … for the first time."
    assert page.get_by_text(re.compile(r"^Welcome( back)?, Victor Verified[.:]")).is_visible()
    assert page.get_by_role("link", name="Victor Verified (my account)").is_visible()
    page.get_by_role("link", name="Victor Verified (my account)").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).count() == 1

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    assert page.get_by_text("You are signed out.").is_visible()
    assert page.get_by_role("link", name="Sign in").first.is_visible()
    assert watch.console_errors == []


def test_without_javascript_a_wrong_password_gets_a_clear_message(new_context):
    _context, page, _watch = new_context(java_script_enabled=False)
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(demo_email("resident"))
    page.get_by_label("Password", exact=True).fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()

    assert page.locator(".error-summary").is_visible()
    assert page.get_by_label("Email address").input_value() == demo_email("resident")
    assert page.get_by_label("Password", exact=True).input_value() == ""
    assert page.get_by_role("button", name="Sign out").count() == 0


def test_no_request_leaves_the_server(new_context, live_server):
    _context, page, watch = new_context()
    sign_in(page, "admin")
    for path in ("/", "/sign-up", "/accessibility", "/account", "/groups/"):
        page.goto(path)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()

    assert any(url.endswith("/static/css/civic.css") for url in watch.requests), "requests were not recorded"
    elsewhere = [url for url in watch.requests if not url.startswith(live_server.origin + "/")]
    assert elsewhere == []


def test_the_request_record_sees_a_request_to_another_site(new_context):
    """The check above can fail: a page asking another server is recorded (and the request refused)."""
    _context, page, watch = new_context()
    page.goto("/")
    page.evaluate("() => { const i = new Image(); i.src = 'http://example.invalid/pixel.png'; }")
    page.wait_for_timeout(300)
    assert "http://example.invalid/pixel.png" in watch.requests


def test_the_not_found_page_is_friendly_and_passes_axe(new_context):
    _context, page, _watch = new_context()
    response = page.goto("/no-such-page")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
    assert page.get_by_role("link", name="Go to the home page").is_visible()
    assert axe_violations(page) == []


def test_a_form_sent_without_its_session_is_refused_kindly(new_context):
    """CSRF protection is on in the live server: a form whose token no longer matches a session is refused
    with a page that says what to do, not a bare error."""
    context, page, _watch = new_context()
    page.goto("/sign-in")
    context.clear_cookies()
    page.get_by_label("Email address").fill(demo_email("resident"))
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Sign in").click()
    assert posted.value.status == 400
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Your form expired"
    assert page.get_by_role("button", name="Sign out").count() == 0
    assert axe_violations(page) == []


def test_the_api_reference_renders_under_the_csp_from_vendored_files(new_context, live_server):
    """/api/v1/docs: the vendored Swagger UI reads openapi.json and shows every operation; the CSP (scripts from
    'self' only) refuses nothing, and no request leaves the site."""
    _context, page, watch = new_context()
    page.goto("/api/v1/docs")
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() >= 13
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("Civic Westminster API")
    assert watch.console_errors == []
    assert all(url.startswith(live_server.origin) for url in watch.requests), watch.requests
