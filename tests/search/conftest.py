"""Search tests: every test here ends any drainer thread it started. ``search_index`` and ``find`` come from
tests/support/search.py (a plugin every package's tests can use); ``keys`` is imported from there too."""

from __future__ import annotations

import pytest

from civic.search import services
from tests.support.search import keys  # noqa: F401 - imported from here by tests


@pytest.fixture(autouse=True)
def _no_drainer_left(app):
    """A drainer thread started by a test ends with it: it would otherwise drain (and commit) a later test's
    queue through whichever session the per-test transaction has bound."""
    yield
    services.stop_drainer(app)
