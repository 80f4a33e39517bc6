"""Mail headers as mail providers read them: the raw bytes of saved ``.eml`` messages and of what reaches an SMTP
server, never the email library's decoded view (which hides an RFC 2047-encoded ``List-Unsubscribe``)."""

from __future__ import annotations

import re
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller

from civic.db import db
from civic.notifications import delivery, services
from civic.notifications.registry import Notice, Users
from tests.conftest import free_port

FROM = "Cívic Westminster <no-reply@civic.test>"
TITLE = "Café tables on Harrow Road — “yes” or ‘no’?"


@pytest.fixture
def saved_mail(app, monkeypatch, tmp_path):
    """No SMTP server: every message is saved as an .eml file in a folder of this test's."""
    monkeypatch.setitem(app.config, "SMTP_HOST", "")
    monkeypatch.setitem(app.config, "MAIL_DIR", str(tmp_path))
    monkeypatch.setitem(app.config, "MAIL_FROM", FROM)
    return tmp_path


def notify(user, key: str, kind: str = "reply") -> None:
    services.deliver("comment.created", Notice(key=key, title=TITLE, url="/groups/", space="Greener streets",
                                               audiences=[Users(kind, [user.id])]))
    db.session.commit()


def raw_fields(raw: bytes) -> dict[str, list[bytes]]:
    """Each header of the message (not of its parts) as its physical lines: the first after ``Name:``."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\n" not in head.replace(b"\r\n", b""), "every line ends in CRLF"
    fields: dict[str, list[bytes]] = {}
    name = ""
    for line in head.split(b"\r\n"):
        assert len(line) <= 998 and line.isascii(), line
        if line[:1] in (b" ", b"\t"):
            fields[name].append(line)
        else:
            field, _, value = line.partition(b":")
            name = field.decode().lower()
            assert name not in fields, f"{name} twice"
            fields[name] = [value]
    return fields


def check_headers(raw: bytes, subject: str) -> None:
    fields = raw_fields(raw)
    # List-Unsubscribe: one plain ASCII line, <https://...>, never encoded, never folded inside the URL.
    [unsubscribe] = fields["list-unsubscribe"]
    assert re.fullmatch(rb" <https?://[!-~]+/notifications/unsubscribe/[!-~]+>", unsubscribe), unsubscribe
    assert len(b"List-Unsubscribe:" + unsubscribe) > 78  # long enough to have been folded
    assert fields["list-unsubscribe-post"] == [b" List-Unsubscribe=One-Click"]
    # Message-ID: plain.
    [message_id] = fields["message-id"]
    assert re.fullmatch(rb" <[!-~]+@[!-~]+>", message_id), message_id
    # From: the non-ASCII name as an encoded word, the address beside it in plain ASCII.
    sender = b"".join(fields["from"])
    match = re.fullmatch(rb" (=\?utf-8\?[qb]\?[!-~]+\?=) <no-reply@civic\.test>", sender, flags=re.I)
    assert match, sender
    assert str(make_header(decode_header(match.group(1).decode()))) == "Cívic Westminster"
    # Subject: encoded words (folded between them), which decode to the subject.
    lines = fields["subject"]
    assert all(re.fullmatch(rb"( (=\?utf-8\?[qb]\?[!-~]+\?=|[!-~]+))+", line, flags=re.I) for line in lines), lines
    assert b"=?utf-8?" in b"".join(lines).lower()
    assert str(make_header(decode_header(b"\r\n".join(lines).decode()))) == subject


def test_a_notification_mail_on_disk_has_plain_unsubscribe_and_encoded_words(make_user, saved_mail):
    user = make_user(display_name="Ann Smith")
    notify(user, "wire:1")
    [path] = saved_mail.glob("*.eml")
    check_headers(path.read_bytes(), f"Someone replied to your comment on “{TITLE}”")


def test_a_daily_digest_on_disk_has_plain_unsubscribe(make_user, saved_mail, monkeypatch):
    user = make_user(display_name="Bo Digest")
    services.set_preferences(user, {"comment": "daily", "reply": "daily"})
    db.session.commit()
    notify(user, "wire:2", kind="comment")
    notify(user, "wire:3", kind="reply")
    assert list(saved_mail.glob("*.eml")) == []
    assert delivery.send_digests("daily").users == 1
    [path] = saved_mail.glob("*.eml")
    raw = path.read_bytes()
    fields = raw_fields(raw)
    assert fields["subject"] == [b" Your daily summary: 2 updates"]  # plain ASCII stays as written
    [unsubscribe] = fields["list-unsubscribe"]
    assert re.fullmatch(rb" <https?://[!-~]+/notifications/unsubscribe/[!-~]+>", unsubscribe), unsubscribe
    assert b"=?" not in unsubscribe


class RawSMTP:
    def __init__(self) -> None:
        self.raw: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's protocol
        self.raw.append(envelope.original_content or envelope.content)
        return "250 Message accepted"


def test_what_reaches_the_smtp_server_is_the_same_bytes(app, make_user, monkeypatch, saved_mail):
    handler, port = RawSMTP(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
        monkeypatch.setitem(app.config, "SMTP_PORT", port)
        user = make_user(display_name="Cy Wire")
        notify(user, "wire:4")
    finally:
        controller.stop()
    [raw] = handler.raw
    check_headers(raw, f"Someone replied to your comment on “{TITLE}”")


def test_a_header_that_must_stay_plain_refuses_what_is_not_ascii(app):
    from civic import mail

    with app.test_request_context(), pytest.raises(ValueError, match="plain ASCII"):
        mail.build("a@example.org", "Hello", "password_changed", user={"display_name": "A"},
                   headers={"List-Unsubscribe": "<https://civic.test/désabonner>"})
