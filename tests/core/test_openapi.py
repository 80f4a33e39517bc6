"""The OpenAPI 3.1 description of /api/v1 (civic/openapi.py), its reference page, the index's links, and
schemathesis checking the API against its own description (docs/api.md, "The reference")."""

from __future__ import annotations

import re
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from civic import openapi
from tests import factories
from tests.proposals import factories as proposal_factories

ROOT = Path(__file__).resolve().parents[2]
HOST = {"Host": "civic.test"}
#: Examples schemathesis generates for each operation (the whole walk stays well under two minutes).
EXAMPLES = 40
#: No 5xx, and the answer as described. Not "schema-valid request rejected": a filter's valid values are rows
#: (a ward's or a category's slug), which a schema describes as a pattern, so a made-up slug is rightly a 400.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


def test_every_api_route_is_described(app):
    assert openapi.undescribed(app) == []
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    api_rules = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", r.rule) for r in app.url_map.iter_rules()
                 if r.rule.startswith("/api/v1")}
    assert api_rules <= set(spec["paths"])
    for path in ("/api/v1/", "/api/v1/me", "/api/v1/search", "/api/v1/processes", "/api/v1/processes/{slug}",
                 "/api/v1/processes/{slug}/proposals", "/api/v1/proposals/{proposal_id}",
                 "/api/v1/proposals/{proposal_id}/support", "/api/v1/proposals/{proposal_id}/comments",
                 "/api/v1/openapi.json", "/api/v1/docs"):
        assert path in spec["paths"], path
    comments = spec["paths"]["/api/v1/proposals/{proposal_id}/comments"]
    assert comments["post"]["requestBody"]["content"]["application/json"]["schema"]["required"] == ["body"]
    assert comments["post"]["security"] == [{"bearer": []}]
    assert {"400", "401", "404", "409", "415", "429"} <= set(comments["post"]["responses"])
    assert comments["post"]["responses"]["409"]["content"]["application/json"]["schema"] == \
        {"$ref": "#/components/schemas/Error"}
    names = {p["name"] for p in spec["paths"]["/api/v1/processes/{slug}/proposals"]["get"]["parameters"]}
    assert names == {"slug", "q", "ward", "state", "category", "order", "seed", "page", "per_page"}
    assert spec["components"]["schemas"]["Error"]["required"] == ["error", "status"]
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_an_undescribed_route_is_named(app):
    def view():
        return {}

    assert openapi.described(view) is None
    assert openapi.described(openapi.operation("A view")(view))["summary"] == "A view"


def test_the_reference_page_uses_vendored_scripts_only(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all(body.strip() == "" for _attrs, body in scripts)  # no inline script
    sources = [re.search(r'src="([^"]+)"', attrs)[1] for attrs, _body in scripts]
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in sources and "/static/js/api-docs.js" in sources
    assert all(s.startswith("/static/") for s in sources)  # no CDN
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert 'data-spec="/api/v1/openapi.json"' in html
    assert "/static/vendor/swagger-ui/swagger-ui.css" in html
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE"):
        assert (ROOT / "static/vendor/swagger-ui" / name).is_file()  # scripts/vendor-assets.sh put it there


def test_the_index_links_every_collection_and_the_reference(client):
    body = client.get("/api/v1/").get_json()
    assert body["documentation"] == "http://civic.test/api/v1/docs"
    assert body["openapi"] == "http://civic.test/api/v1/openapi.json"
    assert body["me"] == "http://civic.test/api/v1/me"
    listed = {c["name"]: c["url"] for c in body["collections"]}
    assert listed["search"] == "http://civic.test/api/v1/search"
    assert listed["processes"] == "http://civic.test/api/v1/processes"
    for name, url in listed.items():
        assert body[name] == url
        assert client.get(url).status_code == 200, name
    assert client.get(body["documentation"]).status_code == 200


def test_docs_api_md_lists_every_endpoint(app):
    text = (ROOT / "docs/api.md").read_text()
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    for path, operations in spec["paths"].items():
        written = re.sub(r"\{(\w+)\}", lambda m: "<id>" if m[1].endswith("_id") else f"<{m[1]}>", path)
        for method in operations:
            assert f"`{method.upper()} {written}`" in text, f"{method.upper()} {written}"


# schemathesis: the API against its own description ---------------------------------------------------------


def test_the_api_keeps_to_its_description(app):
    """schemathesis generates requests from the description for every operation (a bounded number each): no
    5xx, and every answer as described: its status, its content type, its body's schema. Run in-process on the
    test app, with a process, proposals and a comment to find."""
    author = factories.user(nickname="schema_author")
    process = proposal_factories.process(slug="schema-walk")
    proposals = [proposal_factories.proposal(process, author, title=f"Schema walk proposal {n}") for n in range(3)]
    first = factories.comment("proposal", proposals[0].id, author, body="A first comment.")
    factories.comment("proposal", proposals[0].id, author, body="A reply.", parent_id=first.id, depth=1)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, headers=HOST)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    real = {"slug": process.slug, "proposal_id": proposals[0].id}
    for operation in operations:
        # Rows that exist, so the answers with a body are checked too, not only the 404s of made-up ids.
        names = {p.name for p in operation.path_parameters}
        case = operation.Case(path_parameters={n: real[n] for n in names})
        case.validate_response(case.call(headers=HOST), checks=CHECKS)

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        def walk(case):
            response = case.call(headers=HOST)
            assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
            case.validate_response(response, checks=CHECKS)

        walk()
