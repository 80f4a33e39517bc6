"""Issue 14, item 6: moderation outcomes named for what happens ("Keep hidden", "Show again", "Keep showing"), a
person's complete history in plain English, months written out on the transparency page."""

from __future__ import annotations

import re

from sqlalchemy import select

from civic.db import db, utcnow
from civic.moderation.models import Moderation
from proposals.models import Proposal
from tests.support.pages import link, main_text, text_of


def test_an_officer_keeps_automatically_hidden_content_hidden(make_process, make_proposal, make_user, report_by,
                                                              client_as):
    proposal = make_proposal(make_process(), make_user("resident"), title="Cheap pills here")
    report_by(3, "proposal", proposal.id, "spam")
    officer, _ = client_as("officer")
    queue = officer.get("/moderation/")
    assert "Hidden while a moderator checks it" in main_text(queue)
    link(queue, "Show again: Cheap pills here")
    page = officer.get(link(queue, "Keep hidden: Cheap pills here"))
    assert re.search(r"<h1>\s*Keep this content hidden\s*</h1>", page.text)
    assert "It stays hidden. Its open reports are closed" in main_text(page)
    assert "Dismiss" not in main_text(page)
    done = officer.post(page.request.path, data={"note": "Spam, plainly."}, follow_redirects=True)
    assert "The content stays hidden and its reports are closed." in text_of(done)
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).hidden_at is not None
    mod = db.session.scalars(select(Moderation).where(Moderation.resource_id == proposal.id)).one()
    assert mod.status == "decided" and mod.reports_count == 0


def test_reported_content_still_shown_offers_hide_and_keep_showing(make_process, make_proposal, make_user,
                                                                   report_by, client_as):
    proposal = make_proposal(make_process(), make_user("resident"), title="A bench by the canal")
    report_by(1, "proposal", proposal.id)
    officer, _ = client_as("officer")
    queue = officer.get("/moderation/")
    link(queue, "Hide: A bench by the canal")
    page = officer.get(link(queue, "Keep showing: A bench by the canal"))
    assert "It stays visible to everyone." in main_text(page)
    done = officer.post(page.request.path, data={"note": "Nothing wrong with it."}, follow_redirects=True)
    assert "The content stays up and its reports are closed." in text_of(done)


def test_the_persons_history_is_complete_and_in_plain_english(make_process, make_proposal, make_user, make_comment,
                                                               report_by, client_as):
    author = make_user("resident")
    proposal = make_proposal(make_process(), make_user("resident"))
    first = make_comment(proposal, author, body="First rude remark")
    second = make_comment(proposal, author, body="Second rude remark")
    report_by(3, "comment", first.id)
    officer, _ = client_as("officer")
    officer.post(f"/moderation/comment/{second.id}/hide", data={"note": "Insults another resident."})
    officer.post(f"/moderation/users/{author.id}/block", data={"justification": "Insulted residents twice."})
    page = officer.get(f"/admin/users/{author.id}")
    history = re.search(r'<section class="panel" aria-labelledby="history-title">.*?</section>', page.text,
                        flags=re.S).group(0)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", history))
    assert "No officer or administrator action" not in text
    assert "user.block" not in text and "moderation." not in text
    assert "Blocked (Council officer @" in text and "Insulted residents twice." in text
    assert text.count("was hidden automatically after reports") == 1
    assert text.count("was hidden by a moderator") == 1 and "Insults another resident." in text


def test_transparency_months_are_written_out(make_process, make_proposal, make_user, report_by, client):
    proposal = make_proposal(make_process(), make_user("resident"))
    report_by(1, "proposal", proposal.id)
    page = client.get("/moderation/transparency")
    now = utcnow()
    month = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December"][now.month - 1]
    assert f'<time datetime="{now:%Y-%m}">{month} {now.year}</time>' in page.text
