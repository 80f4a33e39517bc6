"""A small but real OpenID Connect provider for end-to-end sign-in tests.

It serves the authorization-code flow (PKCE S256 required) on loopback so the app's Authlib
client can be exercised over real HTTP, with no mocks::

    provider = OIDCProvider().start()
    provider.set_user("sub-1", "ada@example.org")
    ...  # point the app at provider.issuer / client_id / client_secret
    provider.stop()

There is no login page: /authorize signs in as whoever ``set_user`` named (auto-consent).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

CODE_LIFETIME = 60  # seconds an authorization code stays redeemable


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _pkce_s256(verifier: str) -> str:
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def _json(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    resp = Response(json.dumps(body), status=status, mimetype="application/json", headers=headers)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@dataclass
class _User:
    sub: str
    email: str
    email_verified: bool
    name: str
    preferred_username: str | None

    def claims(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "sub": self.sub,
            "email": self.email,
            "email_verified": self.email_verified,
            "name": self.name,
        }
        if self.preferred_username is not None:
            out["preferred_username"] = self.preferred_username
        return out


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str
    user: _User
    expires_at: float = field(default_factory=lambda: time.time() + CODE_LIFETIME)


class _QuietHandler(WSGIRequestHandler):
    """Keep test output clean: no per-request access log lines."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class OIDCProvider:
    client_id: str = "civic-test"
    client_secret: str = "civic-test-secret"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.issuer: str = ""
        # When True, id_tokens are signed by a key that is NOT in /jwks (same kid), so
        # signature verification on the relying party must fail.
        self.sign_with_wrong_key: bool = False
        self.access_token_lifetime: int = 3600
        self.id_token_lifetime: int = 300
        # One dict per request that reached /token (and /authorize), for test assertions.
        self.requests: list[dict[str, Any]] = []
        self.authorize_requests: list[dict[str, Any]] = []

        self._user = _User("test-user", "test@example.org", True, "Test Person", None)
        self._codes: dict[str, _Grant] = {}
        self._access_tokens: dict[str, tuple[_User, float]] = {}
        self._lock = threading.Lock()
        self._key: RSAKey | None = None
        self._wrong_key: RSAKey | None = None
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> OIDCProvider:
        kid = secrets.token_hex(8)
        params = {"kid": kid, "use": "sig", "alg": "RS256"}
        self._key = RSAKey.generate_key(2048, parameters=params)
        self._wrong_key = RSAKey.generate_key(2048, parameters=params)
        self._server = make_server(
            self.host, self.port, self._wsgi, threaded=True, request_handler=_QuietHandler
        )
        self.port = self._server.server_port
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.issuer = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="oidc-provider", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> OIDCProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- test controls ---------------------------------------------------------------------------

    def set_user(
        self,
        sub: str,
        email: str,
        email_verified: bool = True,
        name: str = "Test Person",
        preferred_username: str | None = None,
    ) -> None:
        """Choose who the next /authorize signs in as (preferred_username omitted when None)."""
        with self._lock:
            self._user = _User(sub, email, email_verified, name, preferred_username)

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    # -- WSGI ------------------------------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        routes = {
            ("GET", "/.well-known/openid-configuration"): self._discovery,
            ("GET", "/authorize"): self._authorize,
            ("POST", "/token"): self._token,
            ("GET", "/jwks"): self._jwks,
            ("GET", "/userinfo"): self._userinfo,
            ("POST", "/userinfo"): self._userinfo,
        }
        handler = routes.get((request.method, request.path))
        if handler is None:
            known = any(path == request.path for _, path in routes)
            response = _json({"error": "method_not_allowed" if known else "not_found"}, 405 if known else 404)
        else:
            response = handler(request)
        return response(environ, start_response)

    def _discovery(self, request: Request) -> Response:
        iss = self.issuer
        return _json(
            {
                "issuer": iss,
                "authorization_endpoint": f"{iss}/authorize",
                "token_endpoint": f"{iss}/token",
                "jwks_uri": f"{iss}/jwks",
                "userinfo_endpoint": f"{iss}/userinfo",
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "scopes_supported": ["openid", "email", "profile"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "claims_supported": [
                    "iss",
                    "sub",
                    "aud",
                    "exp",
                    "iat",
                    "nonce",
                    "email",
                    "email_verified",
                    "name",
                    "preferred_username",
                ],
            }
        )

    def _jwks(self, request: Request) -> Response:
        assert self._key is not None
        return _json(KeySet([self._key]).as_dict(private=False))

    def _authorize(self, request: Request) -> Response:
        args = request.args
        entry: dict[str, Any] = {"args": dict(args), "error": None}
        self.authorize_requests.append(entry)

        def bad(error: str, description: str) -> Response:
            entry["error"] = error
            return _json({"error": error, "error_description": description}, 400)

        # Every problem is answered with a 400 here (never redirected back) to keep tests explicit.
        if args.get("client_id") != self.client_id:
            return bad("unauthorized_client", "unknown client_id")
        redirect_uri = args.get("redirect_uri", "")
        if not redirect_uri:
            return bad("invalid_request", "redirect_uri is required")
        if args.get("response_type") != "code":
            return bad("unsupported_response_type", "only response_type=code is supported")
        scope = args.get("scope", "")
        if "openid" not in scope.split():
            return bad("invalid_scope", "scope must include openid")
        code_challenge = args.get("code_challenge", "")
        if not code_challenge:
            return bad("invalid_request", "code_challenge is required (PKCE)")
        if args.get("code_challenge_method") != "S256":
            return bad("invalid_request", "code_challenge_method must be S256")

        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Grant(
                client_id=self.client_id,
                redirect_uri=redirect_uri,
                scope=scope,
                nonce=args.get("nonce"),
                code_challenge=code_challenge,
                user=self._user,
            )

        params = {"code": code}
        if "state" in args:
            params["state"] = args["state"]
        parts = urlsplit(redirect_uri)
        query = urlencode(parse_qsl(parts.query) + list(params.items()))
        return Response(status=302, headers={"Location": urlunsplit(parts._replace(query=query))})

    def _client_credentials(self, request: Request) -> tuple[str | None, str | None, str]:
        """Return (client_id, client_secret, method) from HTTP Basic or the form body."""
        auth = request.authorization
        if auth is not None and auth.type == "basic":
            # RFC 6749 2.3.1: both parts are form-urlencoded before base64.
            return unquote(auth.username or ""), unquote(auth.password or ""), "client_secret_basic"
        form = request.form
        if "client_secret" in form:
            return form.get("client_id"), form.get("client_secret"), "client_secret_post"
        return form.get("client_id"), None, "none"

    def _token(self, request: Request) -> Response:
        form = request.form
        client_id, client_secret, auth_method = self._client_credentials(request)
        entry: dict[str, Any] = {
            "grant_type": form.get("grant_type"),
            "client_id": client_id,
            "auth_method": auth_method,
            "code": form.get("code"),
            "redirect_uri": form.get("redirect_uri"),
            "code_verifier": form.get("code_verifier"),
            "pkce_verified": False,
            "error": None,
        }
        self.requests.append(entry)

        def fail(error: str, description: str, status: int = 400) -> Response:
            entry["error"] = error
            headers = {"WWW-Authenticate": 'Basic realm="oidc"'} if status == 401 else None
            return _json({"error": error, "error_description": description}, status, headers)

        authenticated = client_secret is not None and _same(client_secret, self.client_secret)
        if client_id != self.client_id or not authenticated:
            return fail("invalid_client", "client authentication failed", 401)
        if form.get("grant_type") != "authorization_code":
            return fail("unsupported_grant_type", "only authorization_code is supported")

        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)  # single use, even on failure
        if grant is None or grant.expires_at < time.time():
            return fail("invalid_grant", "unknown, used or expired code")
        if grant.client_id != client_id:
            return fail("invalid_grant", "code was issued to another client")
        if form.get("redirect_uri") != grant.redirect_uri:
            return fail("invalid_grant", "redirect_uri does not match the authorization request")
        verifier = form.get("code_verifier", "")
        if not verifier:
            return fail("invalid_grant", "code_verifier is required")
        if not _same(_pkce_s256(verifier), grant.code_challenge):
            return fail("invalid_grant", "PKCE verification failed")
        entry["pkce_verified"] = True

        access_token = secrets.token_urlsafe(32)
        now = int(time.time())
        with self._lock:
            self._access_tokens[access_token] = (grant.user, now + self.access_token_lifetime)

        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "iat": now,
            "exp": now + self.id_token_lifetime,
            "auth_time": now,
            # at_hash: left half of SHA-256 of the access token (OIDC Core 3.1.3.6).
            "at_hash": _b64url(hashlib.sha256(access_token.encode("ascii")).digest()[:16]),
            **grant.user.claims(),
        }
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        key = self._wrong_key if self.sign_with_wrong_key else self._key
        assert key is not None
        id_token = jwt.encode({"alg": "RS256", "typ": "JWT", "kid": key.kid}, claims, key)

        return _json(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": self.access_token_lifetime,
                "scope": grant.scope,
                "id_token": id_token,
            }
        )

    def _userinfo(self, request: Request) -> Response:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        with self._lock:
            found = self._access_tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if found is None or found[1] < time.time():
            challenge = 'Bearer error="invalid_token"'
            return _json({"error": "invalid_token"}, 401, {"WWW-Authenticate": challenge})
        return _json(found[0].claims())
