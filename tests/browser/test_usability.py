"""Issue 14 in a real browser (run with ``--browser``): what only a browser shows. The support confirmation takes
focus and is on screen where the page lands; at 320 px the moderation queue's actions are on screen."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from civic.accounts.models import User
from civic.db import db, utcnow
from civic.moderation import services as moderation
from civic.spaces.models import Phase, Process, Programme, Ward
from proposals.models import Proposal, ProposalSettings
from tests import factories
from tests.browser.conftest import demo_email, sign_in
from tests.browser.test_crawl import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]


@pytest.fixture
def proposal(live_server):
    """A proposal open for support, by the demo resident, with a long page above its supports section."""
    tag = uuid.uuid4().hex[:6]
    with live_server.app.app_context():
        now = utcnow()
        author = db.session.scalar(select(User).where(User.email == demo_email("resident")))
        process = Process(slug=f"usability-{tag}", title=f"Quieter streets {tag}", published_at=now,
                          programme_id=db.session.scalar(select(Programme.id).limit(1)))
        process.phases = [Phase(title="Supports", starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=9),
                                allow_support=True, allow_comment=True)]
        db.session.add(process)
        db.session.flush()
        db.session.add(ProposalSettings(process_id=process.id, verified_only=False))
        ward = db.session.scalar(select(Ward).where(Ward.name == "Church Street"))
        row = Proposal(process_id=process.id, author_id=author.id, title=f"Traffic calming on Lisson Grove {tag}",
                       body="\n\n".join(["A long reason for it, paragraph after paragraph."] * 40),
                       ward_id=ward.id, state="published", published_at=now)
        db.session.add(row)
        db.session.commit()
        made = {"id": row.id, "title": row.title, "process": process.title}
        db.session.remove()
    return made


def test_the_support_confirmation_is_focused_where_the_page_lands(new_context, proposal):
    _context, page, watch = new_context()
    sign_in(page, "verified")
    page.goto(f"/proposals/{proposal['id']}")
    page.get_by_role("button", name="Support this proposal").click()
    page.wait_for_load_state()
    thanks = page.get_by_role("status").filter(has_text="Thank you: your support is counted.")
    assert thanks.count() == 1
    page.wait_for_function("() => document.activeElement.textContent.trim() === "
                           "'Thank you: your support is counted.'", timeout=5000)
    box = thanks.bounding_box()
    assert box is not None and 0 <= box["y"] < page.viewport_size["height"], box  # on screen, not 900 px above
    assert axe_violations(page) == []
    assert watch.console_errors == []


@pytest.fixture
def reported(live_server, proposal):
    with live_server.app.app_context():
        for _ in range(2):
            moderation.report(factories.user("resident"), "proposal", proposal["id"], "spam")
        db.session.commit()
        db.session.remove()
    return proposal


def test_at_320_pixels_the_queue_actions_are_on_screen(new_context, reported):
    _context, page, _watch = new_context(viewport={"width": 320, "height": 640})
    sign_in(page, "officer")
    page.goto("/moderation/?status=all&sort=recent")
    # The visually hidden part is positioned out of the flow: Chromium's name puts a space before it.
    keep = page.get_by_role("link", name=re.compile(rf"^Keep showing\s*: {re.escape(reported['title'])}$"))
    keep.scroll_into_view_if_needed()
    box = keep.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320, box
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
    assert axe_violations(page) == []


def test_the_new_pages_pass_axe(new_context, proposal):
    """The list of one's supports, the process page with its start button, the date input with its errors."""
    _context, page, watch = new_context()
    sign_in(page, "verified")
    page.goto(f"/proposals/{proposal['id']}")
    page.get_by_role("button", name="Support this proposal").click()
    page.wait_for_load_state()
    page.goto("/account")
    page.get_by_role("link", name=re.compile(rf"^Proposals you support in {re.escape(proposal['process'])}")).click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Proposals you support (")
    assert axe_violations(page) == []
    page.get_by_role("link", name=re.compile(rf"^{re.escape(proposal['process'])}")).first.click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name=re.compile(r"^Proposals you support")).count() == 1
    assert axe_violations(page) == []

    _context, page, watch = new_context()
    sign_in(page, "resident")
    page.goto("/verify/")
    page.get_by_label("Postcode").fill("W2 1AA")
    page.get_by_label("Day").fill("31")
    page.get_by_label("Year").fill("1985")
    page.get_by_role("button", name="Verify my residency").click()
    page.wait_for_load_state()
    assert page.title().startswith("Error: ")
    assert page.get_by_text("Date of birth must include a month").first.is_visible()
    assert axe_violations(page) == []
    assert watch.console_errors == []
