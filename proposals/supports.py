"""Supports: who may support a proposal, supporting and withdrawing a support, and the viewer's support panel.

Every rule lives here once; the HTML views and the JSON API call these functions.

How the support counts stay right under concurrency:

* ``support_budgets`` has one row per participant and process. Supporting increments it with
  ``UPDATE ... SET used = used + 1 WHERE id = :id AND used < :limit``; the database serialises the row, so
  parallel requests never pass the limit, and the row lock also serialises one participant's supports
  (the minimum-supports bookkeeping below relies on that).
* ``supports`` is unique per proposal and participant: a double click inserts once; the loser gives its
  budget back.
* ``proposals.supports_count`` (counted supports only) is only ever changed in SQL (``SET n = n + 1``), never
  read-modify-written in Python.
* A closing threshold is never passed: every increment is conditional (``WHERE supports_count < threshold``),
  including the one that makes a participant's waiting supports count when they reach the minimum (rows locked
  in id order first); a waiting support whose proposal closed meanwhile stays given but uncounted.
* Each write runs inside a savepoint: a refusal raised halfway leaves nothing behind, even though the view
  turns it into a redirect (which commits the request).
* Locks are always taken in the same order: the participant's budget row, their support rows, then
  proposal rows (several at once in id order), so two requests never wait on each other in a circle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import url_for
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from civic import events
from civic.accounts.models import User
from civic.db import db, utcnow
from civic.errors import PermissionDenied, RuleViolation
from civic.spaces.models import Process
from civic.spaces.services import is_open, require_phase
from proposals.models import Proposal, ProposalSettings, Support, SupportBudget, execute
from proposals.policy import SIGN_IN, Refusal, person_refusal, phase_refusal, proposal_refusal, refuse, signed_in
from proposals.settings import settings_for

# Who may support --------------------------------------------------------------------------------------------


def support_refusal(user: Any, proposal: Proposal, settings: ProposalSettings) -> Refusal | None:
    """Why ``user`` may not support ``proposal`` now (None when they may). No query."""
    refusal = (proposal_refusal(proposal, "supported") or phase_refusal(proposal.process, "support")
               or person_refusal(user, "support"))
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


# Supporting -------------------------------------------------------------------------------------------------


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
    reached = execute(update(Proposal).where(Proposal.id.in_(ids), Proposal.threshold_reached_at.is_(None),
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
    execute(update(Proposal).where(Proposal.id.in_(ids)).values(supports_count=Proposal.supports_count + delta))
    for proposal_id in ids:
        proposal = db.session.identity_map.get(db.session.identity_key(Proposal, proposal_id))
        if proposal is not None:
            db.session.expire(proposal, ["supports_count"])


def _grow_counts(ids: list[int], settings: ProposalSettings) -> list[int]:
    """``supports_count += 1`` on several proposals, never past a closing threshold; returns the ids that grew.

    The rows are locked in id order first, so the condition is judged on each row's latest committed count."""
    if not (settings.close_at_threshold and settings.threshold):
        _change_counts(ids, +1)
        return ids
    _lock_proposals(ids)
    grown = execute(update(Proposal).where(Proposal.id.in_(ids), Proposal.supports_count < settings.threshold)
                    .values(supports_count=Proposal.supports_count + 1).returning(Proposal.id)).scalars().all()
    for proposal_id in ids:
        proposal = db.session.identity_map.get(db.session.identity_key(Proposal, proposal_id))
        if proposal is not None:
            db.session.expire(proposal, ["supports_count"])
    return sorted(grown)


def support(user: User, proposal: Proposal) -> bool:
    """Support ``proposal``. True when a support was added, False when the user already supported it.

    Raises RuleViolation (with the reason for the person) when they may not, PermissionDenied when signed out.
    """
    if not signed_in(user):
        raise PermissionDenied(SIGN_IN)
    require_phase(proposal.process, "support")
    settings = settings_for(proposal.process)
    refusal = support_refusal(user, proposal, settings)
    if refusal:
        refuse(refusal)
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
    used = execute(spend.values(used=SupportBudget.used + 1).returning(SupportBudget.used)).scalar_one_or_none()
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
        execute(update(SupportBudget).where(SupportBudget.id == budget_id)
                 .values(used=SupportBudget.used - 1))
        return False
    if not counted:
        return True
    if minimum and used == minimum:
        # They have just reached the minimum: all their supports in the process count from now on, except on
        # proposals that a closing threshold shut meanwhile (those stay given but uncounted).
        mine = (Support.user_id == user.id, Support.process_id == proposal.process_id, Support.counted.is_(False))
        ids = sorted({*db.session.scalars(select(Support.proposal_id).where(*mine)), proposal.id})
        execute(update(Support).where(*mine).values(counted=True))
        grown = _grow_counts(ids, settings)
        if proposal.id not in grown:  # someone else's support closed it a moment ago: undo (savepoint)
            raise RuleViolation(f"This proposal has reached its threshold of {settings.threshold:,} supports, "
                                "so supporting it is closed.")
        shut = [pid for pid in ids if pid not in grown]
        if shut:
            execute(update(Support).where(Support.user_id == user.id, Support.proposal_id.in_(shut))
                     .values(counted=False))
        _mark_threshold(grown, settings)
        return True
    if settings.close_at_threshold and settings.threshold:
        grow = update(Proposal).where(Proposal.id == proposal.id, Proposal.supports_count < settings.threshold)
    else:
        grow = update(Proposal).where(Proposal.id == proposal.id)
    count = execute(grow.values(supports_count=Proposal.supports_count + 1)
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
    if not signed_in(user):
        raise PermissionDenied(SIGN_IN)
    require_phase(proposal.process, "support")
    settings = settings_for(proposal.process)
    with db.session.begin_nested():
        return _remove_support(user, proposal, settings)


def _remove_support(user: User, proposal: Proposal, settings: ProposalSettings) -> bool:
    # The budget row first (the same lock order as supporting), then the support, then the proposals.
    budget = (SupportBudget.process_id == proposal.process_id, SupportBudget.user_id == user.id)
    used = execute(update(SupportBudget).where(*budget, SupportBudget.used > 0)
                    .values(used=SupportBudget.used - 1).returning(SupportBudget.used)).scalar_one_or_none()
    counted = execute(delete(Support).where(Support.proposal_id == proposal.id, Support.user_id == user.id)
                       .returning(Support.counted)).scalar_one_or_none()
    if counted is None:  # nothing to withdraw (or a parallel click withdrew it)
        if used is not None:
            execute(update(SupportBudget).where(*budget).values(used=SupportBudget.used + 1))
        return False
    minimum = settings.min_supports
    if minimum and used is not None and used == minimum - 1:
        # Below the minimum again: none of their supports count any more. (The support withdrawn may itself be
        # uncounted although they had reached the minimum: its proposal had closed at its threshold first.)
        mine = (Support.user_id == user.id, Support.process_id == proposal.process_id, Support.counted.is_(True))
        ids = sorted({*db.session.scalars(select(Support.proposal_id).where(*mine))}
                     | ({proposal.id} if counted else set()))
        execute(update(Support).where(*mine).values(counted=False))
        if ids:
            _change_counts(ids, -1)
        return True
    if not counted:
        return True
    count = execute(update(Proposal).where(Proposal.id == proposal.id)
                     .values(supports_count=Proposal.supports_count - 1)
                     .returning(Proposal.supports_count)).scalar_one()
    set_committed_value(proposal, "supports_count", count)
    return True


# The viewer's support panel ---------------------------------------------------------------------------------


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


def build_support_panel(user: Any, proposal: Proposal, settings: ProposalSettings, counted: bool | None,
                         used: int | None) -> SupportPanel:
    viewer_signed_in = signed_in(user)
    used = used or 0
    supported = counted is not None
    refusal = support_refusal(user, proposal, settings)
    if refusal is None and not supported and settings.support_limit and used >= settings.support_limit:
        refusal = Refusal("limit", f"You have used all {settings.support_limit} of your supports in this "
                                   "process. Withdraw one of them to support this proposal.")
    # The budget matters to those who may support now (or could, after withdrawing another support).
    support_open = is_open(proposal.process, "support")
    relevant = viewer_signed_in and support_open and (
        supported or refusal is None or refusal.code in ("limit", "threshold", "ward"))
    budget_text, minimum_text = _budget_texts(used, settings.support_limit, settings.min_supports) \
        if relevant else ("", "")
    return SupportPanel(
        count=proposal.supports_count, threshold=settings.threshold,
        reached=bool(settings.threshold and proposal.threshold_reached_at is not None),
        closed=threshold_closed(proposal, settings), supported=supported, counted=bool(counted), used=used,
        limit=settings.support_limit, minimum=settings.min_supports, refusal=refusal,
        can_withdraw=supported and viewer_signed_in and support_open, budget_text=budget_text,
        minimum_text=minimum_text)


def support_panel(user: Any, proposal: Proposal, settings: ProposalSettings | None = None) -> SupportPanel:
    """The viewer's support state alone (for the JSON API): 1 query, plus 1 when ``settings`` is not given."""
    settings = settings or settings_for(proposal.process)
    counted = used = None
    if signed_in(user):
        counted, used = db.session.execute(select(
            select(Support.counted).where(Support.proposal_id == proposal.id, Support.user_id == user.id)
            .scalar_subquery(),
            select(SupportBudget.used).where(SupportBudget.process_id == proposal.process_id,
                                             SupportBudget.user_id == user.id).scalar_subquery(),
        )).one()
    return build_support_panel(user, proposal, settings, counted, used)


# The viewer's supports: the page that lists them (with "Withdraw") and the links to it -----------------------


@dataclass
class SupportedProposal:
    proposal: Proposal
    counted: bool
    hidden: bool  # hidden by moderation meanwhile: listed (it uses a support), not linked


@dataclass
class SupportedList:
    items: list[SupportedProposal]
    used: int
    limit: int
    can_withdraw: bool  # supporting (and so withdrawing) is open in the process now

    @property
    def heading(self) -> str:
        if self.limit:
            return f"Proposals you support ({len(self.items)} of {self.limit})"
        return f"Proposals you support ({len(self.items)})"


def supported_in(user: User, process: Any) -> SupportedList:
    """The proposals this person supports in ``process``, newest support first: 2 queries, whatever the count."""
    settings = settings_for(process)
    rows = db.session.execute(
        select(Proposal, Support.counted).join(Support, Support.proposal_id == Proposal.id)
        .where(Support.user_id == user.id, Support.process_id == process.id)
        .order_by(Support.created_at.desc(), Support.id.desc())).all()
    items = [SupportedProposal(p, counted, p.hidden_at is not None) for p, counted in rows]
    return SupportedList(items=items, used=len(items), limit=settings.support_limit,
                         can_withdraw=is_open(process, "support"))


def account_links(user: Any, process: Any = None) -> list[tuple[str, str]]:
    """Links to the person's supports for the account page (every process they support in) and a process's page
    (that process): ``[(text, url)]``. One query."""
    if not signed_in(user):
        return []
    counted = (select(Process.slug, Process.title, ProposalSettings.support_limit, func.count(Support.id))
               .join(Support, Support.process_id == Process.id)
               .outerjoin(ProposalSettings, ProposalSettings.process_id == Process.id)
               .where(Support.user_id == user.id)
               .group_by(Process.id, Process.slug, Process.title, ProposalSettings.support_limit)
               .order_by(Process.title))
    if process is not None:
        counted = counted.where(Process.id == process.id)
    links = []
    for slug, title, limit, n in db.session.execute(counted):
        of = f"{n} of {limit}" if limit else f"{n}"
        text = f"Proposals you support ({of})" if process is not None \
            else f"Proposals you support in {title} ({of})"
        links.append((text, url_for("proposals.supported", slug=slug)))
    return links
