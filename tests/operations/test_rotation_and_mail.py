"""Items 10 and 14: a rotated secret key still accepts what the previous one signed (sessions, links in mail
already sent), and mail carries the site's own identity."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from civic import mail
from civic.accounts import tokens
from civic.db import db
from civic.notifications import services
from civic.notifications.registry import Notice, Users


@pytest.fixture
def rotate(app, monkeypatch):
    """``rotate()``: a new secret key, the old one kept as a fallback (CIVIC_SECRET_KEY_FALLBACKS)."""

    def go(keep_old: bool = True):
        old = app.config["SECRET_KEY"]
        monkeypatch.setitem(app.config, "SECRET_KEY", "a brand new key " * 3)
        monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [old] if keep_old else [])
        app.secret_key = app.config["SECRET_KEY"]

    old_key = app.secret_key
    yield go
    app.secret_key = old_key


def notify(user) -> None:
    services.deliver("comment.created", Notice(key="rot:1", title="Cycle lanes", url="/groups/", space="Streets",
                                               audiences=[Users("reply", [user.id])]))
    db.session.commit()


def test_an_unsubscribe_link_sent_before_a_rotation_still_works(make_user, smtp_server, client, rotate):
    user = make_user()
    notify(user)
    link = re.fullmatch(r"<(.+)>", smtp_server.to(user.email)[0]["List-Unsubscribe"]).group(1)
    rotate()
    assert client.get(urlsplit(link).path).status_code == 200


def test_without_the_fallback_the_old_link_is_refused(make_user, smtp_server, client, rotate):
    user = make_user()
    notify(user)
    link = re.fullmatch(r"<(.+)>", smtp_server.to(user.email)[0]["List-Unsubscribe"]).group(1)
    rotate(keep_old=False)
    assert client.get(urlsplit(link).path).status_code == 404


def test_a_confirmation_link_and_a_session_survive_the_rotation(app, make_user, signed_in, rotate):
    user = make_user()
    token = tokens.make("confirm", {"uid": user.id})
    browser = signed_in(user)
    assert browser.get("/account").status_code == 200
    rotate()
    assert tokens.read("confirm", token) == {"uid": user.id}
    assert browser.get("/account").status_code == 200  # Flask's SECRET_KEY_FALLBACKS: the cookie still reads
    new = tokens.make("confirm", {"uid": user.id})
    assert new != token and tokens.read("confirm", new) == {"uid": user.id}


def test_message_id_date_and_auto_submitted(app, make_user, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_FROM", "Westminster Civic <no-reply@civic.westminster.example>")
    user = make_user()
    msg = mail.build(user.email, "Hello", "password_changed", user=user)
    assert re.fullmatch(r"<[^@]+@civic\.westminster\.example>", msg["Message-ID"])
    assert msg["Date"].endswith("+0000")
    assert msg["Auto-Submitted"] is None  # a message to one person about their account
    notify(user)
    sent = smtp_server.to(user.email)[-1]
    assert sent["Auto-Submitted"] == "auto-generated"
    assert sent["Message-ID"].endswith("@civic.westminster.example>")
    assert sent["Date"].endswith("+0000")
