"""Prepared texts staff pick instead of typing the same words again: canned reasons for hiding content and for
moderation decisions, answer templates for proposals. Administrators edit them at ``/admin/canned``.

A purpose is declared by whoever uses it (``register_purpose("moderation.hide", "Hiding content", ...)``; the
core declares the moderation and verification ones, proposals its answer templates), and a form offers
:func:`for_purpose`'s texts beside its note. :func:`compose` joins the chosen text and the officer's own words,
so the audit log and the person told read exactly what was decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from civic import policy
from civic.audit import audit
from civic.db import Base, db, utcnow
from civic.errors import NotFound, RuleViolation

TITLE_MAX = 80
BODY_MAX = 2000


class CannedText(Base):
    """One prepared text for one purpose."""

    __tablename__ = "canned_texts"
    __table_args__ = (UniqueConstraint("purpose", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


@dataclass(frozen=True)
class Purpose:
    key: str
    label: str  # "Hiding content"
    description: str = ""


_purposes: dict[str, Purpose] = {}


def register_purpose(key: str, label: str, description: str = "") -> Purpose:
    """Declare a purpose (idempotent)."""
    purpose = _purposes.setdefault(key, Purpose(key, label, description))
    return purpose


def purposes() -> list[Purpose]:
    return sorted(_purposes.values(), key=lambda p: p.label)


def purpose(key: str) -> Purpose | None:
    return _purposes.get(key)


register_purpose("moderation.hide", "Hiding content",
                 "Offered when an officer hides content; the author reads it in the notice and the mail.")
register_purpose("moderation.decide", "Showing again and dismissing reports",
                 "Offered when an officer shows content again or dismisses the reports on it.")
register_purpose("verification.refuse", "Refusing a verification request",
                 "Offered when an officer refuses a manual residency check; the person reads it.")


@policy.rule("canned.manage")
def _may_manage(user: Any, _obj: Any) -> bool | str:
    return user.is_admin or "Only administrators can change the prepared texts."


def for_purpose(key: str) -> list[CannedText]:
    return list(db.session.scalars(select(CannedText).where(CannedText.purpose == key)
                                   .order_by(CannedText.title, CannedText.id)))


def choices(key: str) -> list[tuple[str, str]]:
    """(id, title) pairs for a select, with an empty first choice."""
    return [("", "None: I will write it")] + [(str(c.id), c.title) for c in for_purpose(key)]


def get(key: str, canned_id: Any) -> CannedText | None:
    """The prepared text ``canned_id`` of purpose ``key``, or None (never one of another purpose)."""
    try:
        ident = int(canned_id)
    except (TypeError, ValueError):
        return None
    row = db.session.get(CannedText, ident) if 0 < ident < 2**31 else None
    return row if row is not None and row.purpose == key else None


def compose(key: str, canned_id: Any, note: str | None) -> str:
    """The prepared text (if one of this purpose was chosen), then the officer's own words, as one note."""
    row = get(key, canned_id)
    note = (note or "").strip()
    if row is None:
        return note
    return f"{row.body}\n\n{note}" if note else row.body


def _clean(title: str | None, body: str | None) -> tuple[str, str]:
    title = " ".join((title or "").split())
    body = (body or "").strip()
    if not title:
        raise RuleViolation("Give the text a short title.", field="title")
    if len(title) > TITLE_MAX:
        raise RuleViolation(f"Keep the title to {TITLE_MAX} characters or fewer.", field="title")
    if not body:
        raise RuleViolation("Write the text.", field="body")
    if len(body) > BODY_MAX:
        raise RuleViolation(f"Keep the text to {BODY_MAX:,} characters or fewer.", field="body")
    return title, body


def _save(row: CannedText) -> None:
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        raise RuleViolation(f"There is already a text called “{row.title}” for this purpose.",
                            field="title") from None


def add(actor: Any, key: str, title: str, body: str) -> CannedText:
    policy.require(actor, "canned.manage")
    if key not in _purposes:
        raise RuleViolation("Choose what the text is for.", field="purpose")
    title, body = _clean(title, body)
    row = CannedText(purpose=key, title=title, body=body, updated_by_id=actor.id)
    _save(row)
    audit(actor, "canned.add", "canned_text", row.id, label=title, after={"purpose": key, "body": body})
    return row


def edit(actor: Any, row: CannedText, title: str, body: str) -> None:
    policy.require(actor, "canned.manage")
    title, body = _clean(title, body)
    before = {"title": row.title, "body": row.body}
    row.title, row.body, row.updated_at, row.updated_by_id = title, body, utcnow(), actor.id
    _save(row)
    audit(actor, "canned.edit", "canned_text", row.id, label=title, before=before, after={"title": title,
                                                                                           "body": body})


def remove(actor: Any, row: CannedText) -> None:
    policy.require(actor, "canned.manage")
    audit(actor, "canned.remove", "canned_text", row.id, label=row.title,
          before={"purpose": row.purpose, "body": row.body})
    db.session.delete(row)
    db.session.flush()


def get_or_404(canned_id: int) -> CannedText:
    row = db.session.get(CannedText, canned_id)
    if row is None:
        raise NotFound("We could not find that text.")
    return row
