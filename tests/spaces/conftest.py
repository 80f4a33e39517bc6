"""Fixtures for participatory processes: officers, processes with phases around a moment, helpers."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from civic.audit import AuditEntry
from civic.db import db, utcnow
from civic.spaces import services
from tests.factories import phase

_titles = itertools.count(1)


@pytest.fixture
def officer(make_user):
    return make_user("officer")


def around(now: datetime | None = None) -> list[dict]:
    """Three phases: proposals (ended), supports (running at ``now``), evaluation (to come)."""
    now = now or utcnow()
    return [
        phase("Proposals", now - timedelta(days=20), now - timedelta(days=10), "propose", "comment"),
        phase("Supports", now - timedelta(days=10), now + timedelta(days=10), "support", "comment", "endorse"),
        phase("Evaluation", now + timedelta(days=10), now + timedelta(days=30), "answer"),
    ]


@pytest.fixture
def make_process(officer):
    """``make_process(title=..., phases=[...], published=True, programme=..., wards=None)``, committed.

    Unlike tests.factories.process, it goes through ``civic.spaces.services.create_process``, the service these
    tests are about (free slugs, audit entries, checks)."""

    def make(title: str | None = None, *, phases: list[dict] | None = None, published: bool = True,
             programme: str = "cleantech-city", wards: list[str] | None = None, subtitle: str = "",
             description: str = "What the council asks.", actor=None):
        process = services.create_process(actor or officer, title=title or f"Test process {next(_titles)}",
                                          subtitle=subtitle, description=description, programme_slug=programme,
                                          ward_names=wards, phases=around() if phases is None else phases,
                                          published=published)
        db.session.commit()  # to the test's savepoint, so a request that rolls back (4xx) keeps it
        return process

    return make


def audit_entries(object_type: str, object_id: int) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == object_type,
                                                            AuditEntry.object_id == object_id)
                                   .order_by(AuditEntry.id)))


def field_error(page: str, field_id: str) -> str:
    found = re.search(rf'<p class="error-message" id="{field_id}-error">(.*?)</p>', page, re.S)
    return " ".join(found.group(1).replace('<span class="visually-hidden">Error:</span>', "").split()) \
        if found else ""


def text(page: str) -> str:
    """The page as a person reads it: tags dropped, entities decoded, spaces collapsed."""
    import html

    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)
