"""A person's history, as officers and administrators read it on the person's admin page: everything done to the
account (roles, blocks, verification) and to what they wrote (hidden, shown again, reports closed), with their
appeals' outcomes, in plain English. Never the audit log's codes (``user.block``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select

from civic import resources
from civic.accounts import roles
from civic.accounts.models import User
from civic.audit import AuditEntry
from civic.db import db
from civic.moderation.models import Appeal

#: What each action of the log says about a person, or about something they wrote (``{what}``: "their comment
#: “…”"). An action not listed reads "<code> (no description yet)", so nothing is silently left out.
SENTENCES = {
    "user.block": "Blocked",
    "user.unblock": "Block lifted",
    "role.grant": "Given the role {role}",
    "role.remove": "Role {role} removed",
    "verification.match": "Verified as a resident, against the register",
    "verification.approve": "Verified as a resident by an officer (manual check)",
    "verification.refuse": "Manual check of residency refused",
    "verification.revoke": "Residency verification removed",
    "verification.transfer": "Verified with the register entry of a deleted account of theirs",
    "moderation.auto_hide": "{what} was hidden automatically after reports, until a moderator checks it",
    "moderation.hide": "{what} was hidden by a moderator",
    "moderation.unhide": "{what} was shown again",
    "moderation.dismiss": "The reports on {what} were closed; it stayed as it was",
    "appeal.uphold": "Their appeal was turned down: the decision stands",
    "appeal.reverse": "Their appeal succeeded: the decision was reversed",
}


@dataclass
class Event:
    at: datetime
    sentence: str
    by: str  # "Council officer @name", "automatically"
    reason: str


def _authored(user: User) -> list[Any]:
    """Conditions matching log entries about content this person wrote, one per reportable type with an author."""
    conditions = []
    for rt in resources.with_capability("reportable"):
        author = resources.author_column(rt.model)
        if author is None:
            continue
        ids = select(rt.model.id).where(author == user.id).scalar_subquery()
        conditions.append(and_(AuditEntry.object_type == rt.name, AuditEntry.object_id.in_(ids)))
    return conditions


def _role(entry: AuditEntry) -> str:
    before = set((entry.before or {}).get("roles") or [])
    after = set((entry.after or {}).get("roles") or [])
    changed = (after - before) | (before - after)
    return ", ".join(roles.LABELS.get(r, r) for r in sorted(changed)) or "?"


def _what(entry: AuditEntry) -> str:
    rt = resources.find(entry.object_type)
    kind = (rt.label if rt else entry.object_type).lower()
    return f"Their {kind} “{entry.object_label}”" if entry.object_label else f"Their {kind}"


def history_of(user: User, limit: int = 50) -> list[Event]:
    """The person's history, newest first: one query (the log, with the actors joined)."""
    appeals = select(Appeal.id).where(Appeal.appellant_id == user.id).scalar_subquery()
    about = or_(and_(AuditEntry.object_type == "user", AuditEntry.object_id == user.id),
                and_(AuditEntry.object_type == "appeal", AuditEntry.object_id.in_(appeals)),
                *_authored(user))
    entries = db.session.scalars(select(AuditEntry).where(about)
                                 .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)).all()
    events = []
    for e in entries:
        template = SENTENCES.get(e.action)
        if template is None:
            sentence = f"{e.action} (no description yet)"
        else:
            sentence = template.format(role=_role(e), what=_what(e))
            sentence = sentence[:1].upper() + sentence[1:]
        if e.actor is not None:
            by = f"{'Administrator' if e.actor.is_admin else 'Council officer'} @{e.actor.nickname}" \
                if e.actor.is_officer else e.actor.public_name
        else:
            by = "automatically"
        events.append(Event(e.at, sentence, by, e.reason or ""))
    return events
