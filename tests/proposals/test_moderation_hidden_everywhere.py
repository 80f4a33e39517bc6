"""Hidden content is gone from every listing, count, map, search, export, feed and API response."""

from __future__ import annotations

from sqlalchemy import update

from civic.db import db
from civic.moderation import services
from proposals.models import Proposal
from tests.support.pages import main_text

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
    assert "Hidden while a moderator checks it" in own.text and "Hidden automatically after 3 reports" in own.text


UNPUBLISHED_PROCESS = "Quince orchards for Queen's Park"
UNPUBLISHED_TITLE = "Quince trees on Kilburn Lane"
UNPUBLISHED_COMMENT = "Quinces make the best jam in the borough"
UNPUBLISHED_REPLY = "Quite right about the quince jam"


def test_an_unpublished_process_takes_its_content_everywhere_with_it(client, make_user, make_process, make_proposal,
                                                                      signed_in, search_index):
    """Unpublishing a process unpublishes what is in it: its proposals, their comments and the process's title
    are found nowhere by anyone but officers (not even the proposal's author), until it is published again."""
    from civic.comments import services as comments
    from civic.search import services as search
    from civic.spaces import services as spaces

    process = make_process(title=UNPUBLISHED_PROCESS, slug="quince-walk")
    author, commenter, officer = make_user("resident"), make_user("resident"), make_user("officer")
    proposal = make_proposal(process, author, title=UNPUBLISHED_TITLE, latitude=51.53, longitude=-0.21)
    comment = comments.post_comment(commenter, "proposal", proposal.id, UNPUBLISHED_COMMENT)
    reply = comments.reply(author, comment, UNPUBLISHED_REPLY)
    db.session.commit()
    search.drain()
    slug, words = process.slug, (UNPUBLISHED_PROCESS, UNPUBLISHED_TITLE, UNPUBLISHED_COMMENT, UNPUBLISHED_REPLY)
    addresses = {
        f"/proposals/{proposal.id}": 404, f"/api/v1/proposals/{proposal.id}": 404,
        f"/api/v1/proposals/{proposal.id}/comments": 404, f"/comments/proposal/{proposal.id}": 404,
        f"/processes/{slug}": 404, f"/processes/{slug}/proposals/": 404,
        f"/processes/{slug}/proposals/map.geojson": 404, f"/processes/{slug}/proposals/export.csv": 404,
        f"/processes/{slug}/proposals/export.json": 404, f"/api/v1/processes/{slug}": 404,
        f"/api/v1/processes/{slug}/proposals": 404, "/processes/?which=all": 200, "/api/v1/processes": 200,
        "/search?q=quince": 200, "/api/v1/search?q=quince": 200, "/": 200,
    }
    signed_in_only = {f"/comments/{comment.id}/reply": 404, f"/comments/{reply.id}/edit": 404,
                      f"/moderation/report/proposal/{proposal.id}": 404,
                      f"/moderation/report/comment/{comment.id}": 404, "/notifications/following": 200}

    # While the process is published, everything is there (the walk below looks in the right places).
    assert UNPUBLISHED_TITLE in client.get(f"/proposals/{proposal.id}").text
    assert UNPUBLISHED_TITLE in client.get("/search?q=quince").text
    assert UNPUBLISHED_COMMENT in client.get("/api/v1/search?q=quince").text

    spaces.unpublish(officer, process)
    db.session.commit()
    search.drain()

    for who in (client, signed_in(make_user("resident")), signed_in(author), signed_in(commenter)):
        for url, status in {**addresses, **(signed_in_only if who is not client else {})}.items():
            response = who.get(url)
            assert response.status_code == status, url
            for w in words:
                assert w not in response.text, (url, w)
        for url in (f"/proposals/{proposal.id}/support", f"/proposals/{proposal.id}/endorse",
                    f"/comments/{comment.id}/vote", f"/comments/{comment.id}/reply"):
            assert who.post(url, data={"vote": "up", "body": "Still here?"}).status_code == (
                404 if who is not client else 302), url

    # Officers still see it all, to publish it again.
    officer_client = signed_in(officer)
    assert UNPUBLISHED_TITLE in officer_client.get(f"/proposals/{proposal.id}").text
    assert UNPUBLISHED_TITLE in officer_client.get(f"/processes/{slug}/proposals/").text
    assert officer_client.get(f"/api/v1/proposals/{proposal.id}").status_code == 200

    spaces.publish(officer, process)
    db.session.commit()
    search.drain()
    assert UNPUBLISHED_COMMENT in client.get(f"/proposals/{proposal.id}").text
    assert UNPUBLISHED_TITLE in client.get("/search?q=quince").text


def test_no_notice_is_made_about_a_proposal_of_an_unpublished_process(make_user, make_process, make_proposal):
    from civic.notifications import services as notifications
    from civic.spaces.models import Process
    from proposals.notices import BUILDERS

    process = make_process(published=False)
    proposal = make_proposal(process, make_user("resident"), title=UNPUBLISHED_TITLE)
    assert isinstance(proposal.process, Process) and not proposal.process.is_published
    for event_type, build in BUILDERS.items():
        if event_type.startswith("proposal."):
            assert build(proposal, user_id=proposal.author_id) is None, event_type
    assert notifications.page_for(proposal.author, 1)[1] == []


def test_notices_about_an_unpublished_process_leave_the_notification_centre(make_user, make_process, make_proposal,
                                                                            signed_in):
    """Notices made while the process was public (a comment on a proposal its author follows) leave the
    notification centre when the process is unpublished, and come back when it is published again."""
    from civic.comments import services as comments
    from civic.notifications import services as notifications
    from civic.spaces import services as spaces

    process = make_process(title=UNPUBLISHED_PROCESS)
    author, commenter, officer = make_user("resident"), make_user("resident"), make_user("officer")
    proposal = make_proposal(process, author, title=UNPUBLISHED_TITLE)
    notifications.follow(author, "proposal", proposal.id)
    comments.post_comment(commenter, "proposal", proposal.id, UNPUBLISHED_COMMENT)
    db.session.commit()
    page = main_text(signed_in(author).get("/notifications/"))
    assert UNPUBLISHED_TITLE in page and UNPUBLISHED_PROCESS in page and notifications.unread_count(author) == 1

    spaces.unpublish(officer, process)
    db.session.commit()
    page = main_text(signed_in(author).get("/notifications/"))
    for w in (UNPUBLISHED_PROCESS, UNPUBLISHED_TITLE, UNPUBLISHED_COMMENT):
        assert w not in page
    assert notifications.unread_count(author) == 0

    spaces.publish(officer, process)
    db.session.commit()
    assert UNPUBLISHED_TITLE in main_text(signed_in(author).get("/notifications/"))


def test_a_photo_is_served_only_to_those_who_see_its_proposal(client, app, make_user, make_process, make_proposal,
                                                            signed_in, png_bytes, report_by):
    """Uploads are served through the owning object's visibility: a hidden proposal's photo, a draft's, an
    unpublished process's proposal's and banner are 404 for others, like a file that does not exist."""
    from pathlib import Path

    from civic.spaces import services as spaces

    def stored(name: str) -> str:
        path = Path(app.instance_path) / "uploads" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png_bytes())
        return name

    process = make_process(slug="photo-walk")
    author, officer, resident = make_user("resident"), make_user("officer"), make_user("resident")
    shown = make_proposal(process, author, photo_path=stored("proposals/shown-photo-walk.png"))
    hidden = make_proposal(process, author, photo_path=stored("proposals/hidden-photo-walk.png"))
    draft = make_proposal(process, author, state="draft", photo_path=stored("proposals/draft-photo-walk.png"))
    process.banner_path = stored("banners/banner-photo-walk.png")
    db.session.commit()
    report_by(3, "proposal", hidden.id)  # hidden automatically
    db.session.commit()

    def status(who, name: str) -> int:
        with who.get(f"/uploads/{name}") as response:
            if response.status_code == 200:
                assert "no-cache" in response.headers["Cache-Control"]
                assert "private" in response.headers["Cache-Control"]
            return response.status_code

    others, own, officers = (client, signed_in(resident)), signed_in(author), signed_in(officer)
    for who in others:
        assert status(who, shown.photo_path) == 200
        assert status(who, process.banner_path) == 200
        assert status(who, hidden.photo_path) == 404
        assert status(who, draft.photo_path) == 404
        assert status(who, "proposals/no-such-photo.png") == 404
        assert status(who, "elsewhere/unowned.png") == 404
    for name in (hidden.photo_path, draft.photo_path):
        assert status(own, name) == 200 and status(officers, name) == 200

    spaces.unpublish(officer, process)
    db.session.commit()
    for who in (*others, own):
        assert status(who, shown.photo_path) == 404
        assert status(who, process.banner_path) == 404
    assert status(officers, shown.photo_path) == 200 and status(officers, process.banner_path) == 200
