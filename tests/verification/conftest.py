"""Fixtures for residency verification: the postcode sector table and a register filled by an admin upload."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from civic.cli import load_postcode_sectors
from civic.db import db
from civic.spaces.models import Ward
from civic.verification import services

HEADER = "postcode,date_of_birth,ward"


def csv_text(*rows: tuple[str, str, str], header: str = HEADER) -> str:
    return "\n".join([header, *(",".join(row) for row in rows)]) + "\n"


@pytest.fixture
def sectors(app):
    """The shipped demo table: postcode sector -> ward (W2 1 is in Little Venice)."""
    load_postcode_sectors()
    db.session.flush()


@pytest.fixture
def register(make_user):
    """``register(("W2 1AA", "1985-03-27", "Little Venice"), ...)`` adds residents as an admin upload would."""
    admin = make_user("admin")

    def add(*rows: tuple[str, str, str]):
        return services.upload_register(admin, "register.csv", csv_text(*rows).encode())

    return add


def ward(name: str) -> Ward:
    return db.session.scalars(select(Ward).where(Ward.name == name)).one()
