"""Blocking people and appeals against moderation decisions (a block, or hidden content).

- An officer blocks a person with a justification (at least 15 characters): the person is signed out
  everywhere, cannot sign in, and shows as "Blocked participant". An officer lifts the block with a note.
- The blocked person appeals once per block, WITHOUT signing in (email + password on the appeal form).
- The author of hidden content appeals once per hiding decision (signed in).
- An officer other than the one who acted, and other than the appellant, decides: uphold or reverse, with a
  reason. Nobody judges their own case: an officer never unhides their own content or dismisses its reports
  (moderation services), decides their own appeal, or blocks an officer (nor themselves, nor an admin).
  Reversing lifts the block (or unhides the content) in the same step; the appellant is told by email.
Every officer action is written to the audit log.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from civic import events, mail, policy, resources
from civic.accounts import lifecycle, passwords
from civic.accounts import services as accounts
from civic.accounts.models import SigninFailure, User, new_session_token
from civic.audit import audit
from civic.db import db, utcnow
from civic.errors import NotFound, RuleViolation, TooManyAttempts
from civic.moderation import services as moderation_services
from civic.moderation.models import Appeal, Block, Moderation

MIN_JUSTIFICATION = 15
MAX_TEXT = 5000

events.declare("moderation.user_blocked", "An officer blocked a person (subject: the User; data: block, actor).")
events.declare("moderation.user_unblocked", "A block was lifted (subject: the User; data: block, actor).")
events.declare("moderation.appeal_decided", "An appeal was decided (subject: the Appeal; data: actor).")


# Policy -------------------------------------------------------------------------------------------------------


@policy.rule("moderation.block")
def _may_block(user: Any, target: Any) -> bool | str:
    if not user.is_officer:
        return "Only council officers can do that."
    if target is None:
        return True
    if target.id == user.id:
        return "You cannot block yourself."
    if target.is_admin:
        return "Administrators cannot be blocked."
    if target.is_officer:
        return ("Council officers cannot be blocked, by another officer or by an administrator. An administrator "
                "can remove their officer role first.")
    return True


@policy.rule("moderation.unblock")
def _may_unblock(user: Any, _target: Any) -> bool | str:
    return user.is_officer or "Only council officers can do that."


@policy.rule("moderation.appeals")
def _may_see_appeals(user: Any, _obj: Any) -> bool | str:
    return user.is_officer or "Only council officers can do that."


@policy.rule("moderation.decide_appeal")
def _may_decide(user: Any, appeal: Any) -> bool | str:
    if not user.is_officer:
        return "Only council officers can do that."
    if appeal is not None and appeal.appellant_id == user.id:
        return ("This appeal is your own, about your own content or account, so another officer must decide it. "
                "Ask a colleague to review it.")
    if appeal is not None and acting_officer_id(appeal) == user.id:
        return ("You made the decision under appeal, so another officer must decide this appeal. "
                "Ask a colleague to review it.")
    return True


# Blocking -----------------------------------------------------------------------------------------------------


def active_block(user: User) -> Block | None:
    return db.session.scalar(
        select(Block).where(Block.user_id == user.id, Block.lifted_at.is_(None)).order_by(Block.id.desc()).limit(1))


def _state(user: User) -> dict:
    return {"blocked": user.blocked_at is not None}


def block_user(actor: User, target: User, justification: str) -> Block:
    policy.require(actor, "moderation.block", target)
    justification = (justification or "").strip()
    if target.blocked_at is not None:
        raise RuleViolation(f"@{target.nickname} is already blocked.")
    if len(justification) < MIN_JUSTIFICATION:
        raise RuleViolation(f"Write a justification of at least {MIN_JUSTIFICATION} characters: it is recorded "
                            "and shown to whoever reviews an appeal.", field="justification")
    if len(justification) > MAX_TEXT:
        raise RuleViolation(f"Keep the justification under {MAX_TEXT} characters.", field="justification")
    before = _state(target)
    block = Block(user_id=target.id, blocked_by_id=actor.id, justification=justification)
    db.session.add(block)
    target.blocked_at = utcnow()
    target.session_token = new_session_token()  # signs them out everywhere
    db.session.flush()
    lifecycle.run("blocked", target)
    audit(actor, "user.block", "user", target.id, label=f"@{target.nickname}", before=before,
          after={**_state(target), "block_id": block.id}, reason=justification)
    events.publish("moderation.user_blocked", target, block=block, actor=actor)
    return block


def _lift(actor: User, target: User, block: Block | None) -> None:
    now = utcnow()
    if block is not None:
        block.lifted_at = now
        block.lifted_by_id = actor.id
    target.blocked_at = None


def unblock_user(actor: User, target: User, note: str) -> None:
    policy.require(actor, "moderation.unblock", target)
    note = (note or "").strip()
    if target.blocked_at is None:
        raise RuleViolation(f"@{target.nickname} is not blocked.")
    if not note:
        raise RuleViolation("Write a note saying why the block is lifted, for the audit log.", field="note")
    if len(note) > MAX_TEXT:
        raise RuleViolation(f"Keep the note under {MAX_TEXT} characters.", field="note")
    block = active_block(target)
    before = _state(target)
    _lift(actor, target, block)
    audit(actor, "user.unblock", "user", target.id, label=f"@{target.nickname}", before=before,
          after={**_state(target), "block_id": block.id if block else None}, reason=note)
    events.publish("moderation.user_unblocked", target, block=block, actor=actor)


# Appeals ------------------------------------------------------------------------------------------------------


BAD_CREDENTIALS = "The email address or password is not right."


def _check_statement(statement: str) -> str:
    statement = (statement or "").strip()
    if not statement:
        raise RuleViolation("Write your appeal: say why the decision should be reversed.", field="statement")
    if len(statement) > MAX_TEXT:
        raise RuleViolation(f"Keep your appeal under {MAX_TEXT} characters.", field="statement")
    return statement


def _add_appeal(appeal: Appeal) -> Appeal:
    try:
        with db.session.begin_nested():  # a parallel submission may have made it just now
            db.session.add(appeal)
    except IntegrityError:
        raise RuleViolation("You have already appealed this decision. An officer will reply by email.") from None
    return appeal


def appeal_block(email: str, password: str, statement: str, address: str) -> Appeal:
    """A blocked person appeals their block without signing in: the email and password identify them.

    Failed attempts count towards the same throttle as sign-in, so this form cannot be used to guess passwords.
    """
    key = accounts._account_key(email)
    wait = accounts._throttle_wait(key, address)
    if wait:
        raise TooManyAttempts(f"Too many failed attempts. Try again in {wait} minute{'s' if wait != 1 else ''}.")
    user = accounts.by_email(email or "")
    if not passwords.verify(user.password_hash if user else None, password or "") or user is None:
        db.session.add(SigninFailure(account_key=key, address=address[:64]))
        raise RuleViolation(BAD_CREDENTIALS, field="password")
    block = active_block(user) if user.blocked_at is not None else None
    if block is None:
        raise RuleViolation("This account is not blocked, so there is nothing to appeal. You can sign in.")
    if db.session.scalar(select(Appeal.id).where(Appeal.block_id == block.id)) is not None:
        raise RuleViolation("You have already appealed this block. An officer will reply by email.")
    statement = _check_statement(statement)
    return _add_appeal(Appeal(appellant_id=user.id, block_id=block.id, statement=statement))


def content_author_id(moderation: Moderation) -> int | None:
    """The author of the moderated content (the resource's ``ModerationHooks.author_id``); None when unknown."""
    rt = resources.find(moderation.resource_type)
    if rt is None:
        return None
    obj = db.session.get(rt.model, moderation.resource_id)
    if obj is None:
        return None
    if rt.moderation is None:
        return getattr(obj, "author_id", None)
    return rt.moderation.author_id(obj)


NO_DECISION = "We could not find that decision."


def appealable_decision(user: Any, moderation_id: int) -> Moderation:
    """A moderation decision about this person's own content; someone else's is NotFound, exactly as one that
    does not exist, so the answer never tells whether a decision about someone else exists."""
    moderation = db.session.get(Moderation, moderation_id)
    if moderation is None or content_author_id(moderation) != getattr(user, "id", None):
        raise NotFound(NO_DECISION)
    return moderation


def decision_context(user: Any, moderation: Moderation) -> dict[str, Any]:
    """What the author's appeal page says about the decision: the content (title, link), whether it still waits
    for a moderator (hidden automatically, not yet reviewed) and their appeal if they made one."""
    rt = resources.find(moderation.resource_type)
    obj = db.session.get(rt.model, moderation.resource_id) if rt is not None else None
    appeal = db.session.scalar(select(Appeal).where(Appeal.moderation_id == moderation.id,
                                                    Appeal.appellant_id == getattr(user, "id", None)))
    return {"content_title": rt.title_of(obj) if obj is not None else "",
            "content_url": rt.url_of(obj) if obj is not None else None,
            "waiting": moderation.hidden_by_id is None and moderation.status == "open",
            "appeal": appeal}


def appeal_hidden_content(user: User, moderation: Moderation, statement: str) -> Appeal:
    """The author of hidden content appeals the decision to hide it, once per decision (someone else's: NotFound)."""
    policy.require(user, "account.participate")
    if content_author_id(moderation) != user.id:
        raise NotFound(NO_DECISION)
    if moderation.hidden_at is None:
        raise RuleViolation("This content is not hidden, so there is nothing to appeal.")
    if db.session.scalar(select(Appeal.id).where(Appeal.moderation_id == moderation.id,
                                                 Appeal.appellant_id == user.id)) is not None:
        raise RuleViolation("You have already appealed this decision. An officer will reply by email.")
    statement = _check_statement(statement)
    return _add_appeal(Appeal(appellant_id=user.id, moderation_id=moderation.id, statement=statement))


def acting_officer_id(appeal: Appeal) -> int | None:
    """Who made the decision under appeal (they may not decide the appeal)."""
    if appeal.block_id is not None:
        return db.session.scalar(select(Block.blocked_by_id).where(Block.id == appeal.block_id))
    return db.session.scalar(select(Moderation.hidden_by_id).where(Moderation.id == appeal.moderation_id))


def _unhide(actor: User, moderation: Moderation, reason: str, appeal_id: int | None = None) -> None:
    """Reverse a hide through the moderation service's ``unhide(officer, resource_type, resource_id, note)``."""
    moderation_services.unhide(actor, moderation.resource_type, moderation.resource_id, reason, appeal_id=appeal_id)


OUTCOMES = {"uphold": "upheld", "reverse": "reversed"}


def decide_appeal(actor: User, appeal: Appeal, outcome: str, reason: str) -> Appeal:
    policy.require(actor, "moderation.decide_appeal", appeal)
    if appeal.status != "pending":
        raise RuleViolation("This appeal has already been decided.")
    if outcome not in OUTCOMES:
        raise RuleViolation("Choose whether to uphold or reverse the decision.", field="outcome")
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation("Give the reason for your decision: it is sent to the appellant.", field="reason")
    if len(reason) > MAX_TEXT:
        raise RuleViolation(f"Keep the reason under {MAX_TEXT} characters.", field="reason")
    appellant = db.session.get(User, appeal.appellant_id)
    if outcome == "reverse":
        if appeal.block_id is not None:
            block = db.session.get(Block, appeal.block_id)
            if block is not None and block.lifted_at is None and appellant is not None:
                before = _state(appellant)
                _lift(actor, appellant, block)
                audit(actor, "user.unblock", "user", appellant.id, label=f"@{appellant.nickname}", before=before,
                      after={**_state(appellant), "block_id": block.id}, reason=f"Appeal reversed: {reason}")
                events.publish("moderation.user_unblocked", appellant, block=block, actor=actor)
        else:
            moderation = db.session.get(Moderation, appeal.moderation_id)
            if moderation is not None and moderation.hidden_at is not None:
                _unhide(actor, moderation, f"Appeal reversed: {reason}", appeal.id)
    appeal.status = OUTCOMES[outcome]
    appeal.reason = reason
    appeal.decided_at = utcnow()
    appeal.decided_by_id = actor.id
    audit(actor, f"appeal.{outcome}", "appeal", appeal.id,
          label=f"Appeal by @{appellant.nickname}" if appellant else "Appeal",
          before={"status": "pending"}, after={"status": appeal.status}, reason=reason)
    if appellant is not None and appellant.email:
        mail.send(appellant.email, "Your appeal has been decided", "appeal_decided",
                  user=appellant, appeal=appeal, upheld=appeal.status == "upheld",
                  about="your account being blocked" if appeal.block_id else "the hiding of your content")
    events.publish("moderation.appeal_decided", appeal, actor=actor)
    return appeal


def get_appeal(appeal_id: int) -> Appeal:
    appeal = db.session.get(Appeal, appeal_id)
    if appeal is None:
        raise NotFound("We could not find that appeal.")
    return appeal


def pending_appeals() -> Select:
    """Pending appeals, oldest first, with the appellant, the block and its officer (one query per page)."""
    appellant = aliased(User)
    acted_by = aliased(User)
    return (
        select(Appeal, appellant, Block, Moderation, acted_by)
        .join(appellant, Appeal.appellant_id == appellant.id)
        .outerjoin(Block, Appeal.block_id == Block.id)
        .outerjoin(Moderation, Appeal.moderation_id == Moderation.id)
        .outerjoin(acted_by, acted_by.id == func.coalesce(Block.blocked_by_id, Moderation.hidden_by_id))
        .where(Appeal.status == "pending")
        .order_by(Appeal.created_at, Appeal.id)
    )
