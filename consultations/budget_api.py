"""JSON API (``/api/v1``) of participatory budgets: the list, one budget with its headings and rule, its projects
(filtered by ward and programme, paginated), and casting a budget ballot with a personal access token (the same
rule as the page: :func:`consultations.budgets.cast`; a refusal of the choice is 422 naming ``projects``)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from flask_login import current_user

from civic import api, openapi
from civic.accounts.api_tokens import api_user
from civic.api import envelope, iso, paging, payload, require_user, write_limit
from civic.openapi import json_body
from consultations import ballots, budget_pages, budgets
from consultations.models import Budget

bp = api.blueprint("consultations_budgets_api", __name__)
COLLECTIONS = (api.Collection("budgets", "consultations_budgets_api.index",
                              "Participatory budgets: their money, rule and projects; casting a budget ballot with "
                              "a token."),)

_MONEY = {"type": "string", "description": "Pounds, exact: \"15000\" or \"15000.50\"."}
_HEADING = openapi.obj(("id", "amount"), id=openapi.INTEGER, ward=openapi.nullable(openapi.STRING),
                       amount=_MONEY)
_PROJECT = openapi.obj(("id", "title", "cost"), id=openapi.INTEGER, title=openapi.STRING, cost=_MONEY,
                       ward=openapi.nullable(openapi.STRING), programme=openapi.nullable(openapi.STRING),
                       heading=openapi.INTEGER, location={"type": ["object", "null"]},
                       source={"type": ["object", "null"]}, funded={"type": "boolean"},
                       hidden={"type": "boolean", "description": "Hidden by moderation: its title and description "
                               "are withheld, its cost stays."},
                       description=openapi.STRING)
_BUDGET = openapi.obj(("id", "title", "status", "total", "url"), id=openapi.INTEGER, consultation=openapi.INTEGER,
                      title=openapi.STRING, status={"enum": ["upcoming", "open", "closed", "draft"]},
                      opens_at=openapi.TIME, closes_at=openapi.TIME, total=_MONEY, by_ward={"type": "boolean"},
                      rule={"enum": list(budgets.RULES)}, min_projects=openapi.INTEGER,
                      max_projects=openapi.nullable(openapi.INTEGER),
                      min_share_percent=openapi.nullable(openapi.INTEGER), turnout=openapi.INTEGER,
                      url=openapi.URL, headings={"type": "array", "items": _HEADING})
_BALLOT_BODY = openapi.obj(("projects",), projects={
    "type": "array", "items": {"type": "integer"},
    "description": "The ids of the chosen projects, of the headings you vote in (the city's and your ward's)."})
_RECEIPT = openapi.obj(("receipt",), receipt={"type": "string", "description": "Shown once."})
_FILTERS = [{"name": "ward", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 60},
             "description": "A ward's slug."},
            {"name": "programme", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 60},
             "description": "A programme's slug."}]


def _visible(budget_id: int) -> Budget:
    return budgets.get_visible(api_user() or current_user, budget_id)


def budget_json(budget: Budget, *, detail: bool = False) -> dict[str, Any]:
    c = budget.consultation
    data = {"id": budget.id, "consultation": c.id, "title": c.title, "status": budgets.status(budget),
            "opens_at": iso(c.opens_at), "closes_at": iso(c.closes_at), "total": budgets.plain(budget.total),
            "by_ward": budget.by_ward, "rule": budget.rule, "min_projects": budget.min_projects,
            "max_projects": budget.max_projects, "min_share_percent": budget.min_share_percent,
            "turnout": c.turnout, "url": url_for("consultations_budgets.show", budget_id=budget.id, _external=True)}
    if detail:
        data["introduction"] = c.introduction
        data["headings"] = [{"id": h.id, "ward": h.ward.slug if h.ward is not None else None,
                             "amount": budgets.plain(h.amount)} for h in budget.headings]
    return data


@bp.get("/budgets")
@openapi.operation("Participatory budgets", description="Published budgets, newest opening first.",
                   parameters=openapi.paging(), responses={200: openapi.page_of(_BUDGET)}, tags=["budgets"])
def index():
    page, per_page = paging()
    listing = budget_pages.listing(api_user(), page, per_page=per_page)
    return api.listed(envelope([budget_json(b) for b in listing.items], page, per_page, listing.total))


@bp.get("/budgets/<int:budget_id>")
@openapi.operation("A budget with its headings (the city's money, or each ward's)", responses={200: _BUDGET},
                   errors=(404,), tags=["budgets"])
def budget(budget_id: int):
    return jsonify(budget_json(_visible(budget_id), detail=True))


def _slug(name: str) -> str:
    raw = (request.args.get(name) or "").strip()
    return raw if len(raw) <= 60 and raw.isascii() and raw.replace("-", "").isalnum() else ""


@bp.get("/budgets/<int:budget_id>/projects")
@openapi.operation("A budget's projects", description="Filtered by ward and programme (slugs), in the budget's "
                   "order.", parameters=[*openapi.paging(), *_FILTERS], responses={200: openapi.page_of(_PROJECT)},
                   errors=(404,), tags=["budgets"])
def projects(budget_id: int):
    item = _visible(budget_id)
    page, per_page = paging()
    filters = budget_pages.Filters(ward_slug=_slug("ward"), programme_slug=_slug("programme"))
    shown = [p for p in budgets.projects(item) if filters.keep(p)]
    start = (page - 1) * per_page
    items = [budget_pages.project_json(p, detail=True) for p in shown[start:start + per_page]]
    return api.listed(envelope(items, page, per_page, len(shown)))


@bp.post("/budgets/<int:budget_id>/ballot")
@openapi.operation("Cast your budget ballot", description="Refusals of the choice (over the budget, too few or "
                   "too many projects, below the minimum share, a project of another ward) are 422 naming "
                   "`projects`; a closed budget or a second ballot is 409.",
                   request_body=json_body(_BALLOT_BODY, "A JSON object."), responses={201: _RECEIPT},
                   errors=(403, 409, 422, 429), sign_in=True, tags=["budgets"])
@write_limit
def cast(budget_id: int):
    user = require_user()
    item = budgets.get_visible(user, budget_id)
    data = payload()
    code = budgets.cast(user, item, data.get("projects") if isinstance(data, dict) else None)
    return jsonify({"receipt": ballots.shown(code)}), 201
