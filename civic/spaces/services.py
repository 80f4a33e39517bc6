"""Participatory processes and their phases: which actions are open now."""

from __future__ import annotations

from datetime import datetime

from flask_babel import format_date

from civic.db import utcnow
from civic.errors import RuleViolation
from civic.spaces.models import Phase, Process

ACTION_WORDS = {
    "propose": "Making proposals",
    "support": "Supporting proposals",
    "comment": "Commenting",
    "endorse": "Endorsing proposals",
    "answer": "Answering proposals",
}


def active_phase(process: Process, now: datetime | None = None) -> Phase | None:
    now = now or utcnow()
    for phase in process.phases:
        if phase.starts_at <= now < phase.ends_at:
            return phase
    return None


def status(process: Process, now: datetime | None = None) -> str:
    """``upcoming``, ``active`` or ``past`` (a process between two phases is active)."""
    now = now or utcnow()
    if not process.phases:
        return "upcoming"
    if now < process.phases[0].starts_at:
        return "upcoming"
    if now >= max(p.ends_at for p in process.phases):
        return "past"
    return "active"


def is_open(process: Process, action: str, now: datetime | None = None) -> bool:
    phase = active_phase(process, now)
    return bool(process.is_published and phase is not None and phase.allows(action))


def require_phase(process: Process, action: str, now: datetime | None = None) -> Phase:
    """The open phase for ``action``, or a RuleViolation saying when (or that) it is not open."""
    if not process.is_published:
        raise RuleViolation("This process is not published yet.")
    now = now or utcnow()
    phase = active_phase(process, now)
    if phase is not None and phase.allows(action):
        return phase
    words = ACTION_WORDS.get(action, action.capitalize())
    later = next((p for p in process.phases if p.starts_at > now and p.allows(action)), None)
    if later is not None:
        opens = format_date(later.starts_at, "d MMMM yyyy")
        raise RuleViolation(f"{words} is not open in this phase. It opens on {opens} ({later.title}).")
    current = f" ({phase.title})" if phase else ""
    raise RuleViolation(f"{words} is not open in this phase{current}.")
