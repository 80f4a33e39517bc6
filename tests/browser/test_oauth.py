"""Issue #13, item 9, in a real browser: an admin registers an app, a resident allows it on the consent page and
later takes the access back; every page passes axe and the secret is shown once."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from tests.browser.conftest import sign_in
from tests.browser.test_crawl import axe_violations
from tests.support.oauth import pkce

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]


def test_register_allow_and_revoke_an_app(new_context, live_server):
    callback = f"{live_server.origin}/app-callback"  # on loopback: the browser never leaves 127.0.0.1
    _context, admin, _watch = new_context()
    sign_in(admin, "admin")
    admin.goto("/admin/")
    admin.get_by_role("link", name="Apps").click()
    admin.wait_for_load_state()
    admin.get_by_label("App name").fill("Ward newsletter (browser)")
    admin.get_by_label("Redirect addresses").fill(callback)
    admin.get_by_label("Public", exact=False).check()
    admin.get_by_role("button", name="Register the app").click()
    admin.wait_for_load_state()
    client_id = admin.get_by_label("Client ID").input_value()
    assert client_id.startswith("civicapp_")
    assert axe_violations(admin) == []

    _context, resident, watch = new_context()
    sign_in(resident, "verified")
    verifier, challenge = pkce()
    resident.goto("/oauth/authorize?" + urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": callback, "scope": "read write",
        "state": "browser", "code_challenge": challenge, "code_challenge_method": "S256"}))
    assert resident.get_by_role("heading", level=1).inner_text() == \
        "Allow “Ward newsletter (browser)” to use Civic as you?"
    assert axe_violations(resident) == []
    resident.get_by_role("button", name="Allow").click()
    resident.wait_for_load_state()
    sent = parse_qs(urlsplit(resident.url).query)
    assert resident.url.startswith(callback) and sent["state"] == ["browser"] and sent["code"]
    assert all(url.startswith(live_server.origin) for url in watch.requests)

    # The app exchanges the code (a public app: its id and the PKCE verifier), and is then listed.
    tokens = requests.post(f"{live_server.origin}/oauth/token", timeout=30, data={
        "grant_type": "authorization_code", "code": sent["code"][0], "redirect_uri": callback,
        "client_id": client_id, "code_verifier": verifier}).json()
    me = requests.get(f"{live_server.origin}/api/v1/me", timeout=30,
                      headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.json()["nickname"]
    resident.goto("/account/api-tokens/")
    assert resident.get_by_role("radio", name="Read only: see the API as you, never act").is_checked()
    assert resident.get_by_role("cell", name="Ward newsletter (browser)", exact=True).is_visible()
    assert axe_violations(resident) == []
    resident.get_by_role("button", name="Revoke the access of Ward newsletter (browser)").click()
    resident.wait_for_load_state()
    assert resident.get_by_text("can no longer use Civic as you").is_visible()
    assert requests.get(f"{live_server.origin}/api/v1/me", timeout=30,
                        headers={"Authorization": f"Bearer {tokens['access_token']}"}).status_code == 401
