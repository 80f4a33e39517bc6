"""Search fixtures for any package's tests (a pytest plugin named in tests/conftest.py).

- ``search_index``: parametrised over the backends: ``whoosh`` (``SEARCH_DIR`` at the test's own directory) and
  ``postgres`` (the ``search_documents`` table, in the test's transaction; marked ``postgres``, so it runs on
  the PostgreSQL run only); changes reach the index with every commit (``SEARCH_DRAIN=request``); yields the
  backend. Without it nothing reaches an index (the test app's ``SEARCH_DRAIN`` is ``off``). A drainer thread
  the test started is stopped with it. A test about one backend only says so:
  ``@pytest.mark.parametrize("search_index", ["whoosh"], indirect=True)``.
- ``synonyms(*lines)``: search with these synonym groups (none given: the built-in list); without it a search
  test has none, so that what it checks is the analysis alone.
- ``find(q, user=None, **filters)``: the search service's page for that text (commits to the test's savepoint and
  drains the queue first, as a request would have).
- ``keys(page)``: the results' "type:id" keys, in order.
"""

from __future__ import annotations

import pytest

from civic.db import db
from civic.search import services

BACKENDS = ["whoosh", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def search_index(request, app, tmp_path):
    saved = {k: app.config.get(k) for k in ("SEARCH_DIR", "SEARCH_DRAIN", "SEARCH_BACKEND", "SEARCH_SYNONYMS")}
    no_synonyms = tmp_path / "no-synonyms.txt"
    no_synonyms.write_text("")
    app.config.update(SEARCH_DIR=str(tmp_path / "search"), SEARCH_DRAIN="request", SEARCH_BACKEND=request.param,
                      SEARCH_SYNONYMS=str(no_synonyms))
    try:
        backend = services.backend()
        if request.param == "postgres":
            backend.clear()  # in the test's transaction: rows other tests committed are out of sight
        yield backend
    finally:
        services.stop_drainer(app)
        app.config.update(saved)


@pytest.fixture
def synonyms(app, tmp_path, monkeypatch):
    """``synonyms("bike, bicycle", ...)`` searches with these groups (no argument: the built-in list); the list is
    read again at once when changed (no few seconds' wait)."""
    from civic.search import synonyms as module

    monkeypatch.setattr(module, "CHECK_SECONDS", 0.0)

    def use(*lines: str):
        if not lines:
            app.config["SEARCH_SYNONYMS"] = str(module.BUILT_IN)
            return module.BUILT_IN
        path = tmp_path / "synonyms.txt"
        path.write_text("\n".join(lines) + "\n")
        app.config["SEARCH_SYNONYMS"] = str(path)
        return path

    return use


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
