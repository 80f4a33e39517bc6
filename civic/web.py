"""The helpers every view imports: JSON or HTML (``wants_json``, ``json_error``), safe redirects
(``safe_next``), links and paging from the query string (``link_args``, ``page_arg``) and the shape of a form
view (``attempt``, ``form_error``, ``flash_domain_error``).

It imports nothing of the core's packages but the errors, so every package may import it. The request cycle
(the transaction, headers, error pages) is :mod:`civic.request_cycle`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Response, flash, jsonify, request

from civic.errors import DomainError, RuleViolation, status_code_name


def iso_time(value: datetime | date | None) -> str | None:
    """A time as the API writes every time: ISO 8601 in UTC to the second with a ``Z``
    (``2026-11-26T10:00:00Z``; a naive time is taken as UTC); a date as ``2026-11-26``; None as None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json" and not request.accept_mimetypes.accept_html)


def json_error(message: str, status: int, field: str | None = None, *, code: str | None = None,
               **extra) -> tuple[Response, int]:
    """A JSON error: the message for a person, the status, a stable machine ``code`` (by default the status's,
    :data:`civic.errors.STATUS_CODES`) and the ``field`` at fault when one is."""
    body: dict = {"error": message, "status": status, "code": code or status_code_name(status)}
    if field:
        body["field"] = field
    body.update(extra)
    return jsonify(body), status


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site relative paths are followed after sign-in (no open redirect)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def flash_domain_error(error: DomainError) -> None:
    flash(error.message, "error")


def link_args() -> dict[str, str]:
    """The query string, for building links to the same page (other page, other order). Left out: names
    starting with ``_`` (``url_for`` reads ``_method``, ``_external``, ``_scheme`` and ``_anchor`` itself),
    ``endpoint`` (``url_for``'s own first argument) and the names of the page's own path arguments (``?slug=``
    would send the link to another process's page)."""
    own = set(request.view_args or ()) | {"endpoint"}
    return {k: v for k, v in request.args.items() if not k.startswith("_") and k not in own}


#: The largest id a row can have: PostgreSQL's ``integer``. A larger number in a path is a 404 (the ``int`` URL
#: converter, :mod:`civic.request_cycle`), in the API a 400 (:func:`civic.api.id_value`), never the database's
#: "integer out of range".
MAX_ID = 2**31 - 1


def digits(raw: object) -> int | None:
    """The number written in ASCII digits, from 0 to :data:`MAX_ID`, or None: ``"²".isdigit()`` is true but
    ``int("²")`` fails, and a larger number is no row's id (PostgreSQL: "integer out of range")."""
    if not (isinstance(raw, str) and raw.isascii() and raw.isdigit()):
        return None
    number = int(raw)
    return number if number <= MAX_ID else None


def page_arg() -> int:
    number = digits(request.args.get("page", "1"))
    return number if number is not None and 0 < number < 100000 else 1


def attempt(form, action: Callable[[], Any]) -> tuple[bool, Any]:
    """The shape of every form view: validate, then call the service. ``(True, result)`` when it went
    through; ``(False, None)`` when the form did not validate or the service refused (a ``RuleViolation``,
    put beside the field it names), so the view re-renders the form."""
    if not form.validate_on_submit():
        return False, None
    try:
        return True, action()
    except RuleViolation as e:
        form_error(form, e)
        return False, None


def form_error(form, error: DomainError) -> None:
    """Put a service's refusal beside the field it names, or at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message] if isinstance(field.errors, list) else [error.message]
    else:
        form.form_errors.append(error.message)
