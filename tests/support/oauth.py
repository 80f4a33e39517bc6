"""The OAuth 2 dance through the test client, as an app and its user do it (for any package's tests).

    app, secret = register(admin, confidential=True)
    verifier, challenge = pkce()
    code = consent(client, app, challenge, scope="read write")        # the resident allows
    tokens = exchange(client, app, secret, code, verifier).json       # the app swaps the code
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

from civic.accounts import oauth

REDIRECT = "https://app.example.org/callback"


def register(admin, *, confidential: bool = True, name: str = "Ward newsletter", redirect: str = REDIRECT):
    return oauth.register_app(admin, name, redirect, confidential)


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(app, challenge: str, *, scope: str = "read write", state: str = "xyz", **extra) -> str:
    query = {"response_type": "code", "client_id": app.client_id, "redirect_uri": REDIRECT, "scope": scope,
             "state": state, "code_challenge": challenge, "code_challenge_method": "S256", **extra}
    return "/oauth/authorize?" + urlencode({k: v for k, v in query.items() if v is not None})


def redirected_to(response) -> dict[str, str]:
    location = response.headers["Location"]
    assert location.startswith(REDIRECT + "?"), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def consent(client, app, challenge: str, *, scope: str = "read write", decision: str = "allow") -> str:
    """The signed-in resident sees the consent page and answers; the code the app receives."""
    url = authorize_url(app, challenge, scope=scope)
    assert client.get(url).status_code == 200
    answer = client.post(url, data={"decision": decision})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return redirected_to(answer).get("code", "")


def app_auth(app, secret: str | None) -> tuple[dict, dict]:
    """(headers, form fields) by which the app proves itself: HTTP Basic with its secret, or its id alone."""
    if secret is None:
        return {}, {"client_id": app.client_id}
    basic = base64.b64encode(f"{app.client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {basic}"}, {}


def exchange(client, app, secret, code: str, verifier: str | None):
    headers, fields = app_auth(app, secret)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **fields}
    if verifier is not None:
        data["code_verifier"] = verifier
    return client.post("/oauth/token", data=data, headers=headers)


def refresh(client, app, secret, refresh_token: str):
    headers, fields = app_auth(app, secret)
    return client.post("/oauth/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token,
                                             **fields}, headers=headers)


def revoke(client, app, secret, token: str):
    headers, fields = app_auth(app, secret)
    return client.post("/oauth/revoke", data={"token": token, **fields}, headers=headers)


def access_token(client, app, secret, *, scope: str = "read write") -> dict:
    """The whole dance: the tokens an app holds after the signed-in ``client`` allowed it."""
    verifier, challenge = pkce()
    answer = exchange(client, app, secret, consent(client, app, challenge, scope=scope), verifier)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.json
