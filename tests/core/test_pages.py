"""The shell every page shares: home, headers, error pages."""

import pytest

from civic.db import db


def test_home_presents_the_four_areas_and_programmes(client):
    page = client.get("/").get_data(as_text=True)
    for text_ in ("Proposals", "Consultations", "Citizen sensing", "Urban Data School",
                  "Extraordinary Experiences", "Innovative Economy", "Empowering People", "CleanTech City"):
        assert text_ in page
    assert 'href="#main"' in page and '<main id="main"' in page


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_no_asset_comes_from_another_site(client):
    page = client.get("/").get_data(as_text=True)
    assert "//cdn" not in page and 'src="http' not in page and 'href="https://' not in page


def test_unknown_route_gets_a_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "We could not find that page" in response.get_data(as_text=True)


def test_api_errors_are_json(client):
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.get_json()["status"] == 404


def test_oversize_body_gets_413(client, app):
    response = client.post("/sign-in", data={"email": "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_unexpected_error_is_logged_and_leaks_nothing(client, caplog):
    response = client.get("/__test__/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Something went wrong" in body and "secret internal detail" not in body
    assert any("secret internal detail" in (r.exc_text or "") or "boom" in r.getMessage() for r in caplog.records)


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert db.engine is not None


def test_a_configured_tile_server_is_the_only_outside_image_origin(app):
    from civic.request_cycle import CSP, content_security_policy

    assert content_security_policy(app) == CSP
    app.config["MAP_TILE_URL"] = "https://tiles.example.org/{z}/{x}/{y}.png"
    try:
        csp = content_security_policy(app)
    finally:
        app.config["MAP_TILE_URL"] = ""
    assert "img-src 'self' data: https://tiles.example.org;" in csp
    assert "script-src 'self';" in csp


@pytest.mark.parametrize("path", ["/search?q=street", "/groups/", "/notifications/", "/admin/audit"])
def test_url_for_options_in_the_query_string_do_not_break_or_bend_links(client_as, path):
    client, _ = client_as("admin")
    sep = "&" if "?" in path else "?"
    r = client.get(f"{path}{sep}_method=POST&_external=1&_scheme=https&_anchor=x&page=1")
    assert r.status_code == 200
    assert "https://civic.test" not in r.get_data(as_text=True)
