"""What every page shares: security headers, error pages, template helpers, the transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, flash, g, jsonify, render_template, request
from flask_babel import format_date, format_datetime
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from civic import events, jobs, mail, policy, resources, search
from civic.db import db
from civic.errors import DomainError, RuleViolation
from civic.text import render_markdown

log = logging.getLogger("civic")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json" and not request.accept_mimetypes.accept_html)


def json_error(message: str, status: int, field: str | None = None, **extra) -> tuple[Response, int]:
    body: dict = {"error": message, "status": status}
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
    """The query string, for building links to the same page (other page, other order). Names starting with
    ``_`` are left out: ``url_for`` reads ``_method``, ``_external``, ``_scheme`` and ``_anchor`` itself."""
    return {k: v for k, v in request.args.items() if not k.startswith("_")}


def page_arg() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100000 else 1


def content_security_policy(app: Flask) -> str:
    """The CSP; a configured map tile server (CIVIC_MAP_TILE_URL) is the one outside origin allowed, for images."""
    tiles = app.config.get("MAP_TILE_URL") or ""
    if not tiles:
        return CSP
    parts = urlsplit(tiles.replace("{s}", "a"))
    origin = f"{parts.scheme}://{parts.netloc.replace('a.', '*.', 1) if '{s}' in tiles else parts.netloc}"
    return CSP.replace("img-src 'self' data:", f"img-src 'self' data: {origin}")


def _discard_after_commit() -> None:
    """What was to happen after a commit that did not happen: mail, events and jobs are dropped."""
    mail.discard()
    events.discard()
    jobs.discard()


def init_web(app: Flask) -> None:
    csp = content_security_policy(app)
    @app.after_request
    def _commit_and_headers(response: Response) -> Response:
        # One transaction per request: commit on success, roll back on any error status.
        if response.status_code < 400:
            try:
                db.session.commit()
            except Exception:
                db.session.rollback()
                _discard_after_commit()
                raise
            mail.flush_after_commit()
            events.flush_after_commit()
            mail.flush_after_commit()  # mail that event handlers (notifications) sent
            jobs.flush_after_commit()
            search.after_request()
        else:
            db.session.rollback()
            _discard_after_commit()
        h = response.headers
        h.setdefault("Content-Security-Policy", csp)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure:
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if getattr(g, "private_page", False) or current_user.is_authenticated:
            h.setdefault("Cache-Control", "private, no-store")
        return response

    @app.teardown_request
    def _rollback_on_exception(exc: BaseException | None) -> None:
        if exc is not None:
            db.session.rollback()

    def _error_page(status: int, title: str, message: str):
        if wants_json():
            return json_error(message, status)
        return render_template("errors/error.html", status=status, title=title, message=message), status

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        if wants_json():
            return json_error(error.message, error.status_code, error.field)
        titles = {403: "You cannot do that", 404: "Page not found", 429: "Too many attempts"}
        return _error_page(error.status_code, titles.get(error.status_code, "That did not work"), error.message)

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        return _error_page(400, "Your form expired",
                           "For your security the form expired or was sent from another site. "
                           "Go back, reload the page and try again.")

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        status = error.code or 500
        messages = {
            404: ("Page not found", "We could not find that page. Check the address, or start again from the "
                                    "home page."),
            403: ("You cannot see this page", "You do not have permission to see this page."),
            405: ("That did not work", "This address does not accept that kind of request."),
            413: ("File too large", "What you sent is too large. The largest upload we accept is "
                                    f"{app.config['MAX_CONTENT_LENGTH'] // (1024 * 1024)} MB."),
            429: ("Too many requests", "You have made too many requests. Please wait a minute and try again."),
        }
        title, message = messages.get(status, ("That did not work", error.description or ""))
        return _error_page(status, title, message)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return _http_error(error)
        log.exception("unexpected error on %s %s", request.method, request.path)
        db.session.rollback()
        return _error_page(500, "Sorry, something went wrong",
                           "Something went wrong on our side. It has been logged and we will look into it. "
                           "Please try again later.")

    @app.template_filter("markdown")
    def _markdown(source: str | None):
        return render_markdown(source)

    @app.template_filter("date")
    def _date(value: datetime | None, fmt: str = "d MMMM yyyy"):
        return format_date(value, fmt) if value else ""

    @app.template_filter("datetime")
    def _datetime(value: datetime | None, fmt: str = "d MMMM yyyy, HH:mm"):
        return format_datetime(value, fmt) if value else ""

    # A Jinja global, not a context value: imported macros (pagination) see it too.
    app.jinja_env.globals["link_args"] = link_args

    @app.context_processor
    def _globals():
        return {
            "can": lambda action, obj=None: policy.can(current_user, action, obj),
            "role_labels": lambda user: _role_labels(user),
            "areas": resources.areas,
            "site_name": app.config["SITE_NAME"],
        }


def _role_labels(user) -> list[str]:
    """The person's roles in words, the derived "Group organiser" included."""
    from civic.accounts import roles
    from civic.groups.services import is_organiser

    names = [roles.LABELS[r] for r in sorted(user.role_names)]
    if is_organiser(user):
        names.append(roles.LABELS[roles.ORGANISER])
    return names or [roles.LABELS[roles.RESIDENT]]


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
