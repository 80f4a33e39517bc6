"""Fixtures for the account tests: an app wired to a real OpenID provider on loopback. The helpers that read pages
(``main_text``, ``field_error``...) live in tests/support/pages.py and are imported from here too."""

from __future__ import annotations

import pytest

from civic.app import create_app
from civic.db import db
from tests.support.oidc_provider import OIDCProvider
from tests.support.pages import field_error, input_value, main_text, path_of, text_of  # noqa: F401 - for tests

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
