"""Fixtures for the account tests: helpers to read pages and mail, and an app wired to a real
OpenID provider on loopback."""

from __future__ import annotations

import html
import re

import pytest

from civic.app import create_app
from civic.db import db
from tests.support.oidc_provider import OIDCProvider


def text_of(response) -> str:
    """The page as a person reads it: tags dropped, entities decoded, spaces collapsed."""
    body = response.get_data(as_text=True)
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def main_text(response) -> str:
    """The text of the <main> landmark only (no header, navigation or footer)."""
    body = response.get_data(as_text=True)
    match = re.search(r"<main\b.*?</main>", body, flags=re.S)
    assert match, "the page has no <main>"
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", match.group(0)))).strip()


def field_error(response, field_id: str) -> str:
    """The message shown beside one field (``<p class="error-message" id="<field>-error">``)."""
    body = response.get_data(as_text=True)
    match = re.search(rf'<p class="error-message" id="{re.escape(field_id)}-error">(.*?)</p>', body, flags=re.S)
    assert match, f"no error message beside {field_id!r}"
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", match.group(1)))).replace("Error:", "").strip()


def input_value(response, field_id: str) -> str | None:
    """The value an input shows again after a failed submit (None when it has no value)."""
    body = response.get_data(as_text=True)
    match = re.search(rf'<input\b[^>]*\bid="{re.escape(field_id)}"[^>]*>', body)
    assert match, f"no input {field_id!r}"
    value = re.search(r'\bvalue="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else None


def path_of(url: str) -> str:
    """``http://civic.test/confirm/abc`` -> ``/confirm/abc`` (the test client's view of a link)."""
    return re.sub(r"^https?://[^/]+", "", url)


# OpenID Connect -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def oidc_provider():
    provider = OIDCProvider().start()
    yield provider
    provider.stop()


@pytest.fixture(scope="module")
def oidc_app(app, oidc_provider):
    """A second app on the same database and settings as ``app``, with OpenID sign-in configured.

    ``create_app`` binds the global ``civic.db.db`` to a fresh engine; the main app's engine is put
    back straight away so the shared per-test transaction fixture keeps working for both apps.
    """
    engine, bind = db.engine, db.factory.kw.get("bind")
    config = {k: v for k, v in app.config.items() if k.isupper()}
    config.update(OIDC_ISSUER=oidc_provider.issuer, OIDC_CLIENT_ID=oidc_provider.client_id,
                  OIDC_CLIENT_SECRET=oidc_provider.client_secret, OIDC_PROVIDER_NAME="Westminster staff sign-in")
    try:
        application = create_app(config)
    finally:
        own_engine = db.engine
        db.engine = engine
        db.factory.configure(bind=bind)
    if own_engine is not engine:
        own_engine.dispose()
    yield application
