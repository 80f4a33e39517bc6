"""Search tests: a fresh index per test (``search_index``), changes applied after each request's commit, and
the proposals factories.

- ``search_index``: points ``SEARCH_DIR`` at the test's own directory and drains after every request
  (``SEARCH_DRAIN=request``); yields the backend. Without it nothing reaches an index.
- ``find(q, user=None, **filters)``: the search service's page for that text (drains the queue first, as a
  request would have).
- ``keys(page)``: the results' "type:id" keys, in order.
"""

from __future__ import annotations

import pytest

from civic.db import db
from civic.search import services
from tests.proposals.conftest import make_process, make_proposal  # noqa: F401 - fixtures


@pytest.fixture(autouse=True)
def _no_drainer_left(app):
    """A drainer thread started by a test ends with it: it would otherwise drain (and commit) a later test's
    queue through whichever session the per-test transaction has bound."""
    yield
    services.stop_drainer(app)


@pytest.fixture
def search_index(app, tmp_path):
    saved = {k: app.config.get(k) for k in ("SEARCH_DIR", "SEARCH_DRAIN")}
    app.config.update(SEARCH_DIR=str(tmp_path / "search"), SEARCH_DRAIN="request")
    try:
        yield services.backend()
    finally:
        app.config.update(saved)


@pytest.fixture
def find(app, search_index):
    def search(q: str, user=None, **filters):
        db.session.commit()
        services.drain()
        with app.test_request_context("/search"):
            return services.search(user, services.Params(q=q, **filters))

    return search


def keys(page) -> list[str]:
    return [f"{r.type}:{r.id}" for r in page.results]
