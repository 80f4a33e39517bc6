"""Who is told what about proposals and their comments: follows, replies, mentions, answers, area alerts; never
the actor, blocked people, twice, or about hidden content. (tests/notifications/ covers the core's own kinds.)"""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from civic.accounts.models import User
from civic.comments.models import Comment
from civic.db import db, utcnow
from civic.notifications import services
from civic.notifications.models import Follow, NotificationEvent
from civic.notifications.registry import Followers, Notice
from tests.factories import ward_named
from tests.notifications.conftest import event_of, kinds_of, told


@pytest.fixture
def process(make_process):
    return make_process(allow_answer=True)


def comment(client, proposal, body: str, parent: Comment | None = None):
    if parent is None:
        return client.post(f"/comments/proposal/{proposal.id}", data={"body": body, "alignment": "0"})
    return client.post(f"/comments/{parent.id}/reply", data={"body": body, "alignment": "0"})


def last_comment() -> Comment:
    return db.session.scalars(select(Comment).order_by(Comment.id.desc())).first()


def followed_proposal(make_user, process, make_proposal, author=None):
    """A proposal (by ``author`` or someone new) and a person who follows it."""
    proposal = make_proposal(process, author or make_user())
    follower = make_user()
    services.follow(follower, "proposal", proposal.id)
    db.session.commit()
    return proposal, follower


def commented_for_a_follower(client_as, make_user, process, make_proposal, body: str):
    """A resident comments on a followed proposal: (the resident's client, the follower, the proposal, the comment)."""
    proposal, follower = followed_proposal(make_user, process, make_proposal)
    client, _ = client_as("resident")
    comment(client, proposal, body)
    return client, follower, proposal, last_comment()


def test_following_and_unfollowing_through_the_page(client_as, make_user, process, make_proposal):
    proposal = make_proposal(process, make_user())
    client, user = client_as("resident")
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert 'action="/follow"' in page
    r = client.post("/follow", data={"resource_type": "proposal", "resource_id": proposal.id,
                                     "next": f"/proposals/{proposal.id}"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/proposals/{proposal.id}")
    assert services.is_following(user, "proposal", proposal.id)
    assert "Stop following" in client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    listing = client.get("/notifications/following").get_data(as_text=True)
    assert proposal.title in listing
    client.post("/follow", data={"resource_type": "proposal", "resource_id": proposal.id})  # twice: still one
    assert db.session.scalar(select(Follow.id).where(Follow.user_id == user.id)) is not None
    assert len(db.session.scalars(select(Follow).where(Follow.user_id == user.id)).all()) == 1
    client.post("/unfollow", data={"resource_type": "proposal", "resource_id": proposal.id})
    assert not services.is_following(user, "proposal", proposal.id)


def test_what_cannot_be_seen_or_followed_is_refused(client_as, make_user, process, make_proposal):
    draft = make_proposal(process, make_user(), state="draft")
    client, user = client_as("resident")
    assert client.post("/follow", data={"resource_type": "proposal", "resource_id": draft.id}).status_code == 404
    assert client.post("/follow", data={"resource_type": "audit", "resource_id": 1}).status_code == 404
    assert client.post("/follow", data={"resource_type": "proposal", "resource_id": "x"}).status_code == 400
    r = client.post("/follow", data={"resource_type": "user", "resource_id": user.id}, follow_redirects=True)
    assert "You cannot follow yourself." in r.get_data(as_text=True)
    assert db.session.scalars(select(Follow).where(Follow.user_id == user.id)).all() == []


def test_a_comment_tells_followers_and_the_author_once_and_never_the_commenter(client_as, make_user, process,
                                                                              make_proposal):
    author = make_user()
    proposal = make_proposal(process, author)
    services.follow(author, "proposal", proposal.id)  # as publishing does (tested below)
    follower = make_user()
    services.follow(follower, "proposal", proposal.id)
    db.session.commit()
    client, commenter = client_as("resident")
    assert comment(client, proposal, "I like this a lot, well done.").status_code == 302
    assert kinds_of(author) == ["comment"] and kinds_of(follower) == ["comment"]
    assert told(commenter) == []
    n = told(follower)[0]
    assert event_of(n).title == proposal.title and event_of(n).url.startswith(f"/proposals/{proposal.id}")
    # commenting follows: the commenter hears about the next comment
    assert services.is_following(commenter, "proposal", proposal.id)
    other, _ = client_as("resident")
    comment(other, proposal, "Me too, this would help our street.")
    assert kinds_of(commenter) == ["comment"] and kinds_of(follower) == ["comment", "comment"]


def test_a_reply_and_a_mention_are_told_as_such_once_each(client_as, make_user, process, make_proposal,
                                                          smtp_server):
    proposal = make_proposal(process, make_user())
    first_client, first = client_as("resident")
    comment(first_client, proposal, "A first comment on this proposal.")  # first now follows the proposal
    parent = last_comment()
    mentioned = make_user(nickname="mira_k")
    services.follow(mentioned, "proposal", proposal.id)
    db.session.commit()
    client, _ = client_as("resident")
    assert comment(client, proposal, "Agreed, and @mira_k knows the street well.", parent=parent).status_code == 302
    assert kinds_of(first) == ["reply"]  # a follower too, but told once, as the person answered
    assert kinds_of(mentioned) == ["mention"]  # a follower too, but told once, as the person named
    # both want these straight away (the default): one mail each, after the request
    assert [m["Subject"] for m in smtp_server.to(mentioned.email)] == [
        f"{mentioned.display_name and last_comment().author.display_name} mentioned you in a comment on "
        f"“{proposal.title}”"]
    assert len(smtp_server.to(first.email)) == 1


def test_a_mention_added_by_an_edit_is_told_once(client_as, make_user, process, make_proposal):
    proposal = make_proposal(process, make_user())
    client, _ = client_as("resident")
    comment(client, proposal, "Good idea for the square here.")
    c = last_comment()
    mentioned = make_user(nickname="late_one")
    client.post(f"/comments/{c.id}/edit", data={"body": "Good idea for the square here, @late_one.",
                                                "alignment": "0"})
    client.post(f"/comments/{c.id}/edit", data={"body": "Good idea for the square, @late_one!", "alignment": "0"})
    assert kinds_of(mentioned) == ["mention"]


def test_publishing_follows_the_author_and_tells_process_followers(client_as, make_user, process, make_proposal):
    watcher = make_user()
    services.follow(watcher, "process", process.id)
    fan = make_user()
    db.session.commit()
    client, author = client_as("verified")
    services.follow(fan, "user", author.id)
    db.session.commit()
    draft = make_proposal(process, author, state="draft")
    assert client.post(f"/proposals/{draft.id}/publish").status_code == 302
    assert kinds_of(watcher) == ["new_proposal"] and kinds_of(fan) == ["new_proposal"]
    assert services.is_following(author, "proposal", draft.id)
    assert told(author) == []


def test_follow_own_setting_off_means_no_automatic_follow(client_as, make_user, process, make_proposal):
    client, author = client_as("verified")
    services.set_preferences(author, {}, follow_own=False, follow_commented=False)
    db.session.commit()
    draft = make_proposal(process, author, state="draft")
    client.post(f"/proposals/{draft.id}/publish")
    comment(client, draft, "My own first comment on it.")
    assert not services.is_following(author, "proposal", draft.id)


def test_an_official_answer_tells_authors_and_followers(client_as, make_user, process, make_proposal):
    author = make_user()
    proposal, follower = followed_proposal(make_user, process, make_proposal, author)
    officer_client, officer = client_as("officer")
    r = officer_client.post(f"/proposals/{proposal.id}/answer",
                            data={"state": "accepted", "text": "We will build it next spring.", "cost": "",
                                  "delivery": ""})
    assert r.status_code == 302
    assert kinds_of(author) == ["proposal_answered"] and kinds_of(follower) == ["proposal_answered"]
    assert told(officer) == []


def test_blocked_and_deleted_people_are_never_told(client_as, make_user, process, make_proposal):
    proposal = make_proposal(process, make_user())
    blocked, deleted = make_user(), make_user()
    for u in (blocked, deleted):
        services.follow(u, "proposal", proposal.id)
    db.session.execute(update(User).where(User.id == blocked.id).values(blocked_at=utcnow()))
    db.session.execute(update(User).where(User.id == deleted.id).values(deleted_at=utcnow()))
    db.session.commit()
    client, _ = client_as("resident")
    comment(client, proposal, "Anyone still following this one?")
    assert told(blocked) == [] and told(deleted) == []


def test_hiding_content_hides_its_notifications_and_tells_the_author(client_as, make_user, process, make_proposal):
    author = make_user()
    proposal, follower = followed_proposal(make_user, process, make_proposal, author)
    client, _ = client_as("resident")
    comment(client, proposal, "A comment that will vanish with its proposal.")
    follower_client, _ = client_as("resident")
    officer_client, _ = client_as("officer")
    r = officer_client.post(f"/moderation/proposal/{proposal.id}/hide", data={"note": "Breaks the rules."})
    assert r.status_code in (302, 303)
    hidden_event = event_of(told(follower)[0])
    assert hidden_event.hidden is True
    assert services.unread_count(follower) == 0
    assert kinds_of(author)[-1] == "content_hidden"
    # and nothing new is made about it while hidden
    assert services.deliver("comment.created", Notice(
        key=hidden_event.key, title="x", url="/", audiences=[Followers("comment", "proposal", proposal.id)])) is None
    r = officer_client.post(f"/moderation/proposal/{proposal.id}/unhide", data={"note": "Fine after all."})
    assert r.status_code in (302, 303)
    db.session.expire_all()
    assert db.session.get(NotificationEvent, hidden_event.id).hidden is False
    assert kinds_of(author)[-1] == "content_restored"


def test_comments_on_a_hidden_proposal_notify_nobody(make_user, process, make_proposal):
    from civic.notifications import kinds

    proposal = make_proposal(process, make_user(), hidden_at=utcnow())
    follower = make_user()
    db.session.add(Follow(user_id=follower.id, resource_type="proposal", resource_id=proposal.id))
    c = Comment(resource_type="proposal", resource_id=proposal.id, author_id=make_user().id, body="Hello there")
    db.session.add(c)
    db.session.flush()
    assert kinds._comment_created(c, "proposal", proposal.id) is None


def test_showing_a_proposal_again_keeps_its_hidden_comment_hidden(client_as, make_user, process, make_proposal):
    _client, follower, proposal, c = commented_for_a_follower(client_as, make_user, process, make_proposal,
                                                              "Rude words that an officer will hide.")
    officer_client, _ = client_as("officer")
    officer_client.post(f"/moderation/comment/{c.id}/hide", data={"note": "Rude."})
    officer_client.post(f"/moderation/proposal/{proposal.id}/hide", data={"note": "Off topic."})
    officer_client.post(f"/moderation/proposal/{proposal.id}/unhide", data={"note": "Fine after all."})
    db.session.expire_all()
    assert event_of(told(follower)[0]).hidden is True  # the comment itself is still hidden
    officer_client.post(f"/moderation/comment/{c.id}/unhide", data={"note": "On reflection, fine."})
    db.session.expire_all()
    assert event_of(told(follower)[0]).hidden is False


def test_a_deleted_comment_leaves_no_words_in_notifications(client_as, make_user, process, make_proposal):
    client, follower, _proposal, c = commented_for_a_follower(client_as, make_user, process, make_proposal,
                                                              "Call me on 07700 900123 about it.")
    assert "07700" in event_of(told(follower)[0]).excerpt
    client.post(f"/comments/{c.id}/edit", data={"body": "Ask me at the next meeting about it.", "alignment": "0"})
    db.session.expire_all()
    assert event_of(told(follower)[0]).excerpt == "Ask me at the next meeting about it."
    client.post(f"/comments/{c.id}/delete")
    db.session.expire_all()
    assert event_of(told(follower)[0]).excerpt == ""


def test_the_officer_who_answers_is_not_told_about_it(client_as, make_user, process, make_proposal):
    proposal = make_proposal(process, make_user())
    officer_client, officer = client_as("officer")
    services.follow(officer, "proposal", proposal.id)
    db.session.commit()
    officer_client.post(f"/proposals/{proposal.id}/answer", data={"state": "evaluating", "text": "Looking at it."})
    assert told(officer) == []


def test_threshold_withdrawal_and_invitation_are_told(client_as, make_user, process, make_proposal):
    from civic import events

    author = make_user()
    proposal = make_proposal(process, author)
    follower, invitee = make_user(), make_user()
    services.follow(follower, "proposal", proposal.id)
    db.session.commit()
    events.publish("proposal.threshold_reached", proposal, threshold=10)
    events.publish("proposal.coauthor_invited", proposal, user_id=invitee.id, actor_id=author.id)
    events.publish("proposal.withdrawn", proposal, actor_id=author.id)
    db.session.commit()  # events are sent after the commit
    assert kinds_of(author) == ["proposal_threshold"]
    assert kinds_of(follower) == ["proposal_threshold", "proposal_withdrawn"]
    assert kinds_of(invitee) == ["coauthor_invite"]


def test_a_new_proposal_in_my_ward_is_an_area_alert(client_as, make_user, make_process, make_proposal):
    watcher = make_user()
    services.save_alerts(watcher, ward_ids=[ward_named("Church Street").id], programme_ids=[])
    elsewhere = make_user()
    services.save_alerts(elsewhere, ward_ids=[ward_named("Hyde Park").id], programme_ids=[])
    db.session.commit()
    process = make_process()
    client, author = client_as("verified")
    draft = make_proposal(process, author, state="draft", ward="Church Street")
    client.post(f"/proposals/{draft.id}/publish")
    assert kinds_of(watcher) == ["area_proposal"] and kinds_of(elsewhere) == []


def test_hiding_a_comment_hides_the_notices_about_the_replies_below_it(client_as, make_user, process, make_proposal):
    """The replies under a hidden comment are hidden with it everywhere, notification centres included."""
    proposal = make_proposal(process, make_user())
    first_client, first = client_as("resident")
    comment(first_client, proposal, "A comment that an officer will hide.")
    hidden = last_comment()
    second_client, _second = client_as("resident")
    comment(second_client, proposal, "A reply that goes with it.", parent=hidden)
    [reply_notice] = told(first, kind="reply")
    assert event_of(reply_notice).hidden is False

    officer_client, _ = client_as("officer")
    officer_client.post(f"/moderation/comment/{hidden.id}/hide", data={"note": "Rude."})
    db.session.expire_all()
    assert event_of(reply_notice).hidden is True
    assert [item.id for item in services.page_for(first, 1)[1] if item.id == reply_notice.id] == []

    officer_client.post(f"/moderation/comment/{hidden.id}/unhide", data={"note": "Fine after all."})
    db.session.expire_all()
    assert event_of(reply_notice).hidden is False


def test_council_staff_are_told_when_a_proposal_reaches_its_threshold(make_user, process, make_proposal):
    """The threshold setting promises "officers are told": every officer and admin gets the notice."""
    from civic import events

    officer, admin, resident = make_user("officer"), make_user("admin"), make_user("verified")
    proposal = make_proposal(process, make_user())
    db.session.commit()
    events.publish("proposal.threshold_reached", proposal, threshold=10)
    db.session.commit()
    assert kinds_of(officer) == ["proposal_threshold"] and kinds_of(admin) == ["proposal_threshold"]
    assert kinds_of(resident) == []
