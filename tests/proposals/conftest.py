"""Fixtures for the proposals tests (proposals, participation, API, exports, and the proposal side of
moderation, search and notifications), on the factories of ``tests/proposals/factories.py``.

- ``make_process(**settings)``: a published process with one phase open now for propose, support, comment
  and endorse (override with ``allow_propose=False`` etc., or ``phases=[...]`` of dicts), plus its
  ``ProposalSettings`` (keyword arguments named like its columns: ``support_limit=3``, ``threshold=10``...).
  Other keywords: ``title``, ``slug``, ``programme`` (slug), ``wards`` (ward names; whole city when empty),
  ``categories`` (names, creating ``Category`` rows), ``published`` (default True).
- ``make_proposal(process, author, **fields)``: a published proposal (``state="draft"`` for a draft), in the
  process's first ward unless ``ward=`` (a name) is given; ``categories=[Category, ...]`` links tags.
- ``make_comment(proposal, author)``, ``ward_id(name)``, ``categories_of(process)``, ``png_bytes()`` (a real PNG).
- From tests/conftest.py: ``make_user``, ``make_people(n)``, ``signed_in(user)``, ``report_by(n, type, id)``,
  ``published_events``...
"""

from __future__ import annotations

import pytest
from flask import Flask

from civic.extensions import limiter
from tests import factories as core
from tests.conftest import handed
from tests.factories import ward_named
from tests.proposals import factories

make_process = handed(factories.process, "make_process")  # the core's, with proposal settings and categories
make_proposal = handed(factories.proposal, "make_proposal")
categories_of = handed(factories.categories_of, "categories_of")


@pytest.fixture
def make_comment():
    """``make_comment(proposal, author, body=...)``: a comment row on a proposal (no service, no counter)."""

    def make(proposal, author, body: str = "A comment that someone may dislike."):
        return core.comment("proposal", proposal.id, author, body)

    return make


@pytest.fixture
def ward_id():
    """``ward_id("Church Street")`` -> the ward's id (for form posts)."""

    def get(name: str) -> int:
        return ward_named(name).id

    return get


@pytest.fixture
def png_bytes():
    """A real PNG made with Pillow: ``png_bytes()`` or ``png_bytes(size=(40, 30), colour="green")``."""
    from io import BytesIO

    from PIL import Image

    def make(size: tuple[int, int] = (32, 24), colour: str = "green") -> bytes:
        out = BytesIO()
        Image.new("RGB", size, colour).save(out, format="PNG")
        return out.getvalue()

    return make


@pytest.fixture
def open_proposal(make_process, make_proposal, make_user):
    """A published proposal in a process whose phase allows everything."""
    process = make_process()
    return make_proposal(process, make_user("resident"))


@pytest.fixture
def limits_on(app):
    """Rate limits on, with fresh in-memory counters (the test app runs with them off).

    The limiter is one object for the process: configuring it through a throwaway app turns it on for the
    test app's decorated routes too, without adding hooks to an app that has already served requests."""
    other = Flask("limits-on")
    other.config.update(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    limiter.init_app(other)
    limiter.reset()
    yield
    limiter.reset()
    limiter.enabled = False
