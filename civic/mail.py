"""Outgoing email.

Messages are handed to the job queue (:mod:`civic.jobs`) once the transaction
that sent them has committed (:func:`civic.db.after_commit`; in a request, a CLI
command or a job alike): they leave outside the request, so a slow or failing
mail server never delays or breaks the page that caused them, and a rolled-back
change sends nothing. :func:`deliver_job` raises on failure, so the queue tries
again with back-off and, after the last attempt, keeps the message as a failure
that admins can see and retry on ``/admin/jobs``.

Delivery is SMTP when ``CIVIC_SMTP_HOST`` is set; otherwise (the embedded
default) each message is written as an ``.eml`` file under ``instance/mail/``
and logged, so a new user can confirm an account without a mail server.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email import message_from_bytes
from email import policy as email_policy
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, render_template

from civic import jobs
from civic.db import after_commit

log = logging.getLogger("civic.mail")


def link(endpoint: str, **values) -> str:
    """An absolute link for a message: the configured address (``CIVIC_BASE_URL``) and the endpoint's path.

    Never ``url_for(..., _external=True)`` in mail: in a request that follows the ``Host`` header, which the
    sender chooses (a password-reset link pointing at someone else's site).
    """
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def build(to: str, subject: str, template: str, *, headers: dict[str, str] | None = None,
          **context) -> Message:
    """A multipart text+HTML message from ``templates/mail/<template>.txt`` and ``.html``.

    ``headers`` adds headers such as ``List-Unsubscribe`` and ``List-Unsubscribe-Post``. Built with the
    MIME classes (the ``compat32`` policy): several times faster than ``EmailMessage``, which matters for
    10,000 digests; header values with a line break are refused (no header injection).
    """
    context.setdefault("site_name", current_app.config["SITE_NAME"])
    msg = MIMEMultipart("alternative")
    msg["From"] = _header(current_app.config["MAIL_FROM"])
    msg["To"] = _header(to)
    msg["Subject"] = _header(subject)
    msg["Message-ID"] = make_msgid(domain="civic.localhost")
    msg["Date"] = formatdate(localtime=False)
    for name, value in (headers or {}).items():
        msg[name] = _header(value)
    msg.attach(MIMEText(render_template(f"mail/{template}.txt", **context), "plain", "utf-8"))
    msg.attach(MIMEText(render_template(f"mail/{template}.html", **context), "html", "utf-8"))
    return msg


def _header(value: str) -> str | Header:
    if "\r" in value or "\n" in value:
        raise ValueError("a mail header must not contain a line break")
    return value if value.isascii() else Header(value, "utf-8")


def send(to: str, subject: str, template: str, *, headers: dict[str, str] | None = None,
         **context) -> Message:
    """Build the message and send it in the background, once the transaction has committed."""
    msg = build(to, subject, template, headers=headers, **context)
    after_commit(queue, msg)
    return msg


def queue(msg: Message) -> None:
    """Hand the message to the job queue now (after a commit, or from a job that sends what is committed)."""
    jobs.enqueue(deliver_job, bytes(msg), description=f"Mail to {msg['To']}: {msg['Subject']}")


def deliver_job(raw: bytes) -> None:
    """The job: send one message (its bytes). Raises when it cannot, so that the queue tries again."""
    _deliver(message_from_bytes(raw, policy=email_policy.default))


def deliver(msg: EmailMessage) -> bool:
    """Send one message now; False (logged) when it could not be sent."""
    try:
        _deliver(msg)
        return True
    except (OSError, smtplib.SMTPException):
        log.exception("could not send mail to %s: %s", msg["To"], msg["Subject"])
        return False


def _deliver(msg: EmailMessage) -> None:
    cfg = current_app.config
    if cfg["SMTP_HOST"]:
        _send_smtp(msg, cfg)
        log.info("mail sent to %s: %s", msg["To"], msg["Subject"])
    else:
        path = _save_eml(msg, Path(cfg["MAIL_DIR"]))
        log.info("mail to %s saved as %s (no SMTP server configured)", msg["To"], path)


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
