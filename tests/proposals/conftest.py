"""Factories for proposals tests (shared by the proposals, participation, API and export tests).

- ``make_process(**settings)``: a published process with one phase open now for propose, support, comment
  and endorse (override with ``allow_propose=False`` etc., or ``phases=[...]`` of dicts), plus its
  ``ProposalSettings`` (keyword arguments named like its columns: ``support_limit=3``, ``threshold=10``...).
  Other keywords: ``title``, ``slug``, ``programme`` (slug), ``wards`` (ward names; whole city when empty),
  ``categories`` (names, creating ``Category`` rows), ``published`` (default True).
- ``make_proposal(process, author, **fields)``: a published proposal (``state="draft"`` for a draft), in the
  process's first ward unless ``ward=`` (a name) is given; ``categories=[Category, ...]`` links tags.
- ``make_people(n)``: n confirmed residents without a password hash (fast, for bulk data).
- ``ward_id(name)``, ``categories_of(process)``, ``png_bytes()`` (a real PNG), ``published_events`` (events seen).
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from civic.accounts.models import User
from civic.db import db, utcnow
from civic.spaces.models import Phase, Process, Programme, Ward
from proposals.models import Category, Proposal, ProposalCategoryLink, ProposalSettings

_seq = itertools.count(1)

SETTINGS_FIELDS = {"support_limit", "min_supports", "threshold", "close_at_threshold", "proposal_limit",
                   "verified_only", "ward_only", "edit_window_minutes"}
PHASE_FLAGS = {"allow_propose", "allow_support", "allow_comment", "allow_endorse", "allow_answer"}


def ward_named(name: str) -> Ward:
    return db.session.scalars(select(Ward).where(Ward.name == name)).one()


@pytest.fixture
def make_process():
    def make(*, title: str | None = None, slug: str | None = None, programme: str = "cleantech-city",
             wards: list[str] | tuple[str, ...] = (), categories: list[str] | tuple[str, ...] = (),
             published: bool = True, phases: list[dict] | None = None, **settings) -> Process:
        n = next(_seq)
        flags = {k: settings.pop(k) for k in list(settings) if k in PHASE_FLAGS}
        unknown = set(settings) - SETTINGS_FIELDS
        if unknown:
            raise TypeError(f"make_process: unknown settings {sorted(unknown)}")
        now = utcnow()
        prog = db.session.scalars(select(Programme).where(Programme.slug == programme)).one()
        process = Process(slug=slug or f"test-process-{n}", title=title or f"Test process {n}",
                          subtitle="A process for tests", description="Tell us your **ideas**.",
                          programme_id=prog.id, whole_city=not wards,
                          published_at=now - timedelta(days=1) if published else None)
        process.wards = [ward_named(w) for w in wards]
        if phases is None:
            phase = {"title": "Proposals and supports", "starts_at": now - timedelta(days=1),
                     "ends_at": now + timedelta(days=30), "allow_propose": True, "allow_support": True,
                     "allow_comment": True, "allow_endorse": True, "allow_answer": False}
            phase.update(flags)
            phases = [phase]
        process.phases = [Phase(**p) for p in phases]
        db.session.add(process)
        db.session.flush()
        db.session.add(ProposalSettings(process_id=process.id, **settings))
        for name in categories:
            db.session.add(Category(process_id=process.id, slug=name.lower().replace(" ", "-"), name=name))
        # Commit to the test's savepoint (see make_user) so a request that rolls back keeps it.
        db.session.commit()
        return process

    return make


@pytest.fixture
def make_proposal():
    def make(process: Process, author: User, *, title: str | None = None, body: str = "A **good** idea for us all.",
             ward: str | None = None, categories: list[Category] | tuple[Category, ...] = (),
             state: str = "published", commit: bool = True, **fields) -> Proposal:
        n = next(_seq)
        if ward is not None:
            ward_id = ward_named(ward).id
        elif process.wards:
            ward_id = process.wards[0].id
        else:
            ward_id = ward_named("Church Street").id
        if state != "draft":
            fields.setdefault("published_at", utcnow())
        if state == "withdrawn":
            fields.setdefault("withdrawn_at", utcnow())
        proposal = Proposal(process_id=process.id, author_id=author.id, title=title or f"Test proposal number {n}",
                            body=body, ward_id=ward_id, state=state, **fields)
        db.session.add(proposal)
        db.session.flush()
        for category in categories:
            db.session.add(ProposalCategoryLink(proposal_id=proposal.id, category_id=category.id))
        if commit:
            db.session.commit()
        return proposal

    return make


@pytest.fixture
def make_people():
    """``make_people(n)``: n confirmed residents without a password (hashing one is slow): for bulk data."""

    def make(n: int, prefix: str = "person", **extra) -> list[User]:
        people = []
        for _ in range(n):
            k = next(_seq)
            people.append(User(nickname=f"{prefix}_{k}", display_name=f"{prefix.title()} {k}",
                               email=f"{prefix}_{k}@example.org", email_confirmed_at=utcnow(), **extra))
        db.session.add_all(people)
        db.session.commit()
        return people

    return make


@pytest.fixture
def categories_of():
    def get(process: Process) -> list[Category]:
        return list(db.session.scalars(select(Category).where(Category.process_id == process.id)
                                       .order_by(Category.name)))

    return get


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
def published_events():
    """Collect the core events published while the test runs: a list of (name, subject, data)."""
    from civic import events

    seen: list[tuple[str, object, dict]] = []

    def handler(name, subject=None, **data):
        seen.append((name, subject, data))

    with events.event_signal.connected_to(handler):
        yield seen
