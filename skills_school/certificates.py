"""Certificates: issued when a learner completes a course, verified by anyone at the code's public page, printed,
linked by a QR code (segno), and published as an Open Badges 2.0 assertion with hosted verification: the
assertion's ``id`` is its own address on this site, where a verifier fetches it; a revoked one answers 410 with
``revoked`` and the reason (the Open Badges 2.0 rule for hosted assertions).

An administrator revokes a certificate with a reason; its page then says so."""

from __future__ import annotations

import hashlib
import io
import secrets
from typing import Any

import segno
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from civic import policy
from civic.audit import audit
from civic.db import db, utcnow
from civic.errors import NotFound, RuleViolation
from civic.text import render_markdown
from skills_school.models import Certificate, Course

#: Codes are read aloud and typed: no 0/O, 1/I/L.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
REASON_MAX = 500
OPEN_BADGES = "https://w3id.org/openbadges/v2"


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise(code: str) -> str:
    """What people type: lower case, spaces and dashes are forgiven."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())[:20]


def certificate_of(user_id: int, course_id: int) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.user_id == user_id,
                                                       Certificate.course_id == course_id))


def issue(user: Any, course: Course) -> Certificate:
    """The learner's certificate for the course (the one they already have, if any)."""
    found = certificate_of(user.id, course.id)
    if found is not None:
        return found
    certificate = Certificate(code=new_code(), course_id=course.id, user_id=user.id, name=user.display_name,
                              issued_at=utcnow())
    db.session.add(certificate)
    db.session.flush()
    return certificate


def by_code(code: str) -> Certificate:
    certificate = db.session.scalar(select(Certificate).where(Certificate.code == normalise(code)))
    if certificate is None:
        raise NotFound(_("There is no certificate with that code. Check the code and try again."))
    return certificate


def revoke(admin: Any, certificate: Certificate, reason: str) -> None:
    policy.require(admin, "school.revoke", certificate)
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(_("Say why the certificate is revoked: the verification page shows it."), field="reason")
    if len(reason) > REASON_MAX:
        raise RuleViolation(_("The reason can be at most %(n)d characters.", n=REASON_MAX), field="reason")
    if certificate.revoked_at is not None:
        raise RuleViolation(_("This certificate is already revoked."))
    certificate.revoked_at = utcnow()
    certificate.revoked_reason = reason
    certificate.revoked_by_id = admin.id
    db.session.flush()
    audit(admin, "school.certificate_revoked", "certificate", certificate.id, label=certificate.code, reason=reason)


def my_certificates(user: Any) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(Certificate.user_id == user.id)
                                   .order_by(Certificate.issued_at.desc())))


def qr_svg(url: str) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=5, border=2, title=_("QR code of the verification page"))
    return out.getvalue()


# Open Badges 2.0 ---------------------------------------------------------------------------------------------


def issuer_json(site_name: str) -> dict[str, Any]:
    return {"@context": OPEN_BADGES, "type": "Issuer", "id": url_for("school.issuer", _external=True),
            "name": f"{site_name} – Urban Data School", "url": url_for("school.index", _external=True)}


def badge_json(course: Course) -> dict[str, Any]:
    return {"@context": OPEN_BADGES, "type": "BadgeClass", "id": url_for("school.badge", course_id=course.id,
                                                                          _external=True),
            "name": course.title, "description": course.summary[:500],
            "image": url_for("static", filename="img/school-badge.svg", _external=True),
            "criteria": {"id": url_for("school.course", course_id=course.id, _external=True),
                         "narrative": _("Complete the course's required lessons, pass its quizzes and, where the "
                                        "course asks for it, attend an in-person session.")},
            "issuer": url_for("school.issuer", _external=True), "tags": [course.topic]}


def recipient(email: str | None, code: str) -> dict[str, Any]:
    """The learner's email address, salted and hashed (never shown)."""
    salt = hashlib.sha256(code.encode()).hexdigest()[:16]
    digest = hashlib.sha256(((email or "") + salt).encode()).hexdigest()
    return {"type": "email", "hashed": True, "salt": salt, "identity": f"sha256${digest}"}


def assertion_json(certificate: Certificate, email: str | None) -> dict[str, Any]:
    own = url_for("school.assertion", code=certificate.code, _external=True)
    data: dict[str, Any] = {
        "@context": OPEN_BADGES, "type": "Assertion", "id": own,
        "recipient": recipient(email, certificate.code),
        "badge": url_for("school.badge", course_id=certificate.course_id, _external=True),
        "verification": {"type": "hosted"},
        "issuedOn": certificate.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "evidence": url_for("school.certificate", code=certificate.code, _external=True),
    }
    if certificate.revoked_at is not None:
        data.update({"revoked": True, "revocationReason": certificate.revoked_reason})
    return data


def summary_html(course: Course) -> Any:
    return render_markdown(course.summary)


def forget_learner(user: Any) -> None:
    """An account was deleted: its certificates no longer show the person's name, and say why they no longer
    stand (a verifier still learns the code was real)."""
    for certificate in db.session.scalars(select(Certificate).where(Certificate.user_id == user.id)):
        certificate.name = "Deleted participant"
        if certificate.revoked_at is None:
            certificate.revoked_at = utcnow()
            certificate.revoked_reason = "The learner deleted their account."
    db.session.flush()
