"""The back office in a real browser (run with ``--browser``), as an officer and an administrator work, by
accessible names only, each page checked with axe: the officers' home with its counts, answering from the queue
with Save and next, a bulk decision in the moderation queue, and a role granted with its confirmation."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from civic.accounts.models import User, UserRole
from civic.db import db, utcnow
from civic.spaces.models import Phase, Process, Programme, Ward
from proposals.models import Proposal, ProposalSettings
from tests.browser.conftest import demo_email, sign_in
from tests.browser.test_crawl import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]


@pytest.fixture
def answering(live_server):
    """A process in its answers phase with two proposals waiting, one over its threshold."""
    tag = uuid.uuid4().hex[:6]
    with live_server.app.app_context():
        now = utcnow()
        author = db.session.scalar(select(User).where(User.email == demo_email("resident")))
        process = Process(slug=f"answers-{tag}", title=f"Quieter streets {tag}", published_at=now,
                          programme_id=db.session.scalar(select(Programme.id).limit(1)))
        process.phases = [Phase(title="Answers", starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=9),
                                allow_answer=True, allow_comment=True)]
        db.session.add(process)
        db.session.flush()
        db.session.add(ProposalSettings(process_id=process.id, threshold=1))
        ward = db.session.scalar(select(Ward).where(Ward.name == "Church Street"))
        rows = [Proposal(process_id=process.id, author_id=author.id, title=f"Popular school street {tag}",
                         body="Close it at 8.", ward_id=ward.id, state="published",
                         published_at=now - timedelta(days=3), supports_count=1,
                         threshold_reached_at=now - timedelta(days=1)),
                Proposal(process_id=process.id, author_id=author.id, title=f"Benches by the canal {tag}",
                         body="Two benches.", ward_id=ward.id, state="published",
                         published_at=now - timedelta(days=2))]
        db.session.add_all(rows)
        db.session.commit()
        made = {"slug": process.slug, "titles": [r.title for r in rows], "ids": [r.id for r in rows]}
        db.session.remove()
    return made


def test_an_officer_answers_from_the_queue_with_save_and_next(new_context, answering):  # noqa: F811
    _context, page, watch = new_context()
    sign_in(page, "officer")
    page.get_by_role("link", name="Admin").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Waiting for you").is_visible()
    assert page.get_by_text("over their threshold awaiting an answer").count() + \
        page.get_by_text("over its threshold awaiting an answer").count() >= 1
    assert axe_violations(page) == []

    page.goto(f"/proposals/awaiting-answer?process={answering['slug']}")
    assert axe_violations(page) == []
    first, second = answering["titles"]
    page.get_by_role("link", name=f"Answer “{first}”").click()
    page.wait_for_load_state()
    page.get_by_label("Being evaluated").check()
    page.get_by_label("Answer", exact=True).fill("Our highways team is looking at it.")
    page.get_by_role("button", name="Save and next").click()
    page.wait_for_load_state()
    assert page.get_by_text(f"The answer to “{first}” is saved: Being evaluated.").is_visible()
    assert page.get_by_role("link", name=second).count() == 1  # the next proposal, filters kept
    assert axe_violations(page) == []
    page.get_by_label("Rejected").check()
    page.get_by_label("Answer", exact=True).fill("Not this year.")
    page.get_by_role("button", name="Save and next").click()
    page.wait_for_load_state()
    assert page.get_by_text("That was the last proposal in the queue with these filters.").is_visible()
    assert page.get_by_role("heading", name="Proposals awaiting an answer").is_visible()
    assert page.get_by_text("No proposal is waiting with these filters.").is_visible()
    assert watch.console_errors == []


def test_an_admin_grants_a_role_after_a_confirmation_naming_it(new_context, live_server):  # noqa: F811
    with live_server.app.app_context():
        person = db.session.scalar(select(User).where(User.email == demo_email("verified")))
        person_id, name = person.id, person.display_name
        db.session.remove()
    _context, page, watch = new_context()
    sign_in(page, "admin")
    page.goto(f"/admin/users/{person_id}")
    grant = page.get_by_role("form", name="Grant a role")
    grant.get_by_label("Role").select_option(label="Instructor")
    grant.get_by_label("Reason").fill("Teaches the open data course")
    grant.get_by_role("button", name="Grant role").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name=f"Make {name} an Instructor?").is_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Yes, grant the Instructor role").click()
    page.wait_for_load_state()
    assert page.get_by_text("is now Instructor. They have been sent an email.").is_visible()
    assert page.get_by_text("Given the role Instructor").count() >= 1  # the person's history, in words
    assert axe_violations(page) == []
    assert watch.console_errors == []
    with live_server.app.app_context():  # leave the demo person as the other tests expect
        for row in db.session.scalars(select(UserRole).where(UserRole.user_id == person_id,
                                                             UserRole.role == "instructor")):
            db.session.delete(row)
        db.session.commit()
        db.session.remove()


def test_the_audit_log_and_prepared_texts_pass_axe(new_context):  # noqa: F811
    _context, page, watch = new_context()
    sign_in(page, "admin")
    for path in ("/admin/", "/admin/audit", "/admin/canned", "/admin/processes", "/admin/users",
                 "/moderation/", "/moderation/find?q=bench", "/verify/register", "/verify/requests?q=a",
                 "/groups/?unverified=y", "/proposals/awaiting-answer"):
        page.goto(path)
        assert axe_violations(page) == [], path
    page.goto("/admin/canned")
    page.get_by_label("What it is for").select_option(label="Hiding content")
    page.get_by_label("Short title").fill(f"Advertising {uuid.uuid4().hex[:4]}")
    page.get_by_label("Text", exact=True).fill("It advertises a business.")
    page.get_by_role("button", name="Add the text").click()
    page.wait_for_load_state()
    assert page.get_by_text("is added.").is_visible()
    assert watch.console_errors == []


def test_an_admin_invites_a_colleague_by_email_after_a_confirmation(new_context):  # noqa: F811
    _context, page, watch = new_context()
    sign_in(page, "admin")
    page.goto("/admin/users")
    invite = page.get_by_role("form", name="Invite someone by email")
    address = f"colleague-{uuid.uuid4().hex[:6]}@council.example"
    invite.get_by_label("Email address").fill(address)
    invite.get_by_label("Role").select_option(label="Council officer")
    invite.get_by_label("Reason").fill("Joins the participation team")
    invite.get_by_role("button", name="Invite").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name=f"Invite {address} as a Council officer?").is_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Yes, send the invitation").click()
    page.wait_for_load_state()
    assert page.get_by_text(f"Invitation sent to {address}").is_visible()
    assert watch.console_errors == []
