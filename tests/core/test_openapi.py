"""The OpenAPI 3.1 description of /api/v1 (civic/openapi.py), its reference page and the index's links
(docs/api.md, "The reference"); schemathesis walks the API against it in tests/proposals/test_api_schemathesis.py."""

from __future__ import annotations

import re
from pathlib import Path

from civic import openapi

ROOT = Path(__file__).resolve().parents[2]


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
    for name in ("processes", "search"):  # (other tests register collections of their own)
        assert client.get(listed[name]).status_code == 200, name
    assert client.get(body["documentation"]).status_code == 200


def test_docs_api_md_lists_every_endpoint(app):
    text = (ROOT / "docs/api.md").read_text()
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    for path, operations in spec["paths"].items():
        written = re.sub(r"\{(\w+)\}", lambda m: "<id>" if m[1].endswith("_id") else f"<{m[1]}>", path)
        for method in operations:
            assert f"`{method.upper()} {written}`" in text, f"{method.upper()} {written}"


# The schemathesis walk of the whole API against this description, with proposals to find, is
# tests/proposals/test_api_schemathesis.py (a core test builds no domain's rows).
