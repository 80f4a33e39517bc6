"""Hidden content is gone from every listing, count, map, search, export, feed and API response."""

from __future__ import annotations

from sqlalchemy import update

from civic.db import db
from civic.moderation import services
from proposals.models import Proposal

HIDDEN_TITLE = "Banana slides on Harrow Road bridge"
HIDDEN_COMMENT = "Nasty words about the neighbours at number nine"
SHOWN_TITLE = "Fig trees along Harrow Road"
SHOWN_COMMENT = "Lovely idea for the whole street"


def test_hidden_proposal_and_comment_are_absent_everywhere(client, make_user, make_process, make_proposal,
                                                           make_comment, report_by, signed_in):
    process = make_process(slug="hidden-walk")
    author = make_user("resident", nickname="hidden_author")
    commenter = make_user("resident", nickname="rude_commenter")
    shown = make_proposal(process, make_user("resident"), title=SHOWN_TITLE, latitude=51.52, longitude=-0.18)
    hidden = make_proposal(process, author, title=HIDDEN_TITLE, latitude=51.521, longitude=-0.181)
    make_comment(shown, make_user("resident"), body=SHOWN_COMMENT)
    rude = make_comment(shown, commenter, body=HIDDEN_COMMENT)
    db.session.execute(update(Proposal).where(Proposal.id == shown.id).values(comments_count=2))
    db.session.commit()

    report_by(3, "proposal", hidden.id)  # hidden automatically
    services.hide(make_user("officer"), "comment", rude.id, "Abuse of neighbours")
    db.session.commit()

    def absent(url: str, *, status: int = 200, words=(HIDDEN_TITLE, HIDDEN_COMMENT), present: str | None = None):
        response = client.get(url)
        assert response.status_code == status, url
        for w in words:
            assert w not in response.text, url
        if present:
            assert present in response.text, url
        return response

    slug = process.slug
    absent(f"/processes/{slug}/proposals/", present=SHOWN_TITLE)
    absent(f"/processes/{slug}/proposals/?q=Harrow", present=SHOWN_TITLE)
    absent(f"/processes/{slug}/proposals/?q=Banana")
    absent(f"/processes/{slug}/proposals/map.geojson", present=SHOWN_TITLE)
    absent(f"/processes/{slug}/proposals/export.csv", present=SHOWN_TITLE)
    absent(f"/processes/{slug}/proposals/export.json", present=SHOWN_TITLE)
    listing = absent(f"/api/v1/processes/{slug}/proposals", present=SHOWN_TITLE)
    assert hidden.id not in [p["id"] for p in listing.get_json()["items"]]
    absent(f"/api/v1/processes/{slug}/proposals?q=Banana")
    absent(f"/api/v1/proposals/{hidden.id}", status=404)
    absent(f"/api/v1/proposals/{hidden.id}/comments", status=404)
    absent(f"/api/v1/proposals/{shown.id}/comments", present=SHOWN_COMMENT)
    absent(f"/api/v1/proposals/{shown.id}", present=SHOWN_TITLE)
    page = absent(f"/proposals/{shown.id}", present=SHOWN_COMMENT)
    assert "This comment was hidden by moderation." in page.text
    assert "Comments (1)" in page.text
    thread = absent(f"/comments/proposal/{shown.id}", present="This comment was hidden by moderation.")
    assert SHOWN_COMMENT in thread.text
    absent(f"/processes/{slug}", present=process.title)
    absent(f"/processes/{slug}/proposals/export.json?q=Banana")
    absent("/")
    absent(f"/u/{author.nickname}")
    absent(f"/u/{commenter.nickname}")
    assert db.session.get(Proposal, shown.id).comments_count == 1

    # The direct address: others are told it is hidden; its author sees it, with the reason.
    others = absent(f"/proposals/{hidden.id}")
    assert "hidden by moderation" in others.text
    assert "hidden by moderation" in signed_in(make_user("resident")).get(f"/proposals/{hidden.id}").text
    own = signed_in(author).get(f"/proposals/{hidden.id}")
    assert HIDDEN_TITLE in own.text
    assert "Hidden by moderation" in own.text and "Hidden automatically after 3 reports" in own.text
