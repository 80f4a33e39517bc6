"""OpenID Connect sign-in (authorisation code with PKCE) for any provider given by its issuer URL.

Configure ``CIVIC_OIDC_ISSUER``, ``CIVIC_OIDC_CLIENT_ID`` and ``CIVIC_OIDC_CLIENT_SECRET``; the
provider's metadata is read from ``<issuer>/.well-known/openid-configuration``, and Authlib checks
the id_token's signature against the provider's published keys, its issuer, audience, expiry
and nonce.
"""

from __future__ import annotations

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app


def init_app(app: Flask) -> None:
    oauth = OAuth(app)
    app.extensions["civic.oauth"] = oauth
    if enabled(app):
        issuer = app.config["OIDC_ISSUER"].rstrip("/")
        oauth.register(
            "council",
            client_id=app.config["OIDC_CLIENT_ID"],
            client_secret=app.config["OIDC_CLIENT_SECRET"],
            server_metadata_url=f"{issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": app.config["OIDC_SCOPE"], "code_challenge_method": "S256"},
        )


def enabled(app: Flask | None = None) -> bool:
    cfg = (app or current_app).config
    return bool(cfg.get("OIDC_ISSUER") and cfg.get("OIDC_CLIENT_ID"))


def client():
    return current_app.extensions["civic.oauth"].create_client("council")
