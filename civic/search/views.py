"""``/search``: the search page (every type at once, counts per type, filters, pages) and ``/api/v1/search``,
the same search as JSON. Both read only; the API accepts a personal access token like the rest of
``/api/v1`` (signed-in people also see what only their audiences may see)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request
from flask_login import current_user

from civic import api as api_kit
from civic import openapi
from civic.accounts.api_tokens import api_user
from civic.extensions import limiter
from civic.search import services
from civic.search.forms import SearchForm
from civic.spaces import services as spaces
from civic.web import json_error, link_args, page_arg

bp = Blueprint("search", __name__)
api = Blueprint("search_api", __name__, url_prefix="/api/v1")
api_kit.setup(api)  # token or session, like the rest of /api/v1; anonymous reads open to any site
api_kit.collection("search", "search_api.search_json",
                   "One search over everything public: proposals, processes, groups, comments and more.")

#: Searching costs more than reading a page: generous for people, a brake for scripts.
LIMIT = "120 per minute"


@bp.before_app_request
def _start_drainer() -> None:
    """A web worker's first request starts its drainer (``thread`` mode), which applies at once what waits in
    the queue; later requests only look at a flag."""
    services.start_drainer(current_app._get_current_object())  # type: ignore[attr-defined]


def _read_form() -> tuple[SearchForm, services.Params, list[tuple[str, str]]]:
    """The form from the query string and what it asks for; a filter with a wrong value is left out and
    named in the problems (field name, message)."""
    form = SearchForm(request.args)
    form.set_choices(spaces.wards(), spaces.programmes())
    form.validate()
    problems = [(f.name, f"{f.label.text}: {' '.join(f.errors)}") for f in form if f.errors]

    def value(f):
        return None if f.errors else f.data

    params = services.Params(
        q=request.args.get("q", ""), type=value(form.type) or "", ward=value(form.ward) or "",
        programme=value(form.programme) or "", state=value(form.state) or "",
        date_from=value(form.date_from), date_to=value(form.date_to), page=page_arg())
    return form, params, problems


@bp.get("/search")
@limiter.limit(LIMIT)
def index():
    form, params, problems = _read_form()
    page = services.search(current_user, params)
    args = {k: v for k, v in link_args().items() if k not in ("page", "type") and v}
    html = render_template("search/index.html", form=form, result=page, problems=problems, args=args)
    if page.unavailable:
        return html, 503, {"Retry-After": "60"}
    return html


@api.get("/search")
@openapi.operation(
    "Search everything public", description="One search over every registered type; the list envelope, with "
    "the counts per type. `results` and `pages` repeat `items` and the number of pages (kept for older clients).",
    parameters=[openapi.query("q", "The words (at most 200 characters are used).", {"type": "string",
                                                                                    "maxLength": 400}),
                openapi.query("type", "One type, e.g. proposal or group."),
                openapi.query("ward", "A ward's slug."), openapi.query("programme", "A programme's slug."),
                openapi.query("state", "A state of the chosen type."),
                openapi.query("date_from", "From this day.", {"type": "string", "format": "date"}),
                openapi.query("date_to", "To this day.", {"type": "string", "format": "date"}),
                *openapi.paging()],
    responses={200: openapi.page_of(openapi.ref("SearchResult"), query={"type": "string"},
                                    filters={"type": "object"}, counts={"type": "object"},
                                    total_is_lower_bound={"type": "boolean"}, pages={"type": "integer"},
                                    results={"type": "array", "items": openapi.ref("SearchResult")},
                                    messages={"type": "array", "items": {"type": "string"}},
                                    suggestion=openapi.nullable({
                                        "type": "string", "description": "When nothing (or nothing with every "
                                        "word) was found and a word is not in the index: the query with the "
                                        "closest words of the index instead (\"Did you mean ...?\"), or null."}))},
    errors=(429, 503), tags=["search"])
@limiter.limit(LIMIT)
def search_json():
    _form, params, problems = _read_form()
    if problems:
        name, message = problems[0]
        return json_error(message, 400, name)
    # The API's paging: 400 naming "page" or "per_page" (1 to 100) for a value it cannot take, and an empty
    # page past the last one (the search page shows the last page instead, with a note).
    params.page, params.per_page = api_kit.paging()
    params.past_the_end = "empty"
    page = services.search(api_user(), params)
    if page.unavailable:
        response, status = json_error(services.UNAVAILABLE, 503)
        response.headers["Retry-After"] = "60"
        return response, status
    body = page.as_dict()
    asked = params.page
    body.update({"items": body["results"], "page": asked, "next": api_kit.page_url(asked + 1)
                 if asked < page.pages else None})
    return jsonify(body)
