"""Mail goes through the job queue after the commit, in a request or outside one (a command); extra headers."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from civic import mail
from civic.db import db
from tests.conftest import free_port


def parse(raw: bytes):
    return message_from_bytes(raw, policy=policy.default)


def test_mail_sent_during_a_request_leaves_after_the_commit_through_the_queue(app, smtp_server, monkeypatch):
    queued = []
    monkeypatch.setattr("civic.jobs.enqueue", lambda func, *args, description="": queued.append(
        (func, args, description)))
    with app.test_request_context("/", method="POST"):
        mail.send("ivy@example.org", "Hello", "password_changed", user={"display_name": "Ivy"})
        assert queued == []  # held until the request commits
        app.process_response(app.response_class("done", status=200))
    [(func, (raw,), description)] = queued
    assert func is mail.deliver_job and isinstance(raw, bytes)
    assert description == "Mail to ivy@example.org: Hello"
    assert "Dear Ivy" in parse(raw).get_body(("plain",)).get_content()
    assert smtp_server.messages == []


def test_a_request_that_fails_sends_no_mail(app, smtp_server):
    with app.test_request_context("/", method="POST"):
        mail.send("jo@example.org", "Hello", "password_changed", user={"display_name": "Jo"})
        app.process_response(app.response_class("refused", status=409))
    assert smtp_server.messages == []


def test_outside_a_request_mail_leaves_after_the_commit_too(app, smtp_server):
    mail.send("kit@example.org", "From the command line", "password_changed", user={"display_name": "Kit"})
    assert smtp_server.messages == []  # a command commits, like a request
    db.session.commit()
    [msg] = smtp_server.to("kit@example.org")
    assert msg["Subject"] == "From the command line"


def test_outside_a_request_a_rollback_sends_no_mail(app, smtp_server):
    mail.send("kim@example.org", "From the command line", "password_changed", user={"display_name": "Kim"})
    db.session.rollback()
    db.session.commit()
    assert smtp_server.messages == []


def test_extra_headers_such_as_list_unsubscribe_are_sent(app, smtp_server):
    headers = {"List-Unsubscribe": "<https://civic.test/notifications/unsubscribe/abc>",
               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    mail.send("lee@example.org", "News", "password_changed", headers=headers, user={"display_name": "Lee"})
    db.session.commit()
    [msg] = smtp_server.to("lee@example.org")
    assert msg["List-Unsubscribe"] == "<https://civic.test/notifications/unsubscribe/abc>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_header_cannot_smuggle_another_one(app):
    with pytest.raises(ValueError):
        mail.build("max@example.org", "News", "password_changed", user={"display_name": "Max"},
                   headers={"List-Unsubscribe": "<https://x>\r\nBcc: victim@example.org"})


def test_deliver_job_raises_so_that_the_queue_tries_again(app, monkeypatch):
    raw = bytes(mail.build("ned@example.org", "Hello", "password_changed", user={"display_name": "Ned"}))
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())  # nothing listens there
    with pytest.raises(OSError):
        mail.deliver_job(raw)


def test_deliver_job_sends_the_message_unchanged(app, smtp_server):
    raw = bytes(mail.build("olu@example.org", "Exactly this", "password_changed", user={"display_name": "Olu"}))
    mail.deliver_job(raw)
    [got] = smtp_server.to("olu@example.org")
    built = parse(raw)
    assert got["Message-ID"] == built["Message-ID"] and got["Subject"] == "Exactly this"
    for kind in ("plain", "html"):
        assert got.get_body((kind,)).get_content().splitlines() == built.get_body((kind,)).get_content().splitlines()
