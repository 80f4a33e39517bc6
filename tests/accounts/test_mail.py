"""Mail without a mail server (saved as .eml files) and with a broken one (logged, never breaks a page)."""

from __future__ import annotations

import logging
import re
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from civic import mail
from civic.accounts.models import User
from civic.db import db
from civic.jobs.models import JobFailure
from tests.accounts.conftest import path_of
from tests.conftest import free_port


@pytest.fixture
def embedded_mail(app, tmp_path, monkeypatch):
    """The embedded default: no SMTP host, mail saved under MAIL_DIR."""
    folder = tmp_path / "mail"
    monkeypatch.setitem(app.config, "SMTP_HOST", None)
    monkeypatch.setitem(app.config, "MAIL_DIR", str(folder))
    return folder


def read_eml(path):
    return message_from_bytes(path.read_bytes(), policy=policy.default)


def test_without_smtp_a_message_is_saved_as_an_eml_file_and_logged(app, embedded_mail, smtp_server, caplog,
                                                                    make_user):
    caplog.set_level(logging.INFO, logger="civic.mail")
    user = make_user(email="ada@example.org", display_name="Ada Lovelace")
    msg = mail.build(user.email, "Hello from the council", "password_changed", user=user)

    assert mail.deliver(msg) is True

    files = list(embedded_mail.glob("*.eml"))
    assert len(files) == 1
    saved = read_eml(files[0])
    assert saved["To"] == "ada@example.org"
    assert saved["Subject"] == "Hello from the council"
    assert saved["From"] == app.config["MAIL_FROM"]
    assert "Dear Ada Lovelace" in saved.get_body(("plain",)).get_content()
    assert "Dear Ada Lovelace" in saved.get_body(("html",)).get_content()
    assert smtp_server.messages == []
    # the file is named in the log; the address only as a fingerprint (no personal data in clear: docs/operations.md)
    assert any(str(files[0]) in r.getMessage() for r in caplog.records)
    assert not any("ada@example.org" in r.getMessage() for r in caplog.records)


def test_without_smtp_a_new_user_confirms_from_the_saved_file(client, embedded_mail, smtp_server):
    response = client.post("/sign-up", data={"display_name": "Ada", "nickname": "ada_l", "email": "ada@example.org",
                                             "password": "violet harbour lanterns"})
    assert response.status_code == 302

    [path] = embedded_mail.glob("*.eml")
    saved = read_eml(path)
    assert saved["Subject"] == "Confirm your email address"
    link = re.search(r"https?://\S+", saved.get_body(("plain",)).get_content()).group(0)
    assert client.get(path_of(link)).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(User).where(User.email == "ada@example.org")).email_confirmed_at is not None
    assert smtp_server.messages == []


def test_a_failing_smtp_server_never_breaks_sign_up(client, app, monkeypatch, smtp_server, caplog):
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())  # nothing listens there

    response = client.post("/sign-up", data={"display_name": "Ada", "nickname": "ada_l", "email": "ada@example.org",
                                             "password": "violet harbour lanterns"})

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/sign-up/check-your-email")
    db.session.expire_all()
    assert db.session.scalar(select(User).where(User.email == "ada@example.org")) is not None
    # The job queue (sync in tests) tried every attempt, then gave up: one ERROR, and a failure kept for admins.
    errors = [r for r in caplog.records if r.name == "civic.jobs" and r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "Mail to ada@example.org: Confirm your email address" in errors[0].getMessage()
    assert "gave up after 4 attempts" in errors[0].getMessage()
    assert errors[0].exc_info is not None
    [failure] = db.session.scalars(select(JobFailure)).all()
    assert (failure.job, failure.attempts) == ("civic.mail.deliver_job", 4)
    assert "Connection refused" in failure.error
    assert smtp_server.messages == []


def test_deliver_reports_a_failure_instead_of_raising(app, monkeypatch, make_user):
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())
    msg = mail.build("ada@example.org", "Hello", "password_changed", user=make_user())
    assert mail.deliver(msg) is False
