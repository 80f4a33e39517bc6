"""Outgoing email.

Messages built during a request are held in an outbox and leave only after the
request's transaction commits. Delivery is SMTP when ``CIVIC_SMTP_HOST`` is set;
otherwise (the embedded default) each message is written as an ``.eml`` file
under ``instance/mail/`` and logged, so a new user can confirm an account
without a mail server. A failing SMTP server is logged and never breaks the
request that caused the message.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app, g, has_request_context, render_template

log = logging.getLogger("civic.mail")


def build(to: str, subject: str, template: str, **context) -> EmailMessage:
    """A multipart text+HTML message from ``templates/mail/<template>.txt`` and ``.html``."""
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="civic.localhost")
    context.setdefault("site_name", current_app.config["SITE_NAME"])
    msg.set_content(render_template(f"mail/{template}.txt", **context))
    msg.add_alternative(render_template(f"mail/{template}.html", **context), subtype="html")
    return msg


def send(to: str, subject: str, template: str, **context) -> EmailMessage:
    msg = build(to, subject, template, **context)
    if has_request_context():
        g.setdefault("civic_outbox", []).append(msg)
    else:
        deliver(msg)
    return msg


def flush_after_commit() -> None:
    for msg in g.pop("civic_outbox", []):
        deliver(msg)


def discard() -> None:
    g.pop("civic_outbox", None)


def deliver(msg: EmailMessage) -> bool:
    cfg = current_app.config
    try:
        if cfg["SMTP_HOST"]:
            _send_smtp(msg, cfg)
            log.info("mail sent to %s: %s", msg["To"], msg["Subject"])
        else:
            path = _save_eml(msg, Path(cfg["MAIL_DIR"]))
            log.info("mail to %s saved as %s (no SMTP server configured)", msg["To"], path)
        return True
    except (OSError, smtplib.SMTPException):
        log.exception("could not send mail to %s: %s", msg["To"], msg["Subject"])
        return False


def _send_smtp(msg: EmailMessage, cfg) -> None:
    host, port = cfg["SMTP_HOST"], cfg["SMTP_PORT"]
    if cfg["SMTP_SSL"]:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=10, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=10)
    with smtp:
        if cfg["SMTP_STARTTLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if cfg["SMTP_USERNAME"]:
            smtp.login(cfg["SMTP_USERNAME"], cfg["SMTP_PASSWORD"] or "")
        smtp.send_message(msg)


def _save_eml(msg: EmailMessage, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stem = msg["Message-ID"].strip("<>").split("@")[0]
    path = folder / f"{stem}.eml"
    path.write_bytes(bytes(msg))
    return path
