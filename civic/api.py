"""The JSON API kit (``/api/v1``): what every domain's API uses, and the core's own ``/api/v1/`` and ``/me``.

A domain's API module makes its blueprint with :func:`blueprint` and reads the request with the helpers here,
so every collection answers in the same shapes (documented in ``docs/api.md``):

- Errors are JSON: ``{"error": message, "status": n, "field": name}`` (``field`` when one input is at fault).
  Malformed input is :class:`BadInput` (400, naming the field); :func:`require_user` raises
  :class:`NotSignedIn` (401, with ``WWW-Authenticate``); a service's ``DomainError`` keeps its status.
- Lists are pages built by :func:`envelope`: ``{"items", "page", "per_page", "total", "next"}``; ``next`` is
  the full address of the next page with the request's own query string, built so that no query argument
  (``_external``, ``_method``, one named like a view argument...) can change the path or fail.
- Writes are rate-limited per person with :data:`write_limit` (key :func:`rate_key`).
- Public reads may be fetched from any site (``Access-Control-Allow-Origin: *`` on an anonymous ``GET``);
  an authenticated or writing request never gets the header.

The index (``GET /api/v1/``) lists every collection registered with :func:`collection`; a domain registers
its own (proposals: ``processes``; search: ``search``). Registering the same collection again is harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, current_app, g, jsonify, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.routing import BuildError

from civic import openapi, registries
from civic.accounts.api_tokens import api_user, protect_api
from civic.errors import DomainError
from civic.exports import OPEN_GOVERNMENT_LICENCE
from civic.extensions import limiter
from civic.web import MAX_ID, digits, iso_time, json_error

PREFIX = "/api/v1"
PER_PAGE = 20
PER_PAGE_MAX = 100
WRITE_LIMIT = "60 per minute"
READ_METHODS = frozenset({"GET", "HEAD"})


class NotSignedIn(DomainError):
    """A write (or ``/me``) without a token or a signed-in session: 401."""

    status_code = 401


class BadInput(DomainError):
    """Input the API cannot read (a page number that is not one, a JSON body that is not an object): 400."""

    status_code = 400


def _not_signed_in(error: NotSignedIn):
    response, status = json_error(error.message, 401, error.field)
    response.headers["WWW-Authenticate"] = 'Bearer realm="civic"'
    return response, status


def _read_only_cors(response):
    """Any site may read what anyone may read: an anonymous, successful GET. Never a write, never a person's."""
    if (request.method in READ_METHODS and getattr(g, "api_auth", None) is None
            and "Authorization" not in request.headers and response.status_code < 400):
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint under ``/api/v1`` with the API's authentication, 401 shape and read-only CORS."""
    bp = Blueprint(name, import_name, url_prefix=PREFIX)
    setup(bp)
    return bp


def setup(bp: Blueprint) -> None:
    """Give an existing ``/api/v1`` blueprint what :func:`blueprint` gives a new one."""
    protect_api(bp)
    bp.register_error_handler(NotSignedIn, _not_signed_in)
    bp.after_request(_read_only_cors)


# The index's collections ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Collection:
    name: str  # the index's key, e.g. "processes"
    endpoint: str  # a GET endpoint without view arguments, e.g. "proposals_api.processes"
    description: str


_collections: dict[str, Collection] = {}


def collection(name: str, endpoint: str, description: str) -> Collection:
    """List a collection in the ``/api/v1/`` index; the same call again changes nothing, a different one fails."""
    return registries.put(_collections, name, Collection(name, endpoint, description), "API collection")


def unregister_collection(name: str) -> None:
    """Forget a collection (a test-only domain, when its tests are done)."""
    _collections.pop(name, None)


def collections() -> list[Collection]:
    """The registered collections, by name."""
    return sorted(_collections.values(), key=lambda c: c.name)


# Reading the request ----------------------------------------------------------------------------------------


def require_user():
    """The person behind the request, or 401 (:class:`NotSignedIn`)."""
    user = api_user()
    if user is None:
        raise NotSignedIn("Sign in first: send a personal access token (Authorization: Bearer civic_...) or "
                          "use the API from a signed-in browser session.", field="Authorization")
    return user


def rate_key() -> str:
    """Who a rate limit counts: the signed-in person, else the address."""
    user = api_user()
    return f"api-user:{user.id}" if user is not None else f"api-address:{request.remote_addr}"


write_limit = limiter.limit(WRITE_LIMIT, key_func=rate_key)


def text_arg(name: str, max_length: int = 100) -> str:
    """A query argument's text, trimmed and cut to ``max_length`` ("" when absent)."""
    return (request.args.get(name) or "").strip()[:max_length]


def int_arg(name: str, default: int, *, low: int = 1, high: int = 100_000) -> int:
    """A whole-number query argument from ``low`` to ``high``; anything else is a 400 naming it."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise BadInput(f"“{name}” must be a whole number from {low} to {high:,}.", field=name)
    return int(raw)


def id_value(raw: Any) -> int | None:
    """An id sent in a body: a JSON whole number or its ASCII digits, from 1 to :data:`civic.web.MAX_ID`; else
    None (the caller raises :class:`BadInput` naming the field). ``true`` is not 1, ``"²"`` is not 2, and
    99999999999 is no row's id (PostgreSQL's "integer out of range")."""
    if isinstance(raw, bool):
        return None
    number = raw if isinstance(raw, int) else digits(raw.strip()) if isinstance(raw, str) else None
    return number if number is not None and 1 <= number <= MAX_ID else None


def choice_arg(name: str, choices: Sequence[str], default: str | None = None) -> str | None:
    """A query argument that must be one of ``choices``; anything else is a 400 naming it and them."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return default
    if raw not in choices:
        raise BadInput(f"“{name}” must be one of: {', '.join(choices)}.", field=name)
    return raw


def paging(default_per_page: int = PER_PAGE) -> tuple[int, int]:
    """``page`` (from 1) and ``per_page`` (1 to :data:`PER_PAGE_MAX`)."""
    return int_arg("page", 1), int_arg("per_page", default_per_page, high=PER_PAGE_MAX)


def payload() -> MultiDict | dict[str, Any]:
    """The body: a JSON object, or form fields."""
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise BadInput("Send a JSON object, like {\"body\": \"...\"}.")
        return data
    return request.form


def iso(value: datetime | date | None) -> str | None:
    """A time as ISO 8601 in UTC to the second with a ``Z`` (``2026-11-26T10:00:00Z``), a date as
    ``2026-11-26``, or None: one precision everywhere in the API (:func:`civic.web.iso_time`)."""
    return iso_time(value)


# Answering --------------------------------------------------------------------------------------------------


def page_url(page: int, **replace: Any) -> str:
    """This request's address at another page: the same path and query string, ``page`` (and ``replace``) set.

    The path is built from the view arguments alone and the query string is copied as text, so no query
    argument can reach ``url_for`` (``_external``, ``_method``, ``_scheme``, ``_anchor``, or one named like
    a view argument would otherwise change the address or fail)."""
    path = url_for(request.endpoint or "", **(request.view_args or {}), _external=True)
    replace = {**replace, "page": page}
    pairs = [(k, v) for k, v in request.args.items(multi=True) if k not in replace]
    pairs += [(k, str(v)) for k, v in replace.items()]
    return f"{path}?{urlencode(pairs)}"


def envelope(items: list[Any], page: int, per_page: int, total: int, *, keep: Sequence[str] = (),
             **extra: Any) -> dict[str, Any]:
    """A page of a list; ``next`` (or None on the last page) keeps the request's query string, and the
    ``extra`` values named in ``keep`` (e.g. a random order's ``seed``)."""
    next_url = None
    if page * per_page < total:
        next_url = page_url(page + 1, **{k: extra[k] for k in keep if k in extra})
    return {"items": items, "page": page, "per_page": per_page, "total": total, "next": next_url, **extra}


def slice_page(items: Sequence[Any], page: int, per_page: int) -> list[Any]:
    """One page of a list already in memory (empty past the end)."""
    return list(items[(page - 1) * per_page:page * per_page])


# The core's own endpoints -----------------------------------------------------------------------------------


bp = blueprint("api", __name__)


@bp.get("/")
@openapi.operation("Where to start", description="Every collection with its address, this reference, the licence "
                   "of the open data, and who you are signed in as.", responses={200: openapi.ref("Index")},
                   tags=["index"])
def index():
    """Where to start: every collection, the licence of the open data, and who you are signed in as."""
    user = api_user()
    body: dict[str, Any] = {"name": "Civic Westminster API", "version": 1,
                            "signed_in_as": user.nickname if user else None}
    listed = []
    for c in collections():
        try:
            address = url_for(c.endpoint, _external=True)
        except BuildError:  # a collection of a package this app does not load
            continue
        body[c.name] = address
        listed.append({"name": c.name, "url": address, "description": c.description})
    body.update({
        "collections": listed,
        "me": url_for(".me", _external=True),
        "documentation": url_for(".reference", _external=True),
        "openapi": url_for(".openapi_json", _external=True),
        "open_data_licence": {"name": OPEN_GOVERNMENT_LICENCE.name, "url": OPEN_GOVERNMENT_LICENCE.url},
    })
    return jsonify(body)


@bp.get("/me")
@openapi.operation("The signed-in person", description="For checking a token; never an email address.",
                   responses={200: openapi.ref("Me")}, sign_in=True, tags=["index"])
def me():
    """The signed-in person (for checking a token); never their email address."""
    user = require_user()
    return jsonify({"nickname": user.nickname, "name": user.public_name, "verified": user.is_verified,
                    "ward": user.ward.name if user.ward else None,
                    "profile_url": url_for("accounts.profile", nickname=user.nickname, _external=True)})


@bp.get("/openapi.json")
@openapi.operation("This API's OpenAPI 3.1 description", description="Generated from the code: every route "
                   "under /api/v1.", responses={200: {"type": "object", "required": ["openapi", "paths"]}},
                   tags=["index"])
def openapi_json():
    """The OpenAPI 3.1 description of every route under ``/api/v1`` (generated from the code by apispec)."""
    return jsonify(openapi.build(current_app, server=request.host_url.rstrip("/")))


@bp.get("/docs")
@openapi.operation("The browsable reference", description="An HTML page that reads /api/v1/openapi.json.",
                   responses={200: "The reference page (HTML)."}, tags=["index"], content_type="text/html")
def reference():
    """The reference page: the vendored viewer reading ``openapi.json`` (no CDN, no inline script)."""
    return render_template("api/reference.html")
