"""Roles offered by email: an administrator invites an address that has no account yet; the role is granted when
an account with that address confirms it (sign-up confirmation, a password reset, a changed address, or a council
sign-in whose provider verified it). Audited when sent and when taken; the person is mailed both times."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select

from civic import mail, policy
from civic.accounts import roles
from civic.accounts.models import RoleInvitation, User, UserRole
from civic.audit import audit
from civic.db import db, utcnow
from civic.errors import RuleViolation

EMAIL_MAX = 254


def _email(email: str | None) -> str:
    email = (email or "").strip().lower()
    if not email or "@" not in email.strip("@") or len(email) > EMAIL_MAX or any(c.isspace() for c in email):
        raise RuleViolation("Enter an email address like name@example.org.", field="email")
    return email


def existing_account(email: str | None) -> User | None:
    """The account that already uses this address, if any (the admin then grants the role on its page)."""
    try:
        address = _email(email)
    except RuleViolation:
        return None
    return db.session.scalar(select(User).where(func.lower(User.email) == address, User.deleted_at.is_(None)))


def invite(actor: User, email: str, role: str, reason: str) -> RoleInvitation:
    """Offer ``role`` to an address without an account (audited, mailed with the way to sign up)."""
    policy.require(actor, "roles.grant")
    address = _email(email)
    if role not in roles.GRANTABLE:
        raise RuleViolation("Choose the role.", field="role")
    if not (reason or "").strip():
        raise RuleViolation("Say why, for the audit log.", field="reason")
    if existing_account(address) is not None:
        raise RuleViolation("This address already has an account: grant the role on the person's page.",
                            field="email")
    if db.session.scalar(select(RoleInvitation.id).where(RoleInvitation.email == address,
                                                         RoleInvitation.role == role,
                                                         RoleInvitation.accepted_at.is_(None))):
        raise RuleViolation(f"{address} has already been invited as {roles.LABELS[role]}.", field="email")
    row = RoleInvitation(email=address, role=role, reason=reason.strip(), invited_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit(actor, "role.invite", "role_invitation", row.id, label=address, after={"role": role}, reason=row.reason)
    label = roles.LABELS[role]
    mail.send(address, f"You are invited to {_site()} as {_article(label)} {label}", "role_invitation", user=None,
              role=label, actor=actor.public_name, reason=row.reason, url=mail.link("accounts.sign_up"))
    return row


def pending() -> list[RoleInvitation]:
    return list(db.session.scalars(select(RoleInvitation).where(RoleInvitation.accepted_at.is_(None))
                                   .order_by(RoleInvitation.created_at.desc(), RoleInvitation.id.desc()).limit(50)))


def apply(user: User) -> None:
    """Grant the roles offered to this account's address, now that it is confirmed (idempotent)."""
    if not user.email or user.email_confirmed_at is None or user.deleted_at is not None:
        return
    offers = list(db.session.scalars(select(RoleInvitation).where(RoleInvitation.email == user.email.lower(),
                                                                  RoleInvitation.accepted_at.is_(None))))
    for offer in offers:
        offer.accepted_at, offer.accepted_by_id = utcnow(), user.id
        if offer.role in user.role_names:
            continue
        before = sorted(user.role_names)
        user.role_rows.append(UserRole(role=offer.role, granted_by_id=offer.invited_by_id))
        db.session.flush()
        audit(offer.invited_by, "role.grant", "user", user.id, label=f"@{user.nickname}",
              before={"roles": before}, after={"roles": sorted(user.role_names)},
              reason=f"Invited by email: {offer.reason}")
        label = roles.LABELS[offer.role]
        mail.send(user.email, f"You are now {_article(label)} {label}", "role_changed", user=user, role=label,
                  granted=True, actor=offer.invited_by.public_name if offer.invited_by else "An administrator",
                  reason=offer.reason, url=mail.link("accounts.account"))


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _site() -> str:
    return current_app.config.get("SITE_NAME", "Civic")
