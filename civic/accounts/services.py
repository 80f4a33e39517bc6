"""Account rules: sign-up, confirmation, sign-in with throttling, resets, roles, deletion."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from civic import logs, mail, policy, resources
from civic.accounts import api_tokens, invitations, lifecycle, passwords, roles, tokens
from civic.accounts.models import SigninFailure, User, UserIdentity, UserRole, new_session_token
from civic.audit import audit
from civic.db import db, utcnow
from civic.errors import RuleViolation, TooManyAttempts

NICKNAME_RE = re.compile(r"^[a-z0-9_]{3,30}$")



class AccountBlocked(RuleViolation):
    """Signing in to a blocked account: the page says so and links to the appeal form."""

    code = "account_blocked"


BLOCKED = "This account has been blocked by a council officer, so you cannot sign in."

def normalise_email(email: str) -> str:
    return email.strip().lower()


def normalise_nickname(nickname: str) -> str:
    return nickname.strip().lstrip("@").lower()


def by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def by_nickname(nickname: str) -> User | None:
    return db.session.scalar(select(User).where(User.nickname == normalise_nickname(nickname)))


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: ``"<id>:<session token>"``; a rotated token signs the session out."""
    ident, _, token = user_id.partition(":")
    if not (ident.isascii() and ident.isdigit()):
        return None
    user = db.session.get(User, int(ident))
    if user is None or not user.is_active or not hmac.compare_digest(user.session_token, token):
        return None
    return user


# Sign-up and confirmation --------------------------------------------------------------------------------


def nickname_problem(nickname: str) -> str | None:
    nick = normalise_nickname(nickname)
    if not NICKNAME_RE.match(nick):
        return "Use 3 to 30 letters, numbers or underscores."
    if nick.startswith("deleted_") or nick in {"admin", "officer", "civic", "council", "support"}:
        return "This nickname is reserved. Choose another."
    if by_nickname(nick) is not None:
        return "This nickname is taken. Choose another."
    return None


def sign_up(display_name: str, nickname: str, email: str, password: str, next_path: str = "") -> User | None:
    """Create an account and send the confirmation link.

    When the email is already registered, no second account is made and the owner is
    told by email instead; the caller shows the same page either way (no enumeration).
    """
    email = normalise_email(email)
    nickname = normalise_nickname(nickname)
    if not display_name.strip():
        raise RuleViolation("Enter your name.", field="display_name")
    if (msg := nickname_problem(nickname)) is not None:
        raise RuleViolation(msg, field="nickname")
    if (msg := passwords.problem(password, nickname=nickname, email=email)) is not None:
        raise RuleViolation(msg, field="password")
    # Hash before looking the address up: both answers then take the same time (no enumeration by timing).
    password_hash = passwords.hash_password(password)
    existing = by_email(email)
    if existing is not None:
        mail.send(email, "Someone tried to sign up with your email address", "account_exists",
                  user=existing, reset_url=mail.link("accounts.forgot_password"))
        return None
    user = User(display_name=display_name.strip(), nickname=nickname, email=email,
                password_hash=password_hash)
    try:
        with db.session.begin_nested():  # a parallel sign-up may have taken the nickname or email just now
            db.session.add(user)
    except IntegrityError:
        if by_email(email) is not None:
            return None  # the same answer as for an existing address
        raise RuleViolation("This nickname is taken. Choose another.", field="nickname") from None
    send_confirmation(user, next_path)
    return user


def send_confirmation(user: User, next_path: str = "") -> None:
    """Mail the confirmation link; ``next_path`` (a same-site path: where they were going when they signed up)
    travels inside the signed token, so confirming and the first sign-in take them back there."""
    payload = {"uid": user.id, "email": user.email}
    if next_path:
        payload["next"] = next_path[:500]
    token = tokens.make("confirm", payload)
    mail.send(user.email, "Confirm your email address", "confirm",
              user=user, url=mail.link("accounts.confirm", token=token))


def confirmation_next(token: str) -> str:
    """Where the person was going when they signed up (from the confirmation token), or ""."""
    data = tokens.read("confirm", token) or {}
    return str(data.get("next") or "")


def confirm_email(token: str) -> User:
    data = tokens.read("confirm", token)
    user = db.session.get(User, data["uid"]) if data else None
    if user is None or user.email != data.get("email"):
        raise RuleViolation("This confirmation link is not valid or has expired. Sign in to get a new one.")
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    invitations.apply(user)  # a role offered to this address by email is taken now
    return user


# Sign-in and throttling ----------------------------------------------------------------------------------


def _account_key(email: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, normalise_email(email).encode(), hashlib.sha256).hexdigest()


def _throttle_wait(account_key: str, address: str) -> int:
    """Minutes to wait before another attempt, or 0."""
    cfg = current_app.config
    window = timedelta(minutes=cfg["SIGNIN_WINDOW_MINUTES"])
    since = utcnow() - window
    waits = []
    for column, value in ((SigninFailure.account_key, account_key), (SigninFailure.address, address)):
        count, oldest = db.session.execute(
            select(func.count(), func.min(SigninFailure.at)).where(column == value, SigninFailure.at >= since)
        ).one()
        if count >= cfg["SIGNIN_MAX_FAILURES"]:
            remaining = (oldest + window) - utcnow()
            waits.append(max(1, math.ceil(remaining.total_seconds() / 60)))
    return max(waits, default=0)


@dataclass
class SigninResult:
    user: User | None
    error: str | None = None


GENERIC_SIGNIN_ERROR = "The email address or password is not right."


def sign_in(email: str, password: str, address: str) -> User:
    """Check the credentials; raise TooManyAttempts or RuleViolation with a message that never
    says whether the account exists."""
    key = _account_key(email)
    wait = _throttle_wait(key, address)
    if wait:
        logs.security("signin.throttled", email=email, address=address, wait_minutes=wait)
        raise TooManyAttempts(f"Too many failed attempts. Try again in {wait} minute{'s' if wait != 1 else ''}.")
    user = by_email(email)
    ok = passwords.verify(user.password_hash if user else None, password)
    if not ok or user is None:
        db.session.add(SigninFailure(account_key=key, address=address[:64]))
        logs.security("signin.failed", user_id=user.id if user else None, email=email, address=address)
        if _throttle_wait(key, address):
            logs.security("signin.locked", user_id=user.id if user else None, email=email, address=address,
                          minutes=current_app.config["SIGNIN_WINDOW_MINUTES"])
        raise RuleViolation(GENERIC_SIGNIN_ERROR, field="password")
    if user.blocked_at is not None:
        logs.security("signin.blocked_account", user_id=user.id, address=address)
        raise AccountBlocked(BLOCKED)
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    db.session.execute(delete(SigninFailure).where(SigninFailure.account_key == key))
    user.first_sign_in = user.last_signin_at is None  # not a column: the page welcomes them, not "back"
    user.last_signin_at = utcnow()
    return user


def sign_out(user: User) -> None:
    """End the account's sessions on the server side: a copied ``session`` or ``remember_token`` cookie stops
    working (the session token is part of both). Every other device of the account is signed out too."""
    user.session_token = new_session_token()


# Password reset and changes ------------------------------------------------------------------------------


def request_password_reset(email: str) -> None:
    """Send a reset link if the account exists; the caller says the same thing either way."""
    user = by_email(email)
    if user is None or not user.is_active:
        return
    token = tokens.make("reset", {"uid": user.id, "fp": tokens.fingerprint(user.password_hash)})
    mail.send(user.email, "Reset your password", "reset_password",
              user=user, url=mail.link("accounts.reset_password", token=token))


def user_for_reset(token: str) -> User:
    data = tokens.read("reset", token, max_age=60 * 60)
    user = db.session.get(User, data["uid"]) if data else None
    if user is None or not user.is_active or tokens.fingerprint(user.password_hash) != data.get("fp"):
        raise RuleViolation("This reset link is not valid, has been used or has expired. Ask for a new one.")
    return user


def set_password(user: User, password: str) -> None:
    if (msg := passwords.problem(password, nickname=user.nickname, email=user.email or "")) is not None:
        raise RuleViolation(msg, field="password")
    user.password_hash = passwords.hash_password(password)
    user.session_token = new_session_token()  # sign out every other session
    api_tokens.revoke_all(user)  # and whatever a token lets act as the person: the page and the mail say so


def reset_password(user: User, password: str) -> None:
    """Set the password from a reset link (see :func:`user_for_reset`); the link proved the address."""
    set_password(user, password)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    invitations.apply(user)


def change_password(user: User, current: str, new: str) -> None:
    if user.password_hash and not passwords.verify(user.password_hash, current):
        raise RuleViolation("Your current password is not right.", field="current_password")
    set_password(user, new)
    mail.send(user.email, "Your password was changed", "password_changed", user=user)


def request_email_change(user: User, new_email: str, password: str) -> None:
    new_email = normalise_email(new_email)
    if user.password_hash and not passwords.verify(user.password_hash, password):
        raise RuleViolation("Your password is not right.", field="password")
    if new_email == user.email:
        raise RuleViolation("This is already your email address.", field="email")
    user.pending_email = new_email
    if by_email(new_email) is not None:
        return  # say nothing more: the address belongs to someone else and no link is sent
    token = tokens.make("email", {"uid": user.id, "email": new_email})
    mail.send(new_email, "Confirm your new email address", "confirm_new_email",
              user=user, url=mail.link("accounts.confirm_new_email", token=token))


def confirm_new_email(token: str) -> User:
    data = tokens.read("email", token)
    user = db.session.get(User, data["uid"]) if data else None
    if user is None or user.pending_email != data.get("email"):
        raise RuleViolation("This link is not valid or has expired.")
    if by_email(data["email"]) is not None:
        raise RuleViolation("This email address is already used by another account.")
    old = user.email
    user.email = data["email"]
    user.pending_email = None
    user.email_confirmed_at = utcnow()
    if old:
        mail.send(old, "Your email address was changed", "email_changed", user=user, new_email=user.email)
    invitations.apply(user)
    return user


def delete_account(user: User, password: str | None) -> None:
    """Anonymise the account: content stays, attributed to "Deleted participant"."""
    if user.password_hash and not passwords.verify(user.password_hash, password or ""):
        raise RuleViolation("Your password is not right.", field="password")
    user.display_name = "Deleted participant"
    user.nickname = f"deleted_{user.id}_{secrets.token_hex(3)}"
    user.email = None
    user.pending_email = None
    user.password_hash = None
    user.session_token = new_session_token()
    user.deleted_at = utcnow()
    user.role_rows.clear()
    user.ward_id = None
    db.session.execute(delete(UserIdentity).where(UserIdentity.user_id == user.id))
    # The register entry this account verified with stays claimed by it: when the same resident verifies a new
    # account with it, the deleted account's participation moves there (civic.verification.services), so one
    # register entry never gives a second budget.
    lifecycle.run("deleted", user)


def update_profile(user: User, display_name: str) -> None:
    if not display_name.strip():
        raise RuleViolation("Enter your name.", field="display_name")
    user.display_name = display_name.strip()


# Roles -------------------------------------------------------------------------------------------------


def grant_role(actor: User, user: User, role: str, reason: str = "") -> None:
    policy.require(actor, "roles.grant", user)
    if role not in roles.GRANTABLE:
        raise RuleViolation(f"{role!r} cannot be granted here.", field="role")
    before = sorted(user.role_names)
    if role in user.role_names:
        raise RuleViolation(f"@{user.nickname} already has the role {roles.LABELS[role]}.", field="role")
    user.role_rows.append(UserRole(role=role, granted_by_id=actor.id))
    db.session.flush()
    audit(actor, "role.grant", "user", user.id, label=f"@{user.nickname}",
          before={"roles": before}, after={"roles": sorted(user.role_names)}, reason=reason)
    logs.security("role.granted", user_id=user.id, role=role, by_user_id=actor.id)
    _tell_role_change(actor, user, role, granted=True, reason=reason)


def remove_role(actor: User, user: User, role: str, reason: str = "") -> None:
    policy.require(actor, "roles.grant", user)
    if role not in roles.GRANTABLE:
        raise RuleViolation(f"{role!r} cannot be removed here.", field="role")
    if role == roles.ADMIN and user.id == actor.id:
        raise RuleViolation("You cannot remove your own administrator role.", field="role")
    before = sorted(user.role_names)
    rows = [r for r in user.role_rows if r.role == role]
    if not rows:
        raise RuleViolation(f"@{user.nickname} does not have the role {roles.LABELS[role]}.", field="role")
    for row in rows:
        user.role_rows.remove(row)
    db.session.flush()
    audit(actor, "role.remove", "user", user.id, label=f"@{user.nickname}",
          before={"roles": before}, after={"roles": sorted(user.role_names)}, reason=reason)
    logs.security("role.removed", user_id=user.id, role=role, by_user_id=actor.id)
    _tell_role_change(actor, user, role, granted=False, reason=reason)


def _tell_role_change(actor: User, user: User, role: str, *, granted: bool, reason: str) -> None:
    """Mail the person whose role changed (after the commit), naming the role, who changed it and why."""
    if not user.email or user.deleted_at is not None:
        return
    label = roles.LABELS[role]
    subject = f"You are now {_article(label)} {label}" if granted else f"Your {label} role was removed"
    mail.send(user.email, subject, "role_changed", user=user, role=label, granted=granted,
              actor=actor.public_name, reason=reason, url=mail.link("accounts.account"))


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def users_query(*, text: str = "", role: str = "", ward_id: int | None = None, status: str = ""):
    """The admin's user search (a statement to paginate)."""
    stmt = select(User).order_by(User.created_at.desc(), User.id.desc())
    if text:
        like = f"%{text.strip().lower()}%"
        stmt = stmt.where(User.nickname.like(like) | User.email.like(like)
                          | func.lower(User.display_name).like(like))
    if role and role in roles.STORED:
        stmt = stmt.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    if ward_id:
        stmt = stmt.where(User.ward_id == ward_id)
    if status == "blocked":
        stmt = stmt.where(User.blocked_at.is_not(None))
    elif status == "unconfirmed":
        stmt = stmt.where(User.email_confirmed_at.is_(None), User.deleted_at.is_(None))
    elif status == "deleted":
        stmt = stmt.where(User.deleted_at.is_not(None))
    elif status == "active":
        stmt = stmt.where(User.blocked_at.is_(None), User.deleted_at.is_(None))
    return stmt


# OpenID Connect ----------------------------------------------------------------------------------------


def _free_nickname(base: str) -> str:
    base = re.sub(r"[^a-z0-9_]", "_", base.lower())[:24].strip("_") or "resident"
    if len(base) < 3:
        base = f"{base}_resident"
    if base.startswith("deleted_"):  # reserved for deleted accounts: no suffix would ever make it free
        base = f"user_{base}"[:24]
    candidate = base
    for _ in range(20):
        if nickname_problem(candidate) is None:
            return candidate
        candidate = f"{base}_{secrets.randbelow(10000):04d}"
    return f"resident_{secrets.token_hex(6)}"


def sign_in_with_oidc(issuer: str, claims: dict) -> User:
    """Find the user for an OpenID identity; on first sign-in link by verified email, or create one."""
    subject = str(claims.get("sub") or "")
    if not subject:
        raise RuleViolation("The sign-in provider did not say who you are. Please try again.")
    identity = db.session.scalar(
        select(UserIdentity).where(UserIdentity.issuer == issuer, UserIdentity.subject == subject))
    if identity is not None:
        user = db.session.get(User, identity.user_id)
    else:
        email = normalise_email(str(claims.get("email") or ""))
        if not email or claims.get("email_verified") is not True:
            raise RuleViolation(
                "Your provider did not confirm your email address, so we cannot sign you in with it. "
                "Sign up with email and password instead.")
        user = by_email(email)
        if user is None:
            name = str(claims.get("name") or claims.get("preferred_username") or email.split("@")[0])[:80]
            user = User(display_name=name, email=email, email_confirmed_at=utcnow(), password_hash=None,
                        nickname=_free_nickname(str(claims.get("preferred_username") or email.split("@")[0])))
            db.session.add(user)
            db.session.flush()
        elif user.email_confirmed_at is None:
            # The provider verified the address; whoever registered it here never did. Drop what they set
            # (password, pending email change) and their sessions, so an account made in someone else's
            # name before they arrived does not stay open to its maker.
            user.email_confirmed_at = utcnow()
            user.password_hash = None
            user.pending_email = None
            user.session_token = new_session_token()
        identity = UserIdentity(user_id=user.id, issuer=issuer, subject=subject)
        db.session.add(identity)
    if user is None or user.deleted_at is not None:
        raise RuleViolation("This account no longer exists.")
    if user.blocked_at is not None:
        raise AccountBlocked(BLOCKED)
    identity.last_used_at = utcnow()
    user.last_signin_at = utcnow()
    invitations.apply(user)
    return user


# People as a resource: others follow them ---------------------------------------------------------------------

PERSON = resources.register(resources.ResourceType(
    "user", User, "Person", url=resources.Link("accounts.profile", "nickname", "nickname"),
    title=lambda u: u.public_name, visible=lambda user, u: u.deleted_at is None and u.blocked_at is None,
    space=lambda u: "People you follow", follows=resources.FollowHooks()))
