"""Issue 14, item 7: commenting makes a person follow the proposal; the confirmation says so, where they are (at
their new comment), with "Stop following"."""

from __future__ import annotations

import re

from tests.support.pages import button, text_of


def comment_section(page_text: str, comment_path: str) -> str:
    anchor = comment_path.split("#")[1]
    return re.search(rf'<article class="comment" id="{anchor}">.*?</article>', page_text, flags=re.S).group(0)


def test_the_confirmation_says_you_now_follow_with_a_way_out(open_proposal, client_as):
    client, _ = client_as("resident")
    page = client.get(f"/proposals/{open_proposal.id}")
    action, fields = button(page, "Publish comment")
    sent = client.post(action, data={**fields, "body": "I walk this way every day: yes please.", "alignment": "1"})
    where = sent.headers["Location"]
    page = client.get(where)
    mine = comment_section(page.text, where)
    assert "Your comment is published." in mine
    assert "You now follow this proposal: we will tell you about new comments." in text_of_html(mine)
    assert page.text.count("Your comment is published.") == 1  # not at the top of the page as well

    action, fields = button(page, "Stop following this proposal")
    client.post(action, data=fields)
    page = client.get(f"/proposals/{open_proposal.id}")
    assert "You now follow" not in page.text
    assert button(page, "Follow " + open_proposal.title)


def test_no_news_of_following_for_someone_who_already_follows(open_proposal, client_as):
    client, _ = client_as("resident")
    page = client.get(f"/proposals/{open_proposal.id}")
    action, fields = button(page, "Follow " + open_proposal.title)
    client.post(action, data=fields)
    sent = client.post(f"/comments/proposal/{open_proposal.id}", data={"body": "Second thoughts.", "alignment": "0"})
    page = client.get(sent.headers["Location"])
    assert "Your comment is published." in text_of(page)
    assert "You now follow" not in page.text


def text_of_html(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()
