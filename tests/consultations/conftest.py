"""Fixtures for the consultations tests, on the factories of ``tests/consultations/factories.py``.

- ``make_consultation(**fields)``: a published consultation open now with a single, a multiple (1 to 2) and a
  ranked (up to 3) question (see ``factories.consultation``); ``option_ids(c, n)``.
- ``voter``: a verified resident of Church Street; from tests/conftest.py: ``make_user``, ``signed_in(user)``...
"""

from __future__ import annotations

import pytest

from tests.conftest import handed
from tests.consultations import factories

make_consultation = handed(factories.consultation, "make_consultation")
option_ids = handed(factories.option_ids, "option_ids")


@pytest.fixture
def voter(make_user):
    return make_user("verified", ward="Church Street")


@pytest.fixture
def officer(make_user):
    return make_user("officer")


@pytest.fixture
def ward_id_of():
    from tests.factories import ward_named

    return lambda name: ward_named(name).id


@pytest.fixture
def png_image() -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (40, 30), "green").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def make_budget():
    """``make_budget(**fields)``: a published budget open now (tests/consultations/budget_factories.py)."""
    from tests.consultations import budget_factories

    return budget_factories.budget
