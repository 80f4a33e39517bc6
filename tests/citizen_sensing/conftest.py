"""Fixtures for the citizen-sensing tests, on ``tests/citizen_sensing/factories.py``:

- ``make_campaign(organiser=None, **fields)``, ``make_device(campaign, owner=None, **fields)`` -> (device, token);
- ``post_as_device(token, path, body, content_type=...)``: a device's request (the Authorization header);
- ``fixture(name)``: a payload file's bytes.
"""

from __future__ import annotations

import json

import pytest

from tests.citizen_sensing import factories
from tests.conftest import handed

make_campaign = handed(factories.campaign, "make_campaign")
make_device = handed(factories.device, "make_device")
fixture = handed(factories.fixture, "fixture")


@pytest.fixture
def post_as_device(client):
    def post(token: str | None, path: str, body, content_type: str = "application/json", headers=None):
        data = body if isinstance(body, bytes | str) else json.dumps(body)
        sent = dict(headers or {})
        if token is not None:
            sent.setdefault("Authorization", f"Bearer {token}")
        return client.post(path, data=data, content_type=content_type, headers=sent)

    return post


@pytest.fixture
def limits_on(app):
    """Rate limits on, with fresh in-memory counters (the test app runs with them off); as in tests/proposals:
    the limiter is one object for the process, switched on through a throwaway app."""
    from flask import Flask

    from civic.extensions import limiter

    other = Flask("sensing-limits-on")
    other.config.update(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    limiter.init_app(other)
    limiter.reset()
    yield
    limiter.reset()
    limiter.enabled = False
