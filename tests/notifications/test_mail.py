"""Notification mail on a real SMTP server on loopback: straight away, digests, unsubscribe."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select, update

from civic.accounts.models import User
from civic.db import db, utcnow
from civic.notifications import delivery, services
from civic.notifications.models import DigestRun, Notification
from civic.notifications.registry import Notice, Users
from tests.notifications.conftest import told


def notify(user, key: str, kind: str = "reply", title: str = "Cycle lanes on Harrow Road",
           space: str = "Streets for people", url: str = "/groups/") -> None:
    services.deliver("comment.created", Notice(key=key, title=title, url=url, space=space,
                                               audiences=[Users(kind, [user.id])]))
    db.session.commit()  # mail straight away is queued after the commit


def body(msg, kind: str = "plain") -> str:
    return msg.get_body((kind,)).get_content()


def test_an_immediate_notification_is_one_multipart_mail_with_unsubscribe(make_user, smtp_server):
    user = make_user(display_name="Ann Smith")
    notify(user, "t:1")
    mails = smtp_server.to(user.email)
    assert len(mails) == 1
    msg = mails[0]
    assert "replied to your comment on “Cycle lanes on Harrow Road”" in msg["Subject"]
    assert "Dear Ann Smith" in body(msg) and "Dear Ann Smith" in body(msg, "html")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.fullmatch(r"<(.+)>", msg["List-Unsubscribe"]).group(1)
    assert link in body(msg)
    assert told(user)[0].emailed_at is not None
    notify(user, "t:1")  # the same event again: nothing more
    assert len(smtp_server.to(user.email)) == 1


def test_one_click_unsubscribe_stops_that_kind(make_user, smtp_server, client):
    user = make_user()
    notify(user, "t:2")
    link = re.fullmatch(r"<(.+)>", smtp_server.to(user.email)[0]["List-Unsubscribe"]).group(1)
    path = urlsplit(link).path
    page = client.get(path)
    assert page.status_code == 200 and "Stop emails about: someone replies to your comment?" in page.get_data(
        as_text=True)
    # what a mail client sends (RFC 8058): no session, no CSRF token
    r = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200 and "we will not send you" in r.get_data(as_text=True)
    assert services.preferences(db.session.get(User, user.id))["reply"] == "never"
    notify(user, "t:3")
    assert len(smtp_server.to(user.email)) == 1  # still in the centre, not by mail
    assert len(told(user)) == 2


def test_a_forged_or_broken_unsubscribe_link_is_refused(client, make_user):
    user = make_user()
    token = services.unsubscribe_token(user.id, "reply")
    assert client.post(f"/notifications/unsubscribe/{token[:-2]}xx").status_code == 404
    assert client.get("/notifications/unsubscribe/not-a-token").status_code == 404
    assert services.preferences(user)["reply"] == "immediate"


def test_never_and_digest_choices_send_nothing_straight_away(make_user, smtp_server):
    user = make_user()
    services.set_preferences(user, {"reply": "daily", "mention": "never"})
    db.session.commit()
    notify(user, "t:4", kind="reply")
    notify(user, "t:5", kind="mention")
    assert smtp_server.to(user.email) == []
    assert [n.email for n in told(user)] == ["daily", "never"]


def test_unconfirmed_and_blocked_people_get_no_mail(make_user, smtp_server):
    unconfirmed = make_user(confirmed=False)
    notify(unconfirmed, "t:6")
    assert smtp_server.to(unconfirmed.email) == []
    blocked = make_user()
    services.deliver("comment.created", Notice(key="t:7", title="T", url="/", audiences=[Users("reply", [blocked.id])]))
    db.session.execute(update(User).where(User.id == blocked.id).values(blocked_at=utcnow()))
    db.session.commit()  # blocked after being told, before the mail left
    delivery.send_immediate(told(blocked)[0].event_id, "http://civic.test")
    assert smtp_server.to(blocked.email) == []


def test_a_name_with_a_line_break_does_not_stop_the_mail(make_user, smtp_server):
    actor = make_user(display_name="Eve\nBcc: everyone@example.org")
    people = [make_user() for _ in range(2)]
    services.deliver("comment.created", Notice(key="t:8", title="T", url="/", actor_id=actor.id,
                                               audiences=[Users("reply", [p.id for p in people])]))
    db.session.commit()  # mail straight away is queued after the commit
    for p in people:
        [msg] = smtp_server.to(p.email)
        assert msg["Subject"].startswith("Eve Bcc: everyone@example.org replied") and msg["Bcc"] is None


def test_weekly_periods_start_on_monday_in_london(make_user):
    from datetime import datetime

    from civic.notifications.delivery import LONDON

    thursday = datetime(2026, 11, 26, 12, tzinfo=LONDON)
    assert delivery.period_start("weekly", thursday).astimezone(LONDON) == datetime(2026, 11, 23, tzinfo=LONDON)
    summer = datetime(2026, 7, 2, 0, 30, tzinfo=LONDON)  # BST: London midnight is 23:00 UTC the day before
    assert delivery.period_start("daily", summer).isoformat() == "2026-07-01T23:00:00+00:00"


def test_daily_digest_groups_by_space_and_is_sent_once_per_period(make_user, smtp_server):
    user = make_user(display_name="Bo Digest")
    services.set_preferences(user, {"comment": "daily", "reply": "daily"})
    db.session.commit()
    notify(user, "d:1", kind="comment", title="Trees on Edgware Road", space="Greener streets")
    notify(user, "d:2", kind="reply", title="Bins in Soho", space="Cleaner city")
    notify(user, "d:3", kind="comment", title="Benches in Paddington", space="Greener streets")
    other = make_user()  # wants nothing daily
    notify(other, "d:4", kind="reply")
    smtp_server.messages.clear()

    result = delivery.send_digests("daily")
    assert (result.users, result.notifications) == (1, 3)
    mails = smtp_server.to(user.email)
    assert len(mails) == 1 and mails[0]["Subject"] == "Your daily summary: 3 updates"
    text = body(mails[0])
    assert text.index("== Greener streets ==") < text.index("Trees on Edgware Road") < text.index(
        "Benches in Paddington") < text.index("== Cleaner city ==") < text.index("Bins in Soho")
    assert mails[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert smtp_server.to(other.email) == []

    notify(user, "d:5", kind="comment", title="Late news", space="Greener streets")
    again = delivery.send_digests("daily")  # same day: already sent
    assert again.users == 0 and again.skipped == 1
    assert len(smtp_server.to(user.email)) == 1
    tomorrow = delivery.send_digests("daily", utcnow() + timedelta(days=1))
    assert tomorrow.users == 1
    assert "Late news" in body(smtp_server.to(user.email)[-1])
    assert db.session.scalar(select(DigestRun.items).where(DigestRun.user_id == user.id)
                             .order_by(DigestRun.id)) == 3


def test_digests_leave_out_hidden_content(make_user, smtp_server):
    user = make_user()
    services.set_preferences(user, {"comment": "weekly"})
    db.session.commit()
    services.deliver("comment.created", Notice(key="w:1", title="Kept", url="/", space="S",
                                               audiences=[Users("comment", [user.id])]))
    services.deliver("comment.created", Notice(key="w:2", title="Gone", url="/", space="S",
                                               audiences=[Users("comment", [user.id])],
                                               subject=("comment", 424242)))
    services.set_hidden("comment", 424242, True)
    db.session.commit()
    delivery.send_digests("weekly")
    text = body(smtp_server.to(user.email)[-1])
    assert "Kept" in text and "Gone" not in text


def test_digest_unsubscribe_stops_every_kind_in_that_digest(make_user, client):
    user = make_user()
    services.set_preferences(user, {"comment": "weekly", "reply": "weekly", "mention": "daily"})
    db.session.commit()
    token = services.unsubscribe_token(user.id, "digest:weekly")
    assert client.post(f"/notifications/unsubscribe/{token}").status_code == 200
    prefs = services.preferences(db.session.get(User, user.id))
    assert prefs["comment"] == prefs["reply"] == "never" and prefs["mention"] == "daily"


def test_two_runs_at_once_send_one_digest(make_user, smtp_server):
    user = make_user()
    services.set_preferences(user, {"comment": "daily"})
    db.session.commit()
    notify(user, "r:1", kind="comment")
    start = delivery.period_start("daily", utcnow())
    # another run already claimed this person's digest for today
    db.session.add(DigestRun(user_id=user.id, period="daily", period_start=start))
    db.session.commit()
    assert delivery.send_digests("daily").users == 0
    assert db.session.scalar(select(Notification.emailed_at).where(Notification.user_id == user.id)) is None


def test_a_header_with_a_line_break_is_refused(app):
    import pytest

    from civic import mail

    with app.test_request_context(), pytest.raises(ValueError, match="line break"):
        mail.build("ann@example.org", "Hello\r\nBcc: everyone@example.org", "notification")
