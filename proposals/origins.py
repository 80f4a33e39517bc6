"""Proposals made by another domain through the core's registry (``ResourceType.creation``): a citizen-sensing
campaign's finding turned into a proposal. The other domain never imports this package: it asks the registry for
the creatable types, offers their ``targets`` and calls ``create`` with a :class:`civic.resources.Seed`.

The proposal is made and published by the person who asks (the same rules as the "new proposal" form: a confirmed
email address, the process's propose phase, its proposal limit, a ward of the process), so it is theirs to edit
within the editing window. The link back to what it came from is the core's (``civic.resources.link``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from civic.db import db, utcnow
from civic.errors import RuleViolation
from civic.resources import Seed
from civic.spaces.models import Phase, Process
from civic.spaces.services import is_open
from civic.web import MAX_ID
from proposals import services


def targets(user: Any) -> list[tuple[int, str]]:
    """The published processes open for proposals now, by title: one query (their phases come with them)."""
    now = utcnow()
    processes = db.session.scalars(
        select(Process).where(Process.published_at.is_not(None),
                              Process.id.in_(select(Phase.process_id).where(Phase.starts_at <= now,
                                                                            Phase.ends_at > now)))
        .order_by(Process.title, Process.id))
    return [(p.id, p.title) for p in processes if is_open(p, "propose", now)]


def create(user: Any, process_id: int, seed: Seed) -> Any:
    """A published proposal by ``user`` in the process, from the seed's title, body and ward."""
    process = db.session.get(Process, process_id) if 0 < process_id <= MAX_ID else None
    if process is None or not is_open(process, "propose"):
        raise RuleViolation("Choose a process that is open for proposals now.", field="target")
    proposal = services.create_draft(user, process, services.ProposalFields(
        title=seed.title, body=seed.body, ward_id=seed.ward_id))
    return services.publish(user, proposal)
