"""The JSON API kit (``/api/v1``): what every domain's API uses, and the core's own ``/api/v1/`` and ``/me``.

A domain's API module makes its blueprint with :func:`blueprint` and reads the request with the helpers here,
so every collection answers in the same shapes (documented in ``docs/api.md``):

- Errors are JSON: ``{"error": message, "status": n, "code": machine_code, "field": name}`` (``field`` when one
  input is at fault; ``code`` from :mod:`civic.errors`: a service's refusal naming a field is 422
  ``validation_failed``, one naming none 409 ``conflict``). A body neither JSON nor a form is 415.
- ``Idempotency-Key`` on a POST makes it safe to retry (:mod:`civic.idempotency`, hooked in by :func:`setup`).
  Malformed input is :class:`BadInput` (400, naming the field); :func:`require_user` raises
  :class:`NotSignedIn` (401, with ``WWW-Authenticate``); a service's ``DomainError`` keeps its status.
- Lists are pages built by :func:`envelope`: ``{"items", "page", "per_page", "total", "next"}``; ``next`` is
  the full address of the next page with the request's own query string, built so that no query argument
  (``_external``, ``_method``, one named like a view argument...) can change the path or fail.
- Every request counts against the API's limit (``API_RATE_LIMIT``, per person or address, in the limiter's
  shared storage: one count across workers), and writes against :data:`write_limit` as well (key
  :func:`rate_key`); every ``/api/v1`` response tells the tightest of them in ``X-RateLimit-*`` and
  ``RateLimit-*`` headers (none at all when rate limiting is off).
- Public reads may be fetched from any site (``Access-Control-Allow-Origin: *`` on an anonymous ``GET``);
  an authenticated or writing request never gets the header.

The index (``GET /api/v1/``) lists every collection registered with :func:`collection`; a domain registers
its own (proposals: ``processes``; search: ``search``). Registering the same collection again is harmless.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, g, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from limits import parse as parse_limit
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import ColumnElement, Select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import TooManyRequests
from werkzeug.routing import BuildError

from civic import idempotency, openapi, registries
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
#: What a cross-site script may send on a public read (its preflight is answered for these alone).
CORS_REQUEST_HEADERS = frozenset({"if-none-match", "if-modified-since", "accept", "accept-language"})
CURSOR_SALT = "civic.api.cursor"
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


class NotSignedIn(DomainError):
    """A write (or ``/me``) without a token or a signed-in session: 401."""

    status_code = 401
    code = "not_signed_in"


class UnsupportedMediaType(DomainError):
    """A body of a type the API does not read (neither JSON nor a web form): 415."""

    status_code = 415
    code = "unsupported_media_type"


class BadInput(DomainError):
    """Input the API cannot read (a page number that is not one, a JSON body that is not an object): 400."""

    status_code = 400


def _not_signed_in(error: NotSignedIn):
    response, status = json_error(error.message, 401, error.field, code=error.code)
    response.headers["WWW-Authenticate"] = 'Bearer realm="civic"'
    return response, status


def _preflight_for_public_read() -> bool:
    """An ``OPTIONS`` preflight asking to ``GET`` without credentials' headers (a write's is refused)."""
    method = (request.headers.get("Access-Control-Request-Method") or "").upper()
    asked = {h.strip().lower() for h in (request.headers.get("Access-Control-Request-Headers") or "").split(",")
             if h.strip()}
    return method in READ_METHODS and asked <= CORS_REQUEST_HEADERS


def _read_only_cors(response):
    """Any site may read what anyone may read: an anonymous, successful GET (or 304), and the preflight of
    one. Never a write, never a person's (a token or a session), never a preflight asking for a write or an
    ``Authorization`` header."""
    if request.method == "OPTIONS":
        if _preflight_for_public_read() and request.url_rule is not None \
                and READ_METHODS & set(request.url_rule.methods or ()):
            response.headers["Access-Control-Allow-Origin"] = "*"
            response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = ", ".join(sorted(CORS_REQUEST_HEADERS))
            response.headers["Access-Control-Max-Age"] = "86400"
        return response
    if (request.method in READ_METHODS and getattr(g, "api_auth", None) is None
            and "Authorization" not in request.headers and (response.status_code < 400 or response.status_code == 304)):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = "ETag, Last-Modified, Link"
    return response


def _conditional(response):
    """An anonymous read's validators: a strong ``ETag`` (a digest of the body), ``Last-Modified`` when the
    view named one (:func:`last_modified`), and ``304 Not Modified`` for a client whose ``If-None-Match``
    holds the ETag.

    A person's read (token or session) is theirs: no validators, ``Cache-Control: private, no-store``."""
    if request.method not in READ_METHODS or response.status_code != 200 or response.is_streamed:
        return response
    response.vary.update(("Authorization", "Cookie"))
    if getattr(g, "api_auth", None) is not None or "Authorization" in request.headers or api_user() is not None:
        response.headers["Cache-Control"] = "private, no-store"
        return response
    response.headers["Cache-Control"] = "public, no-cache"  # keep it, but ask again (a 304 is cheap)
    stamp = getattr(g, "api_last_modified", None)
    if stamp is not None:
        response.last_modified = stamp.replace(microsecond=0)
    response.add_etag()
    # 304 by the ETag alone: counters (supports, comments, votes) change without a time of their own, so an
    # ``If-Modified-Since`` could keep a stale copy; ``Last-Modified`` is told, not used for a 304 (docs/api.md).
    environ = {k: v for k, v in request.environ.items() if k != "HTTP_IF_MODIFIED_SINCE"}
    return response.make_conditional(environ)


def last_modified(value: datetime | None) -> None:
    """Tell the API when what this read shows last changed (for ``Last-Modified``; the latest call wins)."""
    if value is None:
        return
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    current = getattr(g, "api_last_modified", None)
    g.api_last_modified = value if current is None or value > current else current


def blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint under ``/api/v1`` with the API's authentication, 401 shape and read-only CORS."""
    bp = Blueprint(name, import_name, url_prefix=PREFIX)
    setup(bp)
    return bp


def setup(bp: Blueprint) -> None:
    """Give an existing ``/api/v1`` blueprint what :func:`blueprint` gives a new one."""
    protect_api(bp)
    bp.before_request(count_request)  # after the authentication protect_api adds: counts the person
    bp.before_request(idempotency.before_request)
    bp.register_error_handler(NotSignedIn, _not_signed_in)
    bp.after_request(idempotency.after_request)
    bp.after_request(_read_only_cors)
    bp.after_request(_conditional)  # runs first (Flask runs after_request functions in reverse)


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


# The API's rate limit and its headers -----------------------------------------------------------------------

log = logging.getLogger(__name__)
#: Counts kept in this process when the limiter's storage (Redis) does not answer: the API keeps serving.
_memory_counts = FixedWindowRateLimiter(MemoryStorage())
#: After the storage failed, it is asked again only after this many seconds (no wait on it at every request).
STORAGE_RETRY_SECONDS = 30
_storage_down_until = 0.0
RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "RateLimit-Limit",
                "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy")


@dataclass(frozen=True)
class RateWindow:
    """Where a client stands against one limit: ``remaining`` of ``limit`` requests until ``reset_at``."""

    limit: int
    remaining: int
    reset_at: float  # seconds since the epoch
    window: int  # the window's length in seconds
    breached: bool = False


def _is_api_request() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def count_request() -> None:
    """Count this request against the API's limit (``API_RATE_LIMIT``): once, keyed by :func:`rate_key`, in the
    limiter's storage (Redis when ``CIVIC_REDIS_URL`` is set: one count for every worker). Over it: 429 with
    ``Retry-After``. Nothing is counted while rate limiting is off."""
    if not limiter.enabled or getattr(g, "api_rate", None) is not None:
        return
    item = parse_limit(current_app.config.get("API_RATE_LIMIT") or "300 per minute")
    keys = (current_app.config.get("RATELIMIT_KEY_PREFIX") or "civic", "api", rate_key())
    global _storage_down_until
    counts = limiter.limiter if time.monotonic() >= _storage_down_until else _memory_counts
    try:
        allowed = counts.hit(item, *keys)
        reset_at, remaining = counts.get_window_stats(item, *keys)
    except Exception:  # the storage does not answer: count in this process rather than refuse or fail
        log.warning("rate limit storage unreachable: counting the API's requests in memory for %d s",
                    STORAGE_RETRY_SECONDS, exc_info=True)
        _storage_down_until = time.monotonic() + STORAGE_RETRY_SECONDS
        allowed = _memory_counts.hit(item, *keys)
        reset_at, remaining = _memory_counts.get_window_stats(item, *keys)
    g.api_rate = RateWindow(item.amount, remaining, reset_at, item.get_expiry(), not allowed)
    if not allowed:
        raise TooManyRequests(f"You have made more than {item.amount} API requests in "
                              f"{item.get_expiry()} seconds. Wait and try again.",
                              retry_after=max(1, math.ceil(reset_at - time.time())))


def _count_unrouted_request() -> None:
    """An address under ``/api/v1`` that matched no route (404, 405) counts too (its blueprint never ran)."""
    if request.url_rule is None and _is_api_request():
        count_request()


def _windows() -> list[RateWindow]:
    """Every limit this request was counted against: the API's and the view's own (e.g. :data:`write_limit`)."""
    windows = [g.api_rate] if getattr(g, "api_rate", None) is not None else []
    try:
        for lim in limiter.current_limits:
            windows.append(RateWindow(lim.limit.amount, lim.remaining, lim.reset_at, lim.limit.get_expiry(),
                                      lim.breached))
    except Exception:  # the storage went away since the request was counted: tell the API's limit alone
        log.warning("rate limit storage unreachable while writing the headers", exc_info=True)
    return windows


def _rate_headers(response: Response) -> Response:
    """Every ``/api/v1`` answer tells the tightest limit the request counted against (a refused one first, else
    the fewest remaining): ``X-RateLimit-Limit``/``-Remaining``/``-Reset`` (the reset as seconds since the
    epoch, as GitHub's) and the IETF draft's ``RateLimit-Limit``/``-Remaining``/``-Reset`` (seconds from now)
    with ``RateLimit-Policy``. Runs last of all, so the limiter's own headers are replaced, never doubled."""
    if not _is_api_request() or not limiter.enabled:
        return response
    if getattr(g, "api_rate", None) is None:
        # Answered before the blueprint could count it (a refused token, malformed input): count it now.
        with contextlib.suppress(TooManyRequests):
            count_request()
    windows = _windows()
    for name in RATE_HEADERS:
        response.headers.remove(name)
    if not windows:
        return response
    tightest = min(windows, key=lambda w: (not w.breached, w.remaining, w.reset_at))
    seconds = max(0, math.ceil(tightest.reset_at - time.time()))
    h = response.headers
    h["X-RateLimit-Limit"] = h["RateLimit-Limit"] = str(tightest.limit)
    h["X-RateLimit-Remaining"] = h["RateLimit-Remaining"] = str(max(0, tightest.remaining))
    h["X-RateLimit-Reset"] = str(math.ceil(tightest.reset_at))
    h["RateLimit-Reset"] = str(seconds)
    h["RateLimit-Policy"] = ", ".join(sorted({f"{w.limit};w={w.window}" for w in windows}))
    if "Access-Control-Allow-Origin" in h:
        h["Access-Control-Expose-Headers"] = ", ".join(
            [p.strip() for p in (h.get("Access-Control-Expose-Headers") or "").split(",") if p.strip()]
            + [name for name in RATE_HEADERS] + (["Retry-After"] if response.status_code == 429 else []))
    return response


def _install_rate_limit(state) -> None:
    state.app.before_request(_count_unrouted_request)
    # Last of the app's after-request functions (they run in reverse): after the limiter's own headers.
    state.app.after_request_funcs.setdefault(None, []).insert(0, _rate_headers)


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
    """The body: a JSON object, or form fields; a body of another type is a 415 (:class:`UnsupportedMediaType`)."""
    if request.mimetype not in FORM_TYPES and not request.is_json and (request.content_length or request.data):
        raise UnsupportedMediaType(_("Send the body as JSON (Content-Type: application/json) or as form fields, "
                                     "not as “%(type)s”.", type=request.mimetype or "no type"))
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


def order_arg(choices: Sequence[str], default: str | None = None) -> str | None:
    """``order`` (or its alias ``sort``), one of ``choices``; anything else, or the two disagreeing, is a 400."""
    order, sort = choice_arg("order", choices), choice_arg("sort", choices)
    if order and sort and order != sort:
        raise BadInput("Send “order” or “sort”, not two different orders.", field="sort")
    return order or sort or default


def datetime_arg(name: str) -> datetime | None:
    """An ISO 8601 time (``2026-11-26``, ``2026-11-26T10:00:00Z``, ``...+01:00``; without a zone: UTC) as
    an aware UTC datetime; anything else is a 400 naming it."""
    return parse_datetime(name, request.args.get(name))


def parse_datetime(name: str, raw: str | None) -> datetime | None:
    """:func:`datetime_arg` for a value already read (an export's query string)."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        if len(raw) > 40 or not raw.isascii() or not raw[:4].isdigit():
            raise ValueError(raw)
        value = datetime.fromisoformat(raw)
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    except (ValueError, OverflowError):
        raise BadInput(f"“{name}” must be a time in ISO 8601, like 2026-11-26T10:00:00Z.", field=name) from None


def slug_arg(name: str, known: Callable[[str], bool], what: str) -> str | None:
    """A slug that must name something (``known(slug)``); an unknown one is a 400 naming the argument, never
    an empty list or the unfiltered one."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    if not known(raw):
        raise BadInput(f"“{raw[:100]}” is not {what}.", field=name)
    return raw


# Cursors (keyset pages) -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """Where a keyset page starts: after an id (the next page) or before one (the previous page); neither:
    the first page."""

    after: int | None = None
    before: int | None = None


def _serializer() -> URLSafeSerializer:
    keys = [*current_app.config.get("SECRET_KEY_FALLBACKS", ()), current_app.secret_key]  # rotation keeps cursors
    return URLSafeSerializer(keys, salt=CURSOR_SALT)


def encode_cursor(cursor: Cursor) -> str:
    """An opaque, signed cursor (a client cannot make one up or edit one)."""
    return _serializer().dumps(["a", cursor.after] if cursor.after is not None else ["b", cursor.before])


def cursor_arg() -> Cursor | None:
    """``cursor`` from the query string: None when absent (offset pages), the first page when empty, else the
    cursor a ``next``/``prev`` link carried; an edited or made-up one is a 400 naming ``cursor``."""
    if "cursor" not in request.args:
        return None
    raw = (request.args.get("cursor") or "").strip()
    if not raw:
        return Cursor()
    try:
        side, ident = _serializer().loads(raw[:200])
    except (BadSignature, ValueError, TypeError):
        side, ident = None, None
    if side not in ("a", "b") or isinstance(ident, bool) or not isinstance(ident, int) or not 0 <= ident <= MAX_ID + 1:
        raise BadInput("“cursor” is not one this API gave: follow a “next” or “prev” link, or send cursor= "
                       "(empty) for the first page.", field="cursor")
    return Cursor(after=ident) if side == "a" else Cursor(before=ident)


@dataclass
class KeysetPage:
    items: list[Any]
    next: Cursor | None
    prev: Cursor | None


def keyset(items_after: Callable[[Cursor, int], list[Any]], cursor: Cursor, per_page: int,
           key: Callable[[Any], int] = lambda item: item.id) -> KeysetPage:
    """One keyset page: ``items_after(cursor, n)`` returns up to ``n`` items in ascending id order after
    ``cursor.after`` (or the last ``n`` before ``cursor.before``); one more than a page is asked for, to know
    whether another page follows."""
    rows = items_after(cursor, per_page + 1)
    if cursor.before is not None:
        more_before = len(rows) > per_page
        rows = rows[-per_page:] if more_before else rows
        prev = Cursor(before=key(rows[0])) if more_before and rows else None
        nxt = Cursor(after=key(rows[-1])) if rows else Cursor(after=cursor.before - 1)
        return KeysetPage(rows, nxt, prev)
    more = len(rows) > per_page
    rows = rows[:per_page]
    nxt = Cursor(after=key(rows[-1])) if more else None
    prev = Cursor(before=key(rows[0])) if cursor.after is not None and rows else (
        Cursor(before=cursor.after + 1) if cursor.after is not None else None)
    return KeysetPage(rows, nxt, prev)


def keyset_query(stmt: Select, id_column: ColumnElement[int]) -> Callable[[Cursor, int], list[Any]]:
    """:func:`keyset`'s reader for a ``select()``: ids ascending, whatever order ``stmt`` had."""
    def read(cursor: Cursor, n: int) -> list[Any]:
        from civic.db import db
        stmt_ = stmt.order_by(None)
        if cursor.before is not None:
            rows = db.session.scalars(stmt_.where(id_column < cursor.before).order_by(id_column.desc())
                                      .limit(n)).unique().all()
            return list(reversed(rows))
        if cursor.after is not None:
            stmt_ = stmt_.where(id_column > cursor.after)
        return list(db.session.scalars(stmt_.order_by(id_column.asc()).limit(n)).unique().all())
    return read


def keyset_list(items: Sequence[Any], key: Callable[[Any], int] = lambda item: item.id
                ) -> Callable[[Cursor, int], list[Any]]:
    """:func:`keyset`'s reader for a list already in memory."""
    ordered = sorted(items, key=key)

    def read(cursor: Cursor, n: int) -> list[Any]:
        if cursor.before is not None:
            return [i for i in ordered if key(i) < cursor.before][-n:]
        return [i for i in ordered if cursor.after is None or key(i) > cursor.after][:n]
    return read


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


def cursor_url(cursor: Cursor) -> str:
    """This request's address with another cursor (``page`` dropped: a cursor wins over a page)."""
    path = url_for(request.endpoint or "", **(request.view_args or {}), _external=True)
    pairs = [(k, v) for k, v in request.args.items(multi=True) if k not in ("cursor", "page")]
    pairs.append(("cursor", encode_cursor(cursor)))
    return f"{path}?{urlencode(pairs)}"


def envelope(items: list[Any], page: int, per_page: int, total: int, *, keep: Sequence[str] = (),
             **extra: Any) -> dict[str, Any]:
    """A page of a list; ``next`` (or None on the last page) and ``prev`` (None on the first) keep the
    request's query string, and the ``extra`` values named in ``keep`` (e.g. a random order's ``seed``)."""
    kept = {k: extra[k] for k in keep if k in extra}
    next_url = page_url(page + 1, **kept) if page * per_page < total else None
    prev_url = page_url(min(page - 1, max(1, -(-total // per_page))), **kept) if page > 1 else None
    return {"items": items, "page": page, "per_page": per_page, "total": total, "next": next_url,
            "prev": prev_url, **extra}


def keyset_envelope(page: KeysetPage, per_page: int, **extra: Any) -> dict[str, Any]:
    """A keyset page: ``next``/``prev`` carry signed cursors (None when there is nothing that way now)."""
    return {"items": page.items, "per_page": per_page, "cursor": True,
            "next": cursor_url(page.next) if page.next else None,
            "prev": cursor_url(page.prev) if page.prev else None, **extra}


def listed(body: dict[str, Any]) -> Response:
    """A list's JSON with its ``next``/``prev`` also in an RFC 8288 ``Link`` header."""
    response = jsonify(body)
    links = [f'<{body[rel]}>; rel="{rel}"' for rel in ("next", "prev") if body.get(rel)]
    if links:
        response.headers["Link"] = ", ".join(links)
    return response


def slice_page(items: Sequence[Any], page: int, per_page: int) -> list[Any]:
    """One page of a list already in memory (empty past the end)."""
    return list(items[(page - 1) * per_page:page * per_page])


# The core's own endpoints -----------------------------------------------------------------------------------


bp = blueprint("api", __name__)
bp.record_once(_install_rate_limit)
idempotency.register()  # the scheduled task that forgets expired Idempotency-Keys


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
