"""The OpenAPI 3.1 description of ``/api/v1``, generated from the code with apispec (docs/api.md).

The paths, their methods and their path parameters come from the app's URL map (every rule under ``/api/v1``,
whatever package added it); what each operation takes and answers comes from :func:`operation`, a decorator the
view carries beside its route. The shapes the API answers with (the error, the list envelope, a proposal...)
are named once in :data:`SCHEMAS`. A route without :func:`operation` is still listed, and
``tests/core/test_openapi.py`` fails until it is described.

This module imports nothing of the core: ``civic.api`` serves the description at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from apispec import APISpec
from flask import Flask

PREFIX = "/api/v1"
ATTRIBUTE = "_civic_openapi"
MAX_ID = 2**31 - 1
_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or null (OpenAPI 3.1 is JSON Schema: a list of types, or ``anyOf`` for a reference)."""
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    kind = schema.get("type")
    return {**schema, "type": [kind, "null"]} if isinstance(kind, str) else {"anyOf": [schema, {"type": "null"}]}


def obj(required: Iterable[str] = (), **properties: Any) -> dict[str, Any]:
    """An object with these properties (more may come: clients ignore keys they do not know)."""
    return {"type": "object", "required": list(required), "properties": properties}


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
URL = {"type": "string", "format": "uri"}
TIME = {"type": "string", "format": "date-time", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$",
        "description": "UTC, to the second: 2026-11-26T10:00:00Z"}
SLUG_NAME = obj(("slug", "name"), slug=STRING, name=STRING)

SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": obj(("error", "status"), error={**STRING, "description": "A message for the person."},
                 status={**INTEGER, "description": "The HTTP status, again."},
                 field={**STRING, "description": "The input at fault, when there is one."}),
    "Page": obj(("items", "page", "per_page", "total", "next"),
                items={"type": "array"}, page={**INTEGER, "minimum": 1},
                per_page={**INTEGER, "minimum": 1, "maximum": 100}, total={**INTEGER, "minimum": 0},
                next=nullable({**URL, "description": "The next page's full address, or null on the last page."})),
    "Index": obj(("name", "version", "signed_in_as", "collections", "me", "documentation", "openapi",
                  "open_data_licence"),
                 name=STRING, version=INTEGER, signed_in_as=nullable(STRING),
                 collections={"type": "array", "items": obj(("name", "url", "description"),
                                                            name=STRING, url=URL, description=STRING)},
                 me=URL, search=URL, documentation=URL, openapi=URL,
                 open_data_licence=obj(("name", "url"), name=STRING, url=URL)),
    "Me": obj(("nickname", "name", "verified", "ward", "profile_url"), nickname=STRING, name=STRING,
              verified=BOOLEAN, ward=nullable(STRING), profile_url=URL),
    "Phase": obj(("title", "starts_at", "ends_at", "actions"), title=STRING, description=nullable(STRING),
                 starts_at=TIME, ends_at=TIME, actions={"type": "array", "items": STRING}),
    "Process": obj(("slug", "title", "programme", "whole_city", "wards", "status", "active_phase",
                    "open_actions", "published_at", "url", "api_url", "proposals_api_url"),
                   slug=STRING, title=STRING, subtitle=nullable(STRING), programme=SLUG_NAME,
                   whole_city=BOOLEAN, wards={"type": "array", "items": SLUG_NAME},
                   status={"enum": ["active", "upcoming", "past"]}, active_phase=nullable(ref("Phase")),
                   open_actions={"type": "array", "items": STRING}, published_at=nullable(TIME),
                   url=URL, api_url=URL, proposals_api_url=URL),
    "ProcessDetail": {"allOf": [ref("Process"), obj(
        ("description", "description_html", "phases", "categories", "proposal_rules", "exports"),
        description=STRING, description_html=STRING,
        banner=nullable(obj(("url",), url=URL, alt=nullable(STRING))),
        phases={"type": "array", "items": ref("Phase")}, categories={"type": "array", "items": SLUG_NAME},
        proposal_rules={"type": "object", "additionalProperties": {"type": ["integer", "boolean"]}},
        exports=obj(("csv", "json", "licence", "licence_url"), csv=URL, json=URL, licence=STRING,
                    licence_url=URL))]},
    "Author": obj(("nickname", "name"), nickname=nullable(STRING), name=STRING),
    "Proposal": obj(("id", "title", "body", "process", "author", "ward", "categories", "state", "answer",
                     "supports_count", "comments_count", "endorsements_count", "published_at", "url",
                     "api_url"),
                    id=INTEGER, title=STRING, body=STRING, process=STRING, author=ref("Author"), ward=SLUG_NAME,
                    categories={"type": "array", "items": SLUG_NAME}, state=STRING,
                    answer=obj(("state",), state=STRING, text=nullable(STRING),
                               cost=nullable({**STRING, "description": "Pounds, as a decimal string."}),
                               delivery=nullable(STRING), answered_at=nullable(TIME)),
                    supports_count=INTEGER, comments_count=INTEGER, endorsements_count=INTEGER,
                    threshold_reached_at=nullable(TIME),
                    location=nullable(obj(("latitude", "longitude"), latitude={"type": "number"},
                                          longitude={"type": "number"}, address=nullable(STRING))),
                    photo=nullable(obj(("url",), url=URL, alt=nullable(STRING))),
                    published_at=nullable(TIME), updated_at=nullable(TIME), withdrawn_at=nullable(TIME),
                    url=URL, api_url=URL),
    "ProposalDetail": {"allOf": [ref("Proposal"), obj(
        ("body_html", "support"), body_html=STRING,
        support=obj(("threshold", "threshold_reached", "closed", "may_support", "refusal"),
                    threshold=INTEGER, threshold_reached=BOOLEAN, closed=BOOLEAN, may_support=BOOLEAN,
                    refusal=nullable(STRING), supported=BOOLEAN, counted=BOOLEAN, used=INTEGER, limit=INTEGER,
                    minimum=INTEGER))]},
    "Comment": obj(("id", "parent_id", "depth", "state", "author", "alignment", "body", "created_at",
                    "edited_at", "up_votes", "down_votes", "replies"),
                   id=INTEGER, parent_id=nullable(INTEGER), depth=INTEGER,
                   state={"enum": ["visible", "deleted", "hidden"]}, author=nullable(ref("Author")),
                   alignment=nullable({"enum": ["in_favour", "neutral", "against"]}), body=nullable(STRING),
                   created_at=TIME, edited_at=nullable(TIME), up_votes=INTEGER, down_votes=INTEGER,
                   replies={"type": "array", "items": ref("Comment")}),
    "SearchResult": obj(("type", "type_label", "id", "title", "snippet", "url", "date", "places"),
                        type=STRING, type_label=STRING, id=INTEGER, title=STRING, title_html=STRING,
                        snippet=STRING, snippet_html=STRING, url=URL, date=nullable(TIME),
                        places={"type": "array", "items": STRING}, state=nullable(STRING),
                        context=nullable(STRING)),
}


def page_of(item: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The list envelope holding ``item``s, with ``extra`` keys."""
    return {"allOf": [ref("Page"), obj((), items={"type": "array", "items": item}, **extra)]}


def query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string", "maxLength": 100}}


def paging(default: int = 20) -> list[dict[str, Any]]:
    return [query("page", "The page, from 1 (past the last page: an empty page).",
                  {"type": "integer", "minimum": 1, "maximum": 100_000, "default": 1}),
            query("per_page", "Items a page, 1 to 100; more is a 400 naming the field.",
                  {"type": "integer", "minimum": 1, "maximum": 100, "default": default})]


def json_body(schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {"required": True, "description": description, "content": {
        "application/json": {"schema": schema}, "application/x-www-form-urlencoded": {"schema": schema}}}


def operation(summary: str, *, description: str = "", parameters: Iterable[dict[str, Any]] = (),
              request_body: dict[str, Any] | None = None, responses: dict[int, Any] | None = None,
              errors: Iterable[int] = (), sign_in: bool = False, tags: Iterable[str] = (),
              content_type: str = "application/json") -> Callable[[Callable], Callable]:
    """Describe the view's operation: ``responses`` maps a success status to a schema (or a description),
    ``errors`` lists the error statuses it may answer (each with the error shape), ``sign_in`` that it needs
    a token or a session (401 otherwise)."""
    described = {"summary": summary, "description": description, "parameters": list(parameters),
                 "request_body": request_body, "responses": responses or {200: None}, "errors": set(errors),
                 "sign_in": sign_in, "tags": list(tags), "content_type": content_type}

    def mark(view: Callable) -> Callable:
        setattr(view, ATTRIBUTE, described)
        return view

    return mark


def described(view: Callable) -> dict[str, Any] | None:
    return getattr(view, ATTRIBUTE, None)


def _path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    """``/api/v1/proposals/<int:proposal_id>`` -> ``/api/v1/proposals/{proposal_id}`` and its parameter."""
    parameters = []
    for m in _ARGUMENT.finditer(rule):
        if m["converter"] == "int":
            schema: dict[str, Any] = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
        else:
            schema = {"type": "string", "pattern": "^[a-z0-9-]+$", "minLength": 1, "maxLength": 200}
        parameters.append({"name": m["name"], "in": "path", "required": True, "schema": schema})
    return _ARGUMENT.sub(lambda m: "{" + m["name"] + "}", rule), parameters


_REASONS = {400: "Input the API cannot read; `field` names it.", 401: "Sign in first, or the token is not valid.",
            403: "You may not (`forbidden`), or the token lacks the scope this needs (`insufficient_scope`).",
            404: "No such thing, or not for you.", 409: "A rule said no, with its reason.",
            415: "A body of a type the API does not read.",
            429: "Too many requests: wait and try again.", 503: "Not working just now: try again later."}


def _operation(described_: dict[str, Any] | None, endpoint: str, parameters: list[dict[str, Any]]) -> dict:
    d = described_ or {"summary": endpoint, "description": "Not described yet.", "parameters": [],
                       "request_body": None, "responses": {200: None}, "errors": set(), "sign_in": False,
                       "tags": [], "content_type": "application/json"}
    op: dict[str, Any] = {"operationId": endpoint, "summary": d["summary"], "responses": {}}
    if d["description"]:
        op["description"] = d["description"]
    if d["tags"]:
        op["tags"] = d["tags"]
    if parameters or d["parameters"]:
        op["parameters"] = parameters + d["parameters"]
    if d["request_body"]:
        op["requestBody"] = d["request_body"]
    for status, answer in d["responses"].items():
        if isinstance(answer, str) or answer is None:
            op["responses"][str(status)] = {"description": answer or "OK"}
        else:
            op["responses"][str(status)] = {"description": "OK", "content": {d["content_type"]: {"schema": answer}}}
    errors = set(d["errors"]) | {401}  # a wrong or revoked token is a 401 anywhere under /api/v1
    if parameters:
        errors.add(404)
    if d["parameters"] or d["request_body"]:
        errors.add(400)
    if d["request_body"]:
        errors.add(415)
    if d["sign_in"]:
        op["security"] = [{"bearer": []}]
        errors.add(403)  # a token without the scope the operation needs: insufficient_scope
    for status in sorted(errors):
        op["responses"][str(status)] = {"description": _REASONS.get(status, "An error."),
                                        "content": {"application/json": {"schema": ref("Error")}}}
    return op


def build(app: Flask, *, server: str = "") -> dict[str, Any]:
    """The description of every route under ``/api/v1`` of this app."""
    spec = APISpec(
        title="Civic Westminster API", version="1", openapi_version="3.1.0",
        info={"description": "Read processes, proposals, comments and search; support and comment as yourself. "
                             "Errors are JSON (the Error schema); lists are pages (the Page schema); times are "
                             "UTC to the second with a Z. The guide with examples is docs/api.md.",
              "license": {"name": "Open Government Licence v3.0 (the data)",
                          "url": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"}},
        servers=[{"url": server or "/"}],
    )
    spec.components.security_scheme("bearer", {
        "type": "http", "scheme": "bearer",
        "description": "A personal access token (civic_ and 43 characters), from My account → API tokens, or an "
                       "app's OAuth 2 access token (civicoa_...; /.well-known/oauth-authorization-server). Scopes: "
                       "read (GET as you), write (POST, DELETE); a token without the one needed is 403 "
                       "insufficient_scope."})
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, schema)
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not (rule.rule == PREFIX or rule.rule.startswith(PREFIX + "/")):
            continue
        path, parameters = _path(rule.rule)
        view = app.view_functions[rule.endpoint]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(described(view), rule.endpoint, parameters)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def undescribed(app: Flask) -> list[str]:
    """The endpoints under ``/api/v1`` without :func:`operation` (a test keeps this empty)."""
    return sorted({r.endpoint for r in app.url_map.iter_rules()
                   if r.rule.startswith(PREFIX) and described(app.view_functions[r.endpoint]) is None})
