"""Logs: one format for the app, its jobs and gunicorn; a request id on every line; security events.

``CIVIC_LOG_FORMAT`` is ``plain`` (a line of text) or ``json`` (one object a line, for a log collector). Every
record carries ``request_id``: the request's ``X-Request-ID`` (when it is a short token, e.g. set by nginx) or a
new one, sent back in the response's ``X-Request-ID``, kept on the jobs the request queues and set again while
they run, so a mail's delivery is found beside the request that caused it. Outside a request it is ``-``.

Security events (:func:`security`) go to the ``civic.security`` logger without personal data in clear: people
by their id, a mail address or a client address only as a keyed fingerprint (:func:`fingerprint`), which is the
same for the same value, so repeated attempts on one account can be followed without naming it.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import json
import logging
import re
import sys
import time
import uuid
from typing import Any

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("civic_request_id", default="-")
#: An incoming X-Request-ID is kept only when it looks like an id (nothing that could forge a log line).
VALID_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
PLAIN = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
security_log = logging.getLogger("civic.security")
_fingerprint_key = b"civic"


def new_request_id(offered: str | None = None) -> str:
    return offered if offered and VALID_ID.fullmatch(offered) else uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (``%(request_id)s``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


class JSONFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, request_id, message, and any extras given
    as ``extra={"fields": {...}}``."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", REQUEST_ID.get()),
            "message": record.getMessage(),
        }
        line.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def formatter(kind: str) -> logging.Formatter:
    if kind == "json":
        return JSONFormatter()
    plain = logging.Formatter(PLAIN)
    plain.converter = time.gmtime  # UTC, as stored
    return plain


def handler(kind: str, stream=None) -> logging.Handler:
    out = logging.StreamHandler(stream or sys.stderr)
    out.setFormatter(formatter(kind))
    out.addFilter(RequestIdFilter())
    return out


def configure(kind: str = "plain", level: str = "INFO", key: str | bytes = b"") -> None:
    """Send the root logger's records to stderr in ``kind``'s format (replacing the handler of an earlier call,
    so several apps in one process log each line once). ``key`` keys the fingerprints of personal data."""
    global _fingerprint_key
    if key:
        _fingerprint_key = key.encode() if isinstance(key, str) else key
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "civic", False)]:
        root.removeHandler(old)
    new = handler(kind)
    new.civic = True  # type: ignore[attr-defined]
    root.addHandler(new)
    root.setLevel(getattr(logging, level, logging.INFO))
    logging.getLogger("alembic").setLevel(logging.WARNING)


def gunicorn_logconfig(kind: str = "plain") -> dict[str, Any]:
    """gunicorn's ``logconfig_dict`` (deploy/gunicorn.conf.py): its own lines in the app's format."""
    fmt = {"()": "civic.logs.JSONFormatter"} if kind == "json" else {"format": PLAIN}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "civic.logs.RequestIdFilter"}},
        "formatters": {"civic": fmt},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "civic", "filters": ["request_id"],
                                "stream": "ext://sys.stderr"}},
        "loggers": {"gunicorn.error": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
                    "gunicorn.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False}},
        "root": {"level": "INFO", "handlers": []},  # the app's own records: civic.logs.configure() at start
    }


def fingerprint(value: str | None) -> str:
    """A short keyed digest of personal data (a mail or client address): the same value, the same print."""
    if not value:
        return "-"
    return hmac.new(_fingerprint_key, value.strip().lower().encode(), hashlib.sha256).hexdigest()[:12]


def security(event: str, **fields: Any) -> None:
    """Log a security event: ``signin.failed``, ``signin.throttled``, ``role.granted``, ``token.created``...
    Pass people as ``user_id``; mail and client addresses as ``email=``/``address=``, which are fingerprinted."""
    safe = {k: (fingerprint(v) if k in ("email", "address") else v) for k, v in fields.items()}
    words = " ".join(f"{k}={v}" for k, v in safe.items())
    security_log.warning("security %s %s", event, words, extra={"fields": {"event": event, **safe}})
