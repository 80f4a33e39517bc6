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

Headers on the wire (what mail providers read, docs/notifications.md): the message's bytes are made once, by
:func:`build`, and delivered unchanged (never parsed and written again, which would fold a long
``List-Unsubscribe`` into RFC 2047 encoded words). ``List-Unsubscribe``, ``Message-ID`` and the like are plain
ASCII, folded only between the entries of a list; a non-ASCII display name in ``From`` or ``To`` is an encoded
word beside a plain address; a non-ASCII ``Subject`` is encoded words. Lines end in CRLF.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import UTC, datetime
from email.header import Header, decode_header, make_header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.parser import BytesHeaderParser
from email.policy import Compat32
from email.utils import format_datetime, formataddr, getaddresses, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, render_template

from civic import jobs, logs
from civic.db import after_commit

log = logging.getLogger("civic.mail")

#: Headers written as they are: an address in angle brackets or a list of them, a token. Folding one inside a
#: URL, or between its name and its value, or encoding it (RFC 2047), makes it unreadable to the mail providers
#: that require one-click unsubscribe (RFC 8058), so such a header is folded only after a list's commas.
AS_WRITTEN = frozenset({"list-unsubscribe", "list-unsubscribe-post", "message-id", "in-reply-to", "references"})
LINE = 78  # the line length RFC 5322 recommends; no line is ever longer than 998


class WirePolicy(Compat32):
    """The ``compat32`` policy of the fast MIME classes, with CRLF line ends and the headers of
    :data:`AS_WRITTEN` written as they are."""

    def _fold(self, name, value, sanitize):
        if name.lower() not in AS_WRITTEN or not isinstance(value, str):
            return super()._fold(name, value, sanitize)
        lines = [f"{name}: "]
        for n, entry in enumerate(value.split(", ")):
            if n and len(lines[-1]) + len(entry) + 2 > LINE:
                lines[-1] += ","
                lines.append(" ")
            elif n:
                lines[-1] += ", "
            lines[-1] += entry
        return self.linesep.join(lines) + self.linesep


WIRE = WirePolicy(linesep="\r\n")


def link(endpoint: str, **values) -> str:
    """An absolute link for a message: the configured address (``CIVIC_BASE_URL``) and the endpoint's path.

    Never ``url_for(..., _external=True)`` in mail: in a request that follows the ``Host`` header, which the
    sender chooses (a password-reset link pointing at someone else's site).
    """
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def mail_domain() -> str:
    """The domain of Message-IDs: the From address's (``CIVIC_MAIL_FROM``), else the site's host."""
    address = parseaddr(current_app.config["MAIL_FROM"])[1]
    domain = address.rpartition("@")[2].strip()
    return domain or urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"


def build(to: str, subject: str, template: str, *, headers: dict[str, str] | None = None,
          **context) -> Message:
    """A multipart text+HTML message from ``templates/mail/<template>.txt`` and ``.html``.

    ``headers`` adds headers such as ``List-Unsubscribe`` and ``List-Unsubscribe-Post``. Built with the
    MIME classes (the ``compat32`` policy): several times faster than ``EmailMessage``, which matters for
    10,000 digests; header values with a line break are refused (no header injection).
    """
    context.setdefault("site_name", current_app.config["SITE_NAME"])
    msg = MIMEMultipart("alternative", policy=WIRE)
    msg["From"] = _address(current_app.config["MAIL_FROM"])
    msg["To"] = _address(to)
    msg["Subject"] = _header(subject)
    msg["Message-ID"] = make_msgid(domain=mail_domain())
    msg["Date"] = format_datetime(datetime.now(UTC))  # "+0000": the time is known to be UTC (not "-0000")
    for name, value in (headers or {}).items():
        msg[name] = _header(value, name)
    msg.attach(MIMEText(render_template(f"mail/{template}.txt", **context), "plain", "utf-8", policy=WIRE))
    msg.attach(MIMEText(render_template(f"mail/{template}.html", **context), "html", "utf-8", policy=WIRE))
    return msg


def _header(value: str, name: str = "") -> str | Header:
    if "\r" in value or "\n" in value:
        raise ValueError("a mail header must not contain a line break")
    if name.lower() in AS_WRITTEN and not value.isascii():
        raise ValueError(f"the {name} header must be plain ASCII (a URL is written with %-escapes)")
    return value if value.isascii() else Header(value, "utf-8")


def _address(value: str) -> str:
    """``Name <address>`` with a non-ASCII name as an encoded word, the address itself left plain."""
    if "\r" in value or "\n" in value:
        raise ValueError("a mail header must not contain a line break")
    name, address = parseaddr(value)
    if not address or value.isascii():
        return value
    return formataddr((name, address), charset="utf-8")


def as_bytes(msg: Message) -> bytes:
    """The message as it goes on the wire (and into an ``.eml`` file): CRLF line ends, headers as built."""
    return msg.as_bytes(policy=WIRE)


def send(to: str, subject: str, template: str, *, headers: dict[str, str] | None = None,
         **context) -> Message:
    """Build the message and send it in the background, once the transaction has committed."""
    msg = build(to, subject, template, headers=headers, **context)
    after_commit(queue, msg)
    return msg


def queue(msg: Message) -> None:
    """Hand the message to the job queue now (after a commit, or from a job that sends what is committed)."""
    jobs.enqueue(deliver_job, as_bytes(msg), description=f"Mail to {msg['To']}: {msg['Subject']}")


def deliver_job(raw: bytes) -> None:
    """The job: send one message (its bytes, unchanged). Raises when it cannot, so that the queue tries again."""
    _deliver(raw)


def deliver(msg: Message) -> bool:
    """Send one message now; False (logged) when it could not be sent."""
    try:
        _deliver(as_bytes(msg))
        return True
    except (OSError, smtplib.SMTPException):
        log.exception("could not send mail to %s: %s", logs.fingerprint(str(msg["To"])), msg["Subject"])
        return False


def _deliver(raw: bytes) -> None:
    cfg = current_app.config
    head = BytesHeaderParser(policy=WIRE).parsebytes(raw)  # the headers, read only to address and log it
    to, subject = (str(make_header(decode_header(str(head[name] or "")))) for name in ("To", "Subject"))
    if cfg["SMTP_HOST"]:
        _send_smtp(raw, head, cfg)
        log.info("mail sent to %s: %s", logs.fingerprint(to), subject)  # no address in clear in the logs
    else:
        path = _save_eml(raw, head, Path(cfg["MAIL_DIR"]))
        log.info("mail to %s saved as %s (no SMTP server configured)", logs.fingerprint(to), path)


def _send_smtp(raw: bytes, head: Message, cfg) -> None:
    sender = parseaddr(str(head["From"] or ""))[1]
    recipients = [address for _name, address in getaddresses([str(v) for v in head.get_all("To", [])
                                                                + head.get_all("Cc", [])]) if address]
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
        smtp.sendmail(sender, recipients, raw)  # the bytes as built: nothing parsed and written again


def _save_eml(raw: bytes, head: Message, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stem = str(head["Message-ID"]).strip().strip("<>").split("@")[0]
    path = folder / f"{stem}.eml"
    path.write_bytes(raw)
    return path
