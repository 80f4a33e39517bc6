"""Rules for supports (limits, minimum, threshold), endorsements, official answers and settings.

Every rule lives here once; the HTML views (``participation_views``) and the JSON API call these functions.

How the support counts stay right under concurrency:

* ``support_budgets`` has one row per participant and process. Supporting increments it with
  ``UPDATE ... SET used = used + 1 WHERE id = :id AND used < :limit``; the database serialises the row, so
  parallel requests never pass the limit, and the row lock also serialises one participant's supports
  (the minimum-supports bookkeeping below relies on that).
* ``supports`` is unique per proposal and participant: a double click inserts once; the loser gives its
  budget back.
* ``proposals.supports_count`` (counted supports only) and ``endorsements_count`` are only ever changed in
  SQL (``SET n = n + 1``), never read-modify-written in Python.
* Each write runs inside a savepoint: a refusal raised halfway leaves nothing behind, even though the view
  turns it into a redirect (which commits the request).
* Locks are always taken in the same order: the participant's budget row, their support rows, then
  proposal rows (several at once in id order), so two requests never wait on each other in a circle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import has_request_context, request
from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from civic import events, policy
from civic.accounts.models import User
from civic.audit import audit
from civic.db import Page, db, paginate, utcnow
from civic.errors import NotFound, PermissionDenied, RuleViolation
from civic.groups.models import Group, Membership
from civic.groups.services import is_organiser
from civic.slugs import slugify
from civic.spaces.models import Process
from civic.spaces.services import is_open, require_phase
from proposals.models import (
    ANSWER_STATES,
    Category,
    Endorsement,
    Proposal,
    ProposalSettings,
    Support,
    SupportBudget,
)

ANSWER_LABELS = {
    "not_answered": "Not answered yet",
    "evaluating": "Being evaluated",
    "accepted": "Accepted",
    "rejected": "Rejected",
}
#: The settings officers may change, in the order of the settings page.
SETTING_FIELDS = ("support_limit", "min_supports", "threshold", "close_at_threshold", "proposal_limit",
                  "verified_only", "ward_only", "edit_window_minutes")
NUMBER_FIELDS = ("support_limit", "min_supports", "threshold", "proposal_limit", "edit_window_minutes")
NUMBER_MAX = 100_000
ANSWER_TEXT_MAX = 20_000
DELIVERY_MAX = 5_000
COST_MAX = Decimal("9999999999.99")  # Numeric(12, 2)
CATEGORY_NAME_MAX = 80
ENDORSEMENTS_PER_PAGE = 50
CATEGORIES_PER_PAGE = 50

SIGN_IN = "Please sign in first."


# Policy -----------------------------------------------------------------------------------------------------


@policy.rule("proposal.answer")
def _may_answer(user: User, _proposal: Any) -> bool | str:
    return user.is_officer or "Only council officers can answer proposals."


@policy.rule("proposal.settings")
def _may_change_settings(user: User, _process: Any) -> bool | str:
    return user.is_officer or "Only council officers can change the proposal settings of a process."


# Settings ---------------------------------------------------------------------------------------------------


def _defaults() -> dict[str, Any]:
    columns = ProposalSettings.__table__.columns
    return {name: columns[name].default.arg for name in SETTING_FIELDS}


def settings_for(process: Process) -> ProposalSettings:
    """The process's settings, or (not saved) the model's defaults when officers never set them. One query."""
    found = db.session.scalar(select(ProposalSettings).where(ProposalSettings.process_id == process.id))
    return found if found is not None else ProposalSettings(process_id=process.id, **_defaults())


def get_or_create_settings(process: Process) -> ProposalSettings:
    """The process's settings row, created with the model's defaults if missing (safe when two race)."""
    found = db.session.scalar(select(ProposalSettings).where(ProposalSettings.process_id == process.id))
    if found is not None:
        return found
    try:
        with db.session.begin_nested():
            row = ProposalSettings(process_id=process.id, **_defaults())
            db.session.add(row)
    except IntegrityError:
        row = db.session.scalars(select(ProposalSettings).where(ProposalSettings.process_id == process.id)).one()
    return row


def process_by_slug(slug: str) -> Process:
    process = db.session.scalar(select(Process).where(Process.slug == slug))
    if process is None:
        raise NotFound("We could not find that process.")
    return process


def _clean_settings(values: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name in SETTING_FIELDS:
        value = values.get(name)
        if name in NUMBER_FIELDS:
            try:
                number = int(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise RuleViolation("Enter a whole number (0 or more).", field=name) from None
            if number < 0:
                raise RuleViolation("Enter 0 or a larger whole number.", field=name)
            if number > NUMBER_MAX:
                raise RuleViolation(f"Enter a number up to {NUMBER_MAX:,}.", field=name)
            clean[name] = number
        else:
            clean[name] = bool(value)
    if clean["support_limit"] and clean["min_supports"] > clean["support_limit"]:
        raise RuleViolation(
            f"The minimum ({clean['min_supports']}) cannot be more than the support limit "
            f"({clean['support_limit']}): nobody could reach it.", field="min_supports")
    if clean["close_at_threshold"] and not clean["threshold"]:
        raise RuleViolation("Set a threshold above 0 to close supporting when it is reached.",
                            field="close_at_threshold")
    if clean["ward_only"] and not clean["verified_only"]:
        raise RuleViolation("Residents get their ward when they verify their residency: to limit supports to "
                            "the proposal's ward, also allow only verified residents.", field="ward_only")
    return clean


def update_settings(officer: User, process: Process, **values: Any) -> ProposalSettings:
    """Save the process's proposal settings (audit-logged); recount supports if the minimum or threshold moved."""
    policy.require(officer, "proposal.settings", process)
    clean = _clean_settings(values)
    row = get_or_create_settings(process)
    before = {name: getattr(row, name) for name in SETTING_FIELDS}
    changed = {name: value for name, value in clean.items() if before[name] != value}
    if not changed:
        return row
    for name, value in changed.items():
        setattr(row, name, value)
    db.session.flush()
    if "min_supports" in changed or "threshold" in changed:
        _recount(process.id, row)
    audit(officer, "proposal.settings", "process", process.id, label=process.title,
          before={name: before[name] for name in changed}, after=changed)
    return row


def _recount(process_id: int, settings: ProposalSettings) -> None:
    """Recompute which supports count and every proposal's count, after officers changed the rules."""
    minimum = settings.min_supports
    in_process = Support.process_id == process_id
    if minimum:
        reached = select(SupportBudget.user_id).where(SupportBudget.process_id == process_id,
                                                      SupportBudget.used >= minimum)
        _execute(update(Support).where(in_process, Support.user_id.in_(reached)).values(counted=True))
        _execute(update(Support).where(in_process, Support.user_id.not_in(reached)).values(counted=False))
    else:
        _execute(update(Support).where(in_process, Support.counted.is_(False)).values(counted=True))
    counted = (select(func.count(Support.id)).where(Support.proposal_id == Proposal.id, Support.counted.is_(True))
               .scalar_subquery())
    _execute(update(Proposal).where(Proposal.process_id == process_id).values(supports_count=counted))
    if settings.threshold:
        _execute(update(Proposal).where(Proposal.process_id == process_id,
                                        Proposal.supports_count < settings.threshold,
                                        Proposal.threshold_reached_at.is_not(None))
                 .values(threshold_reached_at=None))
        _execute(update(Proposal).where(Proposal.process_id == process_id,
                                        Proposal.supports_count >= settings.threshold,
                                        Proposal.threshold_reached_at.is_(None))
                 .values(threshold_reached_at=utcnow()))
    # Proposals already in the session must not show the old figures.
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Proposal) and obj.process_id == process_id:
            db.session.expire(obj, ["supports_count", "threshold_reached_at"])


# Categories -------------------------------------------------------------------------------------------------


def categories_page(process: Process, page: int) -> Page:
    stmt = select(Category).where(Category.process_id == process.id).order_by(Category.name, Category.id)
    return paginate(stmt, page, CATEGORIES_PER_PAGE)


def _category_name(name: str | None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise RuleViolation("Enter the category's name.", field="name")
    if len(name) > CATEGORY_NAME_MAX:
        raise RuleViolation(f"Keep the name to {CATEGORY_NAME_MAX} characters or fewer.", field="name")
    slug = slugify(name)
    if not slug:
        raise RuleViolation("Use at least one letter or digit in the name.", field="name")
    return name


def _save_category(category: Category, name: str) -> None:
    try:
        with db.session.begin_nested():
            category.name = name
            category.slug = slugify(name)
            db.session.add(category)
    except IntegrityError:
        raise RuleViolation(f"There is already a category called “{name}” in this process.", field="name") from None


def add_category(officer: User, process: Process, name: str) -> Category:
    policy.require(officer, "proposal.settings", process)
    name = _category_name(name)
    category = Category(process_id=process.id)
    _save_category(category, name)
    audit(officer, "proposal.category_add", "process", process.id, label=process.title, after={"category": name})
    return category


def get_category(process: Process, category_id: int) -> Category:
    category = db.session.get(Category, category_id)
    if category is None or category.process_id != process.id:
        raise NotFound("We could not find that category.")
    return category


def rename_category(officer: User, category: Category, name: str) -> Category:
    process = db.session.get(Process, category.process_id)
    policy.require(officer, "proposal.settings", process)
    name = _category_name(name)
    old = category.name
    if name == old:
        return category
    _save_category(category, name)
    audit(officer, "proposal.category_rename", "process", category.process_id,
          label=process.title if process else "", before={"category": old}, after={"category": name})
    return category


def remove_category(officer: User, category: Category) -> None:
    """Remove a category; proposals keep everything else (their links go with it)."""
    process = db.session.get(Process, category.process_id)
    policy.require(officer, "proposal.settings", process)
    name, process_id = category.name, category.process_id
    _execute(delete(Category).where(Category.id == category.id))
    db.session.expunge(category)
    audit(officer, "proposal.category_remove", "process", process_id, label=process.title if process else "",
          before={"category": name})


# Who may support --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """Why someone cannot do something, for the page (with an optional link) and for the error message."""

    code: str
    message: str
    action_text: str = ""

    def __str__(self) -> str:
        return f"{self.message} {self.action_text}." if self.action_text else self.message


def _signed_in(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and getattr(user, "id", None) is not None


def _phase_refusal(process: Process, action: str) -> Refusal | None:
    try:
        require_phase(process, action)
    except RuleViolation as e:
        return Refusal("phase", e.message)
    return None


def _proposal_refusal(proposal: Proposal, doing: str) -> Refusal | None:
    if proposal.state == "draft":
        return Refusal("draft", f"Only published proposals can be {doing}.")
    if proposal.state == "withdrawn":
        return Refusal("withdrawn", f"This proposal was withdrawn by its author, so it can no longer be {doing}.")
    if proposal.hidden_at is not None:
        return Refusal("hidden", f"This proposal was hidden by a moderator, so it cannot be {doing}.")
    return None


def _person_refusal(user: Any, doing: str) -> Refusal | None:
    if not _signed_in(user):
        return Refusal("sign_in", f"Sign in to {doing} this proposal.")
    if not user.is_active:
        return Refusal("inactive", "Your account cannot do this.")
    if not user.email_confirmed:
        return Refusal("confirm", "Please confirm your email address first.")
    return None


def support_refusal(user: Any, proposal: Proposal, settings: ProposalSettings) -> Refusal | None:
    """Why ``user`` may not support ``proposal`` now (None when they may). No query."""
    refusal = (_proposal_refusal(proposal, "supported") or _phase_refusal(proposal.process, "support")
               or _person_refusal(user, "support"))
    if refusal:
        return refusal
    if settings.verified_only and not user.is_verified:
        return Refusal("verify", "Only verified residents can support.", "Verify your residency")
    if settings.ward_only and user.ward_id != proposal.ward_id:
        ward = proposal.ward.name if proposal.ward else "the proposal's ward"
        if user.ward_id is None:
            return Refusal("verify", f"Only residents of {ward} can support this proposal.",
                           "Verify your residency")
        return Refusal("ward", f"Only residents of {ward} can support this proposal.")
    if threshold_closed(proposal, settings):
        return Refusal("threshold", f"This proposal has reached its threshold of {settings.threshold:,} supports, "
                                    "so supporting it is closed.")
    return None


def threshold_closed(proposal: Proposal, settings: ProposalSettings) -> bool:
    return bool(settings.close_at_threshold and settings.threshold and proposal.supports_count >= settings.threshold)


def _raise(refusal: Refusal) -> None:
    if refusal.code == "sign_in":
        raise PermissionDenied(SIGN_IN)
    raise RuleViolation(str(refusal))


def _execute(stmt: Any) -> Any:
    return db.session.execute(stmt.execution_options(synchronize_session=False))


# Supports ---------------------------------------------------------------------------------------------------


def _budget_id(process_id: int, user_id: int) -> int:
    """The participant's budget row in the process, created if missing (a racing creator wins, we re-read)."""
    where = (SupportBudget.process_id == process_id, SupportBudget.user_id == user_id)
    found = db.session.scalar(select(SupportBudget.id).where(*where))
    if found is not None:
        return found
    try:
        with db.session.begin_nested():
            return db.session.execute(insert(SupportBudget).values(process_id=process_id, user_id=user_id, used=0)
                                      .returning(SupportBudget.id)).scalar_one()
    except IntegrityError:
        return db.session.scalars(select(SupportBudget.id).where(*where)).one()


def _lock_proposals(ids: list[int]) -> None:
    """Lock several proposal rows in id order before a multi-row UPDATE (no deadlock between two such)."""
    db.session.execute(select(Proposal.id).where(Proposal.id.in_(ids)).order_by(Proposal.id)
                       .with_for_update(key_share=True))


def _mark_threshold(ids: list[int], settings: ProposalSettings) -> None:
    """Set ``threshold_reached_at`` once (conditional UPDATE) and tell the core."""
    if not settings.threshold or not ids:
        return
    now = utcnow()
    reached = _execute(update(Proposal).where(Proposal.id.in_(ids), Proposal.threshold_reached_at.is_(None),
                                              Proposal.supports_count >= settings.threshold)
                       .values(threshold_reached_at=now).returning(Proposal.id)).scalars().all()
    for proposal_id in reached:
        proposal = db.session.get(Proposal, proposal_id)
        if proposal is not None:
            set_committed_value(proposal, "threshold_reached_at", now)
            events.publish("proposal.threshold_reached", proposal, threshold=settings.threshold)


def _change_counts(ids: list[int], delta: int) -> None:
    """``supports_count += delta`` in SQL on several proposals; the session's copies are refreshed lazily."""
    if len(ids) > 1:
        _lock_proposals(ids)
    _execute(update(Proposal).where(Proposal.id.in_(ids)).values(supports_count=Proposal.supports_count + delta))
    for proposal_id in ids:
        proposal = db.session.identity_map.get(db.session.identity_key(Proposal, proposal_id))
        if proposal is not None:
            db.session.expire(proposal, ["supports_count"])


def support(user: User, proposal: Proposal) -> bool:
    """Support ``proposal``. True when a support was added, False when the user already supported it.

    Raises RuleViolation (with the reason for the person) when they may not, PermissionDenied when signed out.
    """
    if not _signed_in(user):
        raise PermissionDenied(SIGN_IN)
    require_phase(proposal.process, "support")
    settings = settings_for(proposal.process)
    refusal = support_refusal(user, proposal, settings)
    if refusal:
        _raise(refusal)
    if db.session.scalar(select(Support.id).where(Support.proposal_id == proposal.id,
                                                  Support.user_id == user.id)) is not None:
        return False
    with db.session.begin_nested():
        return _add_support(user, proposal, settings)


def _add_support(user: User, proposal: Proposal, settings: ProposalSettings) -> bool:
    budget_id = _budget_id(proposal.process_id, user.id)
    limit = settings.support_limit
    spend = update(SupportBudget).where(SupportBudget.id == budget_id)
    if limit > 0:
        spend = spend.where(SupportBudget.used < limit)
    used = _execute(spend.values(used=SupportBudget.used + 1).returning(SupportBudget.used)).scalar_one_or_none()
    if used is None:
        raise RuleViolation(f"You have used all {limit} of your supports in this process.")
    minimum = settings.min_supports
    counted = minimum == 0 or used >= minimum
    try:
        with db.session.begin_nested():
            db.session.execute(insert(Support).values(proposal_id=proposal.id, user_id=user.id,
                                                      process_id=proposal.process_id, counted=counted))
    except IntegrityError:
        # A double click: the other request already supported it. Give the budget back.
        _execute(update(SupportBudget).where(SupportBudget.id == budget_id)
                 .values(used=SupportBudget.used - 1))
        return False
    if not counted:
        return True
    if minimum and used == minimum:
        # They have just reached the minimum: all their supports in the process count from now on.
        mine = (Support.user_id == user.id, Support.process_id == proposal.process_id, Support.counted.is_(False))
        ids = sorted({*db.session.scalars(select(Support.proposal_id).where(*mine)), proposal.id})
        _execute(update(Support).where(*mine).values(counted=True))
        _change_counts(ids, +1)
        _mark_threshold(ids, settings)
        return True
    if settings.close_at_threshold and settings.threshold:
        grow = update(Proposal).where(Proposal.id == proposal.id, Proposal.supports_count < settings.threshold)
    else:
        grow = update(Proposal).where(Proposal.id == proposal.id)
    count = _execute(grow.values(supports_count=Proposal.supports_count + 1)
                     .returning(Proposal.supports_count)).scalar_one_or_none()
    if count is None:  # someone else's support closed it a moment ago
        raise RuleViolation(f"This proposal has reached its threshold of {settings.threshold:,} supports, "
                            "so supporting it is closed.")
    set_committed_value(proposal, "supports_count", count)
    if settings.threshold and count >= settings.threshold and proposal.threshold_reached_at is None:
        _mark_threshold([proposal.id], settings)
    return True


def support_counts(user: User, proposal: Proposal) -> bool:
    """Whether the user's support of ``proposal`` counts now (False while below the minimum, or none)."""
    return bool(db.session.scalar(select(Support.counted).where(Support.proposal_id == proposal.id,
                                                                Support.user_id == user.id)))


def unsupport(user: User, proposal: Proposal) -> bool:
    """Withdraw the user's support. True when there was one to withdraw."""
    if not _signed_in(user):
        raise PermissionDenied(SIGN_IN)
    require_phase(proposal.process, "support")
    settings = settings_for(proposal.process)
    with db.session.begin_nested():
        return _remove_support(user, proposal, settings)


def _remove_support(user: User, proposal: Proposal, settings: ProposalSettings) -> bool:
    # The budget row first (the same lock order as supporting), then the support, then the proposals.
    budget = (SupportBudget.process_id == proposal.process_id, SupportBudget.user_id == user.id)
    used = _execute(update(SupportBudget).where(*budget, SupportBudget.used > 0)
                    .values(used=SupportBudget.used - 1).returning(SupportBudget.used)).scalar_one_or_none()
    counted = _execute(delete(Support).where(Support.proposal_id == proposal.id, Support.user_id == user.id)
                       .returning(Support.counted)).scalar_one_or_none()
    if counted is None:  # nothing to withdraw (or a parallel click withdrew it)
        if used is not None:
            _execute(update(SupportBudget).where(*budget).values(used=SupportBudget.used + 1))
        return False
    if not counted:
        return True
    minimum = settings.min_supports
    if minimum and used is not None and used == minimum - 1:
        # Below the minimum again: none of their supports count any more.
        mine = (Support.user_id == user.id, Support.process_id == proposal.process_id, Support.counted.is_(True))
        ids = sorted({*db.session.scalars(select(Support.proposal_id).where(*mine)), proposal.id})
        _execute(update(Support).where(*mine).values(counted=False))
        _change_counts(ids, -1)
        return True
    count = _execute(update(Proposal).where(Proposal.id == proposal.id)
                     .values(supports_count=Proposal.supports_count - 1)
                     .returning(Proposal.supports_count)).scalar_one()
    set_committed_value(proposal, "supports_count", count)
    return True


# Endorsements -----------------------------------------------------------------------------------------------


def endorse_refusal(user: Any, proposal: Proposal) -> Refusal | None:
    """Why ``user`` may not endorse ``proposal`` now (as anyone). No query."""
    return (_proposal_refusal(proposal, "endorsed") or _phase_refusal(proposal.process, "endorse")
            or _person_refusal(user, "endorse"))


def _endorser_key(user: User, group: Group | None) -> str:
    return f"g:{group.id}" if group is not None else f"u:{user.id}"


def _require_endorser(user: User, proposal: Proposal, group: Group | None) -> None:
    if not _signed_in(user):
        raise PermissionDenied(SIGN_IN)
    require_phase(proposal.process, "endorse")
    refusal = endorse_refusal(user, proposal)
    if refusal:
        _raise(refusal)
    if group is not None and not is_organiser(user, group):
        raise RuleViolation(f"Only organisers of {group.name} can endorse proposals for it.")


def endorse(user: User, proposal: Proposal, group: Group | None = None) -> bool:
    """Endorse publicly, as the user or as a group they organise. False when already endorsed."""
    _require_endorser(user, proposal, group)
    try:
        with db.session.begin_nested():
            db.session.execute(insert(Endorsement).values(
                proposal_id=proposal.id, user_id=user.id, group_id=group.id if group is not None else None,
                endorser_key=_endorser_key(user, group)))
            count = _execute(update(Proposal).where(Proposal.id == proposal.id)
                             .values(endorsements_count=Proposal.endorsements_count + 1)
                             .returning(Proposal.endorsements_count)).scalar_one()
    except IntegrityError:
        return False
    set_committed_value(proposal, "endorsements_count", count)
    return True


def unendorse(user: User, proposal: Proposal, group: Group | None = None) -> bool:
    """Withdraw the user's (or their group's) endorsement. False when there was none."""
    _require_endorser(user, proposal, group)
    with db.session.begin_nested():
        gone = _execute(delete(Endorsement).where(Endorsement.proposal_id == proposal.id,
                                                  Endorsement.endorser_key == _endorser_key(user, group))
                        .returning(Endorsement.id)).scalar_one_or_none()
        if gone is None:
            return False
        count = _execute(update(Proposal).where(Proposal.id == proposal.id)
                         .values(endorsements_count=Proposal.endorsements_count - 1)
                         .returning(Proposal.endorsements_count)).scalar_one()
    set_committed_value(proposal, "endorsements_count", count)
    return True


def endorsements_page(proposal: Proposal, page: int) -> Page:
    """Public list of endorsers (people and groups), oldest first; two queries."""
    stmt = (select(Endorsement).where(Endorsement.proposal_id == proposal.id)
            .options(joinedload(Endorsement.user).lazyload(User.role_rows))
            .order_by(Endorsement.created_at, Endorsement.id))
    return paginate(stmt, page, ENDORSEMENTS_PER_PAGE)


# Official answers -------------------------------------------------------------------------------------------


def answer_refusal(proposal: Proposal) -> Refusal | None:
    """Why officers cannot answer ``proposal`` now (phase, draft). No query."""
    if proposal.state == "draft":
        return Refusal("draft", "Drafts cannot be answered: the author has not published it.")
    return _phase_refusal(proposal.process, "answer")


def _clean_cost(cost: Any) -> Decimal | None:
    if cost is None or (isinstance(cost, str) and not cost.strip()):
        return None
    raw = cost if isinstance(cost, Decimal | int) else str(cost).strip().removeprefix("£").replace(",", "").strip()
    try:
        value = Decimal(raw)
    except (InvalidOperation, ValueError):
        raise RuleViolation("Enter the cost in pounds, like 12500 or 12,500.50.", field="cost") from None
    if not value.is_finite():
        raise RuleViolation("Enter the cost in pounds, like 12500 or 12,500.50.", field="cost")
    if value < 0:
        raise RuleViolation("The cost cannot be negative.", field="cost")
    if value > COST_MAX:
        raise RuleViolation("That cost is too large.", field="cost")
    return value.quantize(Decimal("0.01"))


def _answer_record(proposal: Proposal) -> dict[str, Any]:
    return {"state": proposal.answer_state, "text": proposal.answer_text,
            "cost": str(proposal.answer_cost) if proposal.answer_cost is not None else None,
            "delivery": proposal.answer_delivery}


def answer(officer: User, proposal: Proposal, state: str, text: str, cost: Any = None, delivery: str = "") -> None:
    """Set the official answer (audit-logged, ``proposal.answered`` published)."""
    policy.require(officer, "proposal.answer", proposal)
    refusal = answer_refusal(proposal)
    if refusal:
        raise RuleViolation(refusal.message)
    if state not in ANSWER_STATES:
        raise RuleViolation("Choose the state of the proposal.", field="state")
    text = (text or "").strip()
    delivery = (delivery or "").strip()
    if state != "not_answered" and not text:
        raise RuleViolation("Write the answer: residents see it on the proposal's page.", field="text")
    if len(text) > ANSWER_TEXT_MAX:
        raise RuleViolation(f"Keep the answer to {ANSWER_TEXT_MAX:,} characters or fewer.", field="text")
    if len(delivery) > DELIVERY_MAX:
        raise RuleViolation(f"Keep the delivery note to {DELIVERY_MAX:,} characters or fewer.", field="delivery")
    value = _clean_cost(cost)
    if state != "accepted":
        value, delivery = None, ""
    before = _answer_record(proposal)
    proposal.answer_state = state
    proposal.answer_text = text
    proposal.answer_cost = value
    proposal.answer_delivery = delivery
    after = _answer_record(proposal)
    if before == after:
        return
    if state == "not_answered":
        proposal.answered_at, proposal.answered_by_id = None, None
    else:
        proposal.answered_at, proposal.answered_by_id = utcnow(), officer.id
    db.session.flush()
    audit(officer, "proposal.answer", "proposal", proposal.id, label=proposal.title, before=before, after=after)
    if state != "not_answered":
        events.publish("proposal.answered", proposal, state=state, officer_id=officer.id)


# The proposal page ------------------------------------------------------------------------------------------


@dataclass
class SupportPanel:
    count: int
    threshold: int
    reached: bool
    closed: bool
    supported: bool
    counted: bool
    used: int
    limit: int
    minimum: int
    refusal: Refusal | None
    can_withdraw: bool
    budget_text: str = ""
    minimum_text: str = ""

    @property
    def progress(self) -> int:
        return min(self.count, self.threshold)

    @property
    def count_text(self) -> str:
        noun = "support" if (self.threshold or self.count) == 1 else "supports"
        if self.threshold:
            return f"{self.count:,} of {self.threshold:,} {noun}"
        return f"{self.count:,} {noun}"


@dataclass
class EndorsementPanel:
    page: Page
    refusal: Refusal | None
    endorsed_as_self: bool = False
    #: (group, already endorsed by it) for each group the viewer organises.
    groups: list[tuple[Group, bool]] = field(default_factory=list)


@dataclass
class AnswerPanel:
    state: str
    label: str
    may_answer: bool
    refusal: Refusal | None


def _budget_texts(used: int, limit: int, minimum: int) -> tuple[str, str]:
    budget = ""
    if limit:
        left = max(0, limit - used)
        budget = (f"You have used {used} of your {limit} supports in this process; "
                  f"{left} {'is' if left == 1 else 'are'} left.")
    minimum_text = ""
    if minimum:
        if used >= minimum:
            minimum_text = f"You have given {used}; your supports count."
        else:
            minimum_text = f"You have given {used} of {minimum}; your supports count from {minimum}."
    return budget, minimum_text


def _endorsements_page_arg() -> int:
    if not has_request_context():
        return 1
    raw = request.args.get("endorsements_page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100000 else 1


def _build_support_panel(user: Any, proposal: Proposal, settings: ProposalSettings, counted: bool | None,
                         used: int | None) -> SupportPanel:
    signed_in = _signed_in(user)
    used = used or 0
    supported = counted is not None
    refusal = support_refusal(user, proposal, settings)
    if refusal is None and not supported and settings.support_limit and used >= settings.support_limit:
        refusal = Refusal("limit", f"You have used all {settings.support_limit} of your supports in this "
                                   "process. Withdraw one of them to support this proposal.")
    # The budget matters to those who may support now (or could, after withdrawing another support).
    support_open = is_open(proposal.process, "support")
    relevant = signed_in and support_open and (
        supported or refusal is None or refusal.code in ("limit", "threshold", "ward"))
    budget_text, minimum_text = _budget_texts(used, settings.support_limit, settings.min_supports) \
        if relevant else ("", "")
    return SupportPanel(
        count=proposal.supports_count, threshold=settings.threshold,
        reached=bool(settings.threshold and proposal.threshold_reached_at is not None),
        closed=threshold_closed(proposal, settings), supported=supported, counted=bool(counted), used=used,
        limit=settings.support_limit, minimum=settings.min_supports, refusal=refusal,
        can_withdraw=supported and signed_in and support_open, budget_text=budget_text, minimum_text=minimum_text)


def support_panel(user: Any, proposal: Proposal, settings: ProposalSettings | None = None) -> SupportPanel:
    """The viewer's support state alone (for the JSON API): 1 query, plus 1 when ``settings`` is not given."""
    settings = settings or settings_for(proposal.process)
    counted = used = None
    if _signed_in(user):
        counted, used = db.session.execute(select(
            select(Support.counted).where(Support.proposal_id == proposal.id, Support.user_id == user.id)
            .scalar_subquery(),
            select(SupportBudget.used).where(SupportBudget.process_id == proposal.process_id,
                                             SupportBudget.user_id == user.id).scalar_subquery(),
        )).one()
    return _build_support_panel(user, proposal, settings, counted, used)


def page_context(user: Any, proposal: Proposal) -> dict[str, Any]:
    """What the proposal page's support, endorsement and answer partials need, in a fixed number of queries:
    3 for a visitor, 5 for a signed-in person, whatever the number of supports, endorsements or groups."""
    settings = settings_for(proposal.process)  # 1
    counted = used = mine = None
    groups: list[tuple[Group, bool]] = []
    if _signed_in(user):
        # One query for the viewer's support, budget and own endorsement.
        counted, used, mine = db.session.execute(select(  # 2
            select(Support.counted).where(Support.proposal_id == proposal.id, Support.user_id == user.id)
            .scalar_subquery(),
            select(SupportBudget.used).where(SupportBudget.process_id == proposal.process_id,
                                             SupportBudget.user_id == user.id).scalar_subquery(),
            select(Endorsement.id).where(Endorsement.proposal_id == proposal.id,
                                         Endorsement.endorser_key == f"u:{user.id}").scalar_subquery(),
        )).one()
        # The groups they organise, and whether each already endorses the proposal.
        rows = db.session.execute(  # 3
            select(Group, Endorsement.id)
            .join(Membership, and_(Membership.group_id == Group.id, Membership.user_id == user.id,
                                   Membership.role == "organiser", Membership.status == "active"))
            .outerjoin(Endorsement, and_(Endorsement.group_id == Group.id, Endorsement.proposal_id == proposal.id))
            .order_by(Group.name)).all()
        groups = [(group, endorsement_id is not None) for group, endorsement_id in rows]
    endorse_panel = EndorsementPanel(page=endorsements_page(proposal, _endorsements_page_arg()),  # 4, 5
                                     refusal=endorse_refusal(user, proposal), endorsed_as_self=mine is not None,
                                     groups=groups)
    answer_panel = AnswerPanel(state=proposal.answer_state, label=ANSWER_LABELS[proposal.answer_state],
                               may_answer=policy.can(user, "proposal.answer", proposal),
                               refusal=answer_refusal(proposal))
    return {"proposal_settings": settings,
            "support_panel": _build_support_panel(user, proposal, settings, counted, used),
            "endorse_panel": endorse_panel, "answer_panel": answer_panel, "answer_labels": ANSWER_LABELS}
