"""The request cycle, wired by :func:`civic.app.create_app`: one transaction per request (commit below 400,
roll back otherwise), security headers (CSP), error pages in HTML or JSON, template filters and globals.

Malformed input is dealt with here, once, before any view sees it (docs/architecture.md, "Malformed input"):

- path arguments: ``<int:...>`` stops at 2**31 - 1 and text arguments (``<slug>``, ``<path:...>``) never hold
  a NUL byte, so such an address is a 404 (:data:`URL_CONVERTERS`, registered by ``create_app``);
- form fields: NUL bytes are stripped (:class:`CivicRequest`), so pasted text is kept, not refused by the
  database; in a query string a NUL byte stays as the text ``%00`` (:class:`QueryArgs`);
- JSON bodies: NUL bytes are stripped, and a lone surrogate or nesting deeper than :data:`JSON_DEPTH` is a 400
  naming the problem; the site's own pages take web forms, so JSON sent to them is a 415.

The helpers that views import (``wants_json``, ``json_error``, ``attempt`` ...) are in :mod:`civic.web`, which
imports nothing of the core's packages, so any view may use them.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

from flask import Flask, Response, abort, g, render_template, request
from flask.json.provider import DefaultJSONProvider
from flask.wrappers import Request
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import ImmutableMultiDict, iter_multi_items
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.routing import IntegerConverter, PathConverter, UnicodeConverter
from werkzeug.utils import cached_property

from civic import api, policy, resources
from civic.accounts import roles
from civic.db import db
from civic.errors import DomainError, api_status
from civic.groups.services import is_organiser
from civic.text import render_markdown
from civic.web import MAX_ID, json_error, link_args, wants_json

log = logging.getLogger("civic")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def content_security_policy(app: Flask) -> str:
    """The CSP; a configured map tile server (CIVIC_MAP_TILE_URL) is the one outside origin allowed, for images."""
    tiles = app.config.get("MAP_TILE_URL") or ""
    if not tiles:
        return CSP
    parts = urlsplit(tiles.replace("{s}", "a"))
    origin = f"{parts.scheme}://{parts.netloc.replace('a.', '*.', 1) if '{s}' in tiles else parts.netloc}"
    return CSP.replace("img-src 'self' data:", f"img-src 'self' data: {origin}")


# Malformed input ---------------------------------------------------------------------------------------------

JSON_DEPTH = 32  # no API body nests deeper than 3; Python's parser gives up (RecursionError) near 1,000


class IdConverter(IntegerConverter):
    """``<int:...>``: a row's id, from 0 to :data:`civic.web.MAX_ID`; a larger number does not match (404)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class TextConverter(UnicodeConverter):
    """``<name>`` (``<string:name>``): one path segment without a NUL byte (one is a 404)."""

    def __init__(self, map, minlength: int = 1, maxlength: int | None = None, length: int | None = None) -> None:
        super().__init__(map, minlength=minlength, maxlength=maxlength, length=length)
        self.regex = self.regex.replace("[^/]", "[^/\\x00]", 1)


class NulFreePathConverter(PathConverter):
    """``<path:name>``: several segments, without a NUL byte."""

    regex = "[^/\\x00][^\\x00]*?"


#: Registered by ``create_app`` before any route, so every blueprint's rules use them.
URL_CONVERTERS = {"int": IdConverter, "default": TextConverter, "string": TextConverter,
                  "path": NulFreePathConverter}


def _without_nul(value, instead: str = ""):
    return value.replace("\x00", instead) if isinstance(value, str) else value


class NulFreeMultiDict(ImmutableMultiDict):
    """A form's fields with NUL bytes taken out of names and values: a resident who pastes text with one keeps
    the text (PostgreSQL refuses NUL in text)."""

    nul = ""

    def __init__(self, mapping=None) -> None:
        if mapping is None:
            super().__init__()
        else:
            super().__init__([(_without_nul(k, self.nul), _without_nul(v, self.nul))
                              for k, v in iter_multi_items(mapping)])


class QueryArgs(NulFreeMultiDict):
    """The query string's arguments with a NUL byte left as the text ``%00``, as Werkzeug leaves bytes that are
    not UTF-8: an address holds nothing to keep, and a search for it still says what it found."""

    nul = "%00"


class CheckedJSONProvider(DefaultJSONProvider):
    """The app's JSON (``request.get_json()`` reads with it): NUL bytes stripped from strings; a lone surrogate
    (which no database and no page can hold) or nesting deeper than :data:`JSON_DEPTH` is a 400 naming the
    problem (a ``BadRequest``, so ``get_json(silent=True)`` does not hide it)."""

    def loads(self, s, **kwargs):
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise _json_nested() from None
        if _plain(s):
            _check_depth(value)
            return value
        return _checked(value, 0)


def _plain(s) -> bool:
    """ASCII text without a ``\\u`` escape: none of its strings can hold a NUL byte or a lone surrogate (the
    parser refuses a raw control character in a string), so only the nesting needs a look. A device's batch of
    2,500 readings is checked in a fraction of the time the walk over every string takes."""
    if isinstance(s, bytes | bytearray):
        return s.isascii() and b"\\u" not in s
    return isinstance(s, str) and s.isascii() and "\\u" not in s


def _check_depth(value) -> None:
    """Nesting deeper than :data:`JSON_DEPTH` is a 400, as :func:`_checked` says; only arrays and objects are
    visited, a level at a time."""
    level = [value] if isinstance(value, dict | list) else []
    depth = 0
    while level:
        if depth >= JSON_DEPTH:
            raise _json_nested()
        nested: list = []
        for container in level:
            values = container.values() if isinstance(container, dict) else container
            if not _CONTAINERS.isdisjoint(map(type, values)):  # the common case (only scalars) stays in C
                nested.extend([v for v in values if isinstance(v, dict | list)])
        level = nested
        depth += 1


_CONTAINERS = frozenset((dict, list))


def _json_nested() -> BadRequest:
    return BadRequest(_("The JSON is nested too deeply: at most %(depth)d levels of arrays and objects.",
                        depth=JSON_DEPTH))


def _checked(value, depth: int):
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequest(_("The JSON holds a broken character: a lone surrogate (such as \\ud800) that is "
                               "not half of a pair. Send the text as it was written, in UTF-8.")) from None
        return _without_nul(value)
    if isinstance(value, dict | list):
        if depth >= JSON_DEPTH:
            raise _json_nested()
        if isinstance(value, list):
            return [_checked(v, depth + 1) for v in value]
        return {_checked(k, depth + 1): _checked(v, depth + 1) for k, v in value.items()}
    return value


class CivicRequest(Request):
    """Flask's request without NUL bytes in the form or the query string."""

    parameter_storage_class = NulFreeMultiDict

    @cached_property
    def args(self) -> QueryArgs:  # Werkzeug's own parsing, into QueryArgs
        return QueryArgs(parse_qsl(self.query_string.decode(), keep_blank_values=True,
                                   errors="werkzeug.url_quote"))


def init_app(app: Flask) -> None:
    """The request cycle: the transaction, security headers, error pages, template filters and globals."""
    csp = content_security_policy(app)
    app.request_class = CivicRequest
    app.json = CheckedJSONProvider(app)

    @app.before_request
    def _pages_take_forms() -> None:
        # The site's pages read web forms; Flask-WTF would read a JSON body as the form's fields (any shape,
        # any type). Only the API (/api/v1) and the devices' ingest (/api/sensing) take JSON.
        if request.is_json and request.method not in ("GET", "HEAD", "OPTIONS") \
                and not request.path.startswith("/api/"):
            abort(415, description=_("This address takes a web form, not JSON. The API is at /api/v1/."))

    @app.after_request
    def _commit_and_headers(response: Response) -> Response:
        # One transaction per request: commit on success, roll back on any error status. What was queued
        # for after the commit (mail, events, jobs, the search index: civic.db.after_commit) runs inside
        # the commit, or is dropped with the rollback.
        if response.status_code < 400:
            try:
                db.session.commit()
            except Exception:
                db.session.rollback()
                raise
        else:
            db.session.rollback()
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

    app.after_request(error_in_title)

    # Run last of all (Flask runs after_request functions in reverse order, and the rate limiter's was added
    # before this one): the limiter puts Retry-After on every limited response; a success must not carry it.
    app.after_request_funcs.setdefault(None, []).insert(0, _retry_after_only_on_refusals)

    @app.teardown_request
    def _rollback_on_exception(exc: BaseException | None) -> None:
        if exc is not None:
            db.session.rollback()

    def _error_page(status: int, title: str, message: str, *, code: str | None = None,
                    field: str | None = None, headers: dict[str, str] | None = None):
        if machine_readable():
            response, _status = json_error(message, status, field, code=code)
        else:
            response = app.make_response((render_template("errors/error.html", status=status, title=title,
                                                           message=message), status))
        for name, value in (headers or {}).items():
            response.headers[name] = value
        if status == 429 and "Retry-After" not in response.headers:
            response.headers["Retry-After"] = str(RETRY_AFTER)
        return response, status

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        status, code = error.status_code, error.code
        if request.path.startswith(api.PREFIX + "/"):
            status, code = api_status(error)  # a refused field is 422 on the API (civic/errors.py)
        titles = {403: "You cannot do that", 404: "Page not found", 429: "Too many attempts"}
        return _error_page(status, titles.get(status, "That did not work"), error.message, code=code,
                           field=error.field)

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
            415: ("That did not work", error.description or ""),
            413: ("File too large", "What you sent is too large. The largest upload we accept is "
                                    f"{app.config['MAX_CONTENT_LENGTH'] // (1024 * 1024)} MB."),
            429: ("Too many requests", "You have made too many requests. Please wait a minute and try again."),
        }
        title, message = messages.get(status, ("That did not work", error.description or ""))
        # 405 says which methods the address takes (Allow); a refusal's own Retry-After is kept.
        kept = {k: v for k, v in error.get_headers() if k in ("Allow", "Retry-After")}
        return _error_page(status, title, message, headers=kept)

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

    def _areas_of_this_app() -> list[resources.Area]:
        """The areas, linked only where this app has the page (the registry is the process's: an app that
        loads fewer domains, as some tests' apps do, shows the others' areas as opening soon)."""
        return [a if a.endpoint is None or a.endpoint in app.view_functions else replace(a, endpoint=None)
                for a in resources.areas()]

    @app.context_processor
    def _globals():
        return {
            "can": lambda action, obj=None: policy.can(current_user, action, obj),
            "role_labels": lambda user: _role_labels(user),
            "areas": _areas_of_this_app,
            "your_links": lambda process=None: resources.your_links(current_user, process),
            # What an object came from, or led to, in another domain (a proposal made from a campaign's finding).
            "linked": lambda name, ident, direction="from": resources.linked(current_user, name, ident, direction),
            "site_name": app.config["SITE_NAME"],
        }


def error_in_title(response: Response) -> Response:
    """GOV.UK: a page that shows an error summary starts its title with "Error: ", so a screen reader hears it
    first. Done once here for every page (templates need not remember); a title that says it already is left."""
    if response.mimetype != "text/html" or response.is_streamed or response.direct_passthrough:
        return response
    body = response.get_data()
    if b'class="error-summary"' in body and b"<title>Error:" not in body:
        response.set_data(body.replace(b"<title>", b"<title>Error: ", 1))
    return response


#: Seconds a refused client waits when the refusal does not say (a 429 without the limiter's own figure).
RETRY_AFTER = 60

#: A download read by programs (an export): its errors are JSON, as the API's are.
DOWNLOAD_SUFFIXES = (".csv", ".json", ".geojson", ".zip")


def machine_readable() -> bool:
    """Should an error be JSON? On the API, for a client that asks for JSON, and on a download."""
    return wants_json() or request.path.endswith(DOWNLOAD_SUFFIXES)


def _retry_after_only_on_refusals(response: Response) -> Response:
    if response.status_code < 400:
        response.headers.pop("Retry-After", None)
    return response


def _role_labels(user) -> list[str]:
    """The person's roles in words, the derived "Group organiser" included."""
    names = [roles.LABELS[r] for r in sorted(user.role_names)]
    if is_organiser(user):
        names.append(roles.LABELS[roles.ORGANISER])
    return names or [roles.LABELS[roles.RESIDENT]]
