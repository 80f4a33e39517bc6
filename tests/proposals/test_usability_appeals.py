"""Issue 14, items 2 and 6: the author of hidden content is told what happened, why, and given "Appeal this decision"
(in the notification, the email and on the page); content hidden automatically reads "Hidden while a moderator
checks it"; a blocked person's sign-in error links to the appeal form."""

from __future__ import annotations

import re

from tests.conftest import PASSWORD
from tests.support.pages import link, main_text, text_of


def hidden_by_reports(client_as, proposal, n=3):
    for _ in range(n):
        client, _ = client_as("resident")
        assert client.post(f"/moderation/report/proposal/{proposal.id}", data={"reason": "spam"}).status_code == 302


def test_the_author_of_content_hidden_by_reports_finds_how_to_appeal(make_process, make_proposal, make_user,
                                                                    client_as, signed_in, smtp_server):
    author = make_user("resident")
    proposal = make_proposal(make_process(), author, title="Paint the bridge pink")
    hidden_by_reports(client_as, proposal)
    me = signed_in(author)

    centre = me.get("/notifications/")
    assert "Your content “Paint the bridge pink” is hidden" in text_of(centre)
    assert "It is hidden while a moderator checks it. You can appeal this decision." in text_of(centre)
    appeal_page = me.get(link(centre, "Your content “Paint the bridge pink” is hidden"), follow_redirects=True)
    assert re.search(r"<h1>\s*Appeal this decision\s*</h1>", appeal_page.text)
    text = main_text(appeal_page)
    assert "Your content “Paint the bridge pink” is hidden while a moderator checks it" in text
    assert "Hidden automatically after 3 reports from different people." in text

    mail = smtp_server.to(author.email)[-1]
    body = mail.get_body(("plain",)).get_content()
    assert "Appeal this decision:" in body
    assert "/moderation/appeal/" in body
    assert ">Appeal this decision</a>" in mail.get_body(("html",)).get_content()

    # The proposal page says the same, with the link, to its author only
    page = me.get(f"/proposals/{proposal.id}")
    assert "Hidden while a moderator checks it" in text_of(page)
    assert "Hidden by moderation" not in text_of(page)
    sent = me.post(link(page, "Appeal this decision"), data={"statement": "It is a real idea, not spam."})
    assert "Your appeal has been sent" in main_text(sent)
    again = me.get(link(page, "Appeal this decision"))
    assert "You appealed on" in main_text(again)
    assert "Send my appeal" not in again.text
    officer, _ = client_as("officer")
    assert "Appeal this decision" not in officer.get(f"/proposals/{proposal.id}").text


def test_content_an_officer_hid_reads_hidden_by_moderation_with_the_reason(make_process, make_proposal, make_user,
                                                                          client_as, signed_in):
    author = make_user("resident")
    proposal = make_proposal(make_process(), author)
    officer, _ = client_as("officer")
    officer.post(f"/moderation/proposal/{proposal.id}/hide", data={"note": "It names a private person."})
    page = signed_in(author).get(f"/proposals/{proposal.id}")
    text = text_of(page)
    assert "Hidden by moderation" in text and "Why: It names a private person." in text
    assert "Hidden while a moderator checks it" not in text
    assert link(page, "Appeal this decision").startswith("/moderation/appeal/")


def test_a_blocked_person_is_given_the_appeal_link_when_signing_in(client, client_as, make_user):
    officer, _ = client_as("officer")
    target = make_user()
    officer.post(f"/moderation/users/{target.id}/block", data={"justification": "Repeated abuse of residents."})
    page = client.post("/sign-in", data={"email": target.email, "password": PASSWORD})
    assert "This account has been blocked by a council officer, so you cannot sign in." in main_text(page)
    assert "/moderation/appeal-block" not in main_text(page)  # a link, not an address to type
    form = client.get(link(page, "Appeal this decision"))
    assert form.status_code == 200 and form.request.path == "/moderation/appeal-block"
