"""The council's official answer to a proposal: its states and their names, who may answer and when, the answer.

``ANSWER_LABELS`` is the one place the states are named for people: the proposal page, the list's badges and
state filter, the map, search and the officers' form all read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete

from civic import events, policy
from civic.accounts.models import User
from civic.audit import audit
from civic.db import db, utcnow
from civic.errors import RuleViolation
from proposals.models import ANSWER_STATES, AnswerDraft, Proposal
from proposals.policy import Refusal, phase_refusal

ANSWER_LABELS = {
    "not_answered": "Not answered yet",
    "evaluating": "Being evaluated",
    "accepted": "Accepted",
    "rejected": "Rejected",
}
ANSWER_TEXT_MAX = 20_000
DELIVERY_MAX = 5_000
COST_MAX = Decimal("9999999999.99")  # Numeric(12, 2)


@dataclass
class AnswerPanel:
    """The answer as the proposal page shows it, and whether the viewer may answer (and if not now, why)."""

    state: str
    label: str
    may_answer: bool
    refusal: Refusal | None


def answer_refusal(proposal: Proposal) -> Refusal | None:
    """Why officers cannot answer ``proposal`` now (phase, draft). No query."""
    if proposal.state == "draft":
        return Refusal("draft", "Drafts cannot be answered: the author has not published it.")
    return phase_refusal(proposal.process, "answer")


def answer_panel(user: Any, proposal: Proposal) -> AnswerPanel:
    """No query."""
    return AnswerPanel(state=proposal.answer_state, label=ANSWER_LABELS[proposal.answer_state],
                       may_answer=policy.can(user, "proposal.answer", proposal), refusal=answer_refusal(proposal))


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


def _validated(officer: User, proposal: Proposal, state: str, text: str, cost: Any,
               delivery: str) -> tuple[str, str, Decimal | None, str]:
    """The answer as it will be kept, or the first refusal (the same rules for a draft and a published answer)."""
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
    return state, text, value, delivery


def draft_of(officer: User, proposal: Proposal) -> AnswerDraft | None:
    """The answer saved as a draft for ``proposal``, for officers only (one query)."""
    policy.require(officer, "proposal.answer", proposal)
    return db.session.get(AnswerDraft, proposal.id)


def save_draft(officer: User, proposal: Proposal, state: str, text: str, cost: Any = None,
               delivery: str = "") -> AnswerDraft:
    """Keep an answer as a draft: the proposal's answer does not change, nobody is told, residents see nothing.
    The same rules as :func:`answer`; a second draft replaces the first. Audit-logged (staff only read it)."""
    state, text, value, delivery = _validated(officer, proposal, state, text, cost, delivery)
    draft = db.session.get(AnswerDraft, proposal.id)
    if draft is None:
        draft = AnswerDraft(proposal_id=proposal.id)
        db.session.add(draft)
    draft.state, draft.text, draft.cost, draft.delivery = state, text, value, delivery
    draft.officer_id, draft.saved_at = officer.id, utcnow()
    db.session.flush()
    audit(officer, "proposal.answer_draft", "proposal", proposal.id, label=proposal.title,
          after={"state": state, "text": text, "cost": str(value) if value is not None else None,
                 "delivery": delivery})
    return draft


def answer(officer: User, proposal: Proposal, state: str, text: str, cost: Any = None, delivery: str = "") -> None:
    """Set the official answer (audit-logged, ``proposal.answered`` published); a draft of it is done with."""
    state, text, value, delivery = _validated(officer, proposal, state, text, cost, delivery)
    db.session.execute(delete(AnswerDraft).where(AnswerDraft.proposal_id == proposal.id))
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
