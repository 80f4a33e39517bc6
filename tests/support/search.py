"""Search fixtures for any package's tests (a pytest plugin named in tests/conftest.py).

- ``search_index``: points ``SEARCH_DIR`` at the test's own directory and drains after every request
  (``SEARCH_DRAIN=request``); yields the backend. Without it nothing reaches an index (the test app's
  ``SEARCH_DRAIN`` is ``off``). A drainer thread the test started is stopped with it.
- ``find(q, user=None, **filters)``: the search service's page for that text (commits to the test's savepoint and
  drains the queue first, as a request would have).
- ``keys(page)``: the results' "type:id" keys, in order.
"""

from __future__ import annotations

import pytest

from civic.db import db
from civic.search import services


@pytest.fixture
def search_index(app, tmp_path):
    saved = {k: app.config.get(k) for k in ("SEARCH_DIR", "SEARCH_DRAIN")}
    app.config.update(SEARCH_DIR=str(tmp_path / "search"), SEARCH_DRAIN="request")
    try:
        yield services.backend()
    finally:
        services.stop_drainer(app)
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
