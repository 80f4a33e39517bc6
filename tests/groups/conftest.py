"""Fixtures for community groups."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from civic.accounts.models import User
from civic.db import db, utcnow
from civic.groups import services
from civic.groups.models import Group
from civic.spaces.models import Ward

_names = itertools.count(1)


@pytest.fixture
def make_people():
    """``make_people(n)``: n confirmed residents without a password (hashing one is slow): for bulk data."""

    def make(n: int, prefix: str = "person") -> list[User]:
        people = []
        for _ in range(n):
            k = next(_names)
            people.append(User(nickname=f"{prefix}_{k}", display_name=f"{prefix.title()} {k}",
                               email=f"{prefix}_{k}@example.org", email_confirmed_at=utcnow()))
        db.session.add_all(people)
        db.session.commit()
        return people

    return make


@pytest.fixture
def make_group(make_people):
    def make(organiser=None, *, name: str | None = None, ward: str | None = None, description: str = "We meet.",
             website: str | None = None) -> Group:
        organiser = organiser or make_people(1, "founder")[0]
        ward_id = db.session.scalar(select(Ward.id).where(Ward.name == ward)) if ward else None
        group = services.create_group(organiser, name=name or f"Test group {next(_names)}",
                                      description=description, ward_id=ward_id, website=website)
        # Like make_user: commit to the test's savepoint, so a request that rolls back (4xx) keeps it.
        db.session.commit()
        return group

    return make
