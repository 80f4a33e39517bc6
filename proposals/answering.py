"""The officers' answering queue: proposals awaiting an answer across every process, over-threshold first, then
the longest waiting; "Save and next" through it with the filters kept; bulk actions on many at once; the work
queue the officers' home counts (``WORK_QUEUES``, declared in the manifest).

Nothing here reads the request: views parse :class:`QueueFilters` from the query string (``from_args``) and
hand them back to the answer page and the next proposal as query arguments (``as_args``), so the filters stay
set from one answer to the next.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.exc import IntegrityError

from civic import canned, policy
from civic.accounts.models import User
from civic.audit import audit
from civic.db import Page, db, paginate
from civic.errors import DomainError, RuleViolation
from civic.spaces.models import Process, Ward
from civic.web import digits
from civic.workqueues import WorkQueue
from proposals import answers
from proposals.models import AnswerDraft, Category, Proposal, ProposalCategoryLink

PER_PAGE = 25
#: The states the queue shows: waiting for a first answer, or still being evaluated.
QUEUE_STATES = {"not_answered": answers.ANSWER_LABELS["not_answered"],
                "evaluating": answers.ANSWER_LABELS["evaluating"],
                "awaiting": "Not answered yet or being evaluated"}
BULK_LIMIT = 100
ANSWER_TEMPLATES = "proposal.answer"

canned.register_purpose(ANSWER_TEMPLATES, "Answering proposals",
                        "Answer templates officers start from on a proposal's answer page (they edit the text).")


@dataclass(frozen=True)
class QueueFilters:
    state: str = "not_answered"  # one of QUEUE_STATES
    process: str = ""  # a process's slug
    ward_id: int | None = None
    over: bool = False  # only proposals over their threshold
    q: str = ""
    drafts: bool = False  # only proposals with a draft answer (whatever their answer now)

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> QueueFilters:
        state = args.get("state") or "not_answered"
        return cls(state=state if state in QUEUE_STATES else "not_answered",
                   process=(args.get("process") or "").strip()[:100],
                   ward_id=digits(args.get("ward")) or None,
                   over=args.get("over") in ("1", "on", "true"),
                   q=" ".join((args.get("q") or "").split())[:100],
                   drafts=args.get("drafts") in ("1", "on", "true"))

    def as_args(self) -> dict[str, str]:
        """Query arguments that give these filters back (only those set)."""
        out = {"state": self.state} if self.state != "not_answered" else {}
        if self.process:
            out["process"] = self.process
        if self.ward_id:
            out["ward"] = str(self.ward_id)
        if self.over:
            out["over"] = "1"
        if self.q:
            out["q"] = self.q
        if self.drafts:
            out["drafts"] = "1"
        return out


def _awaiting_states(state: str) -> tuple[str, ...]:
    return ("not_answered", "evaluating") if state == "awaiting" else (state,)


def conditions(f: QueueFilters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [Proposal.state == "published", Proposal.hidden_at.is_(None)]
    if f.drafts:  # a draft may change an answer already given: every answer state
        where.append(Proposal.id.in_(select(AnswerDraft.proposal_id)))
    else:
        where.append(Proposal.answer_state.in_(_awaiting_states(f.state)))
    if f.process:
        where.append(Proposal.process_id == select(Process.id).where(Process.slug == f.process).scalar_subquery())
    if f.ward_id:
        where.append(Proposal.ward_id == f.ward_id)
    if f.over:
        where.append(Proposal.threshold_reached_at.is_not(None))
    if f.q:
        like = f"%{f.q.lower()}%"
        where.append(or_(func.lower(Proposal.title).like(like), Proposal.id == (digits(f.q) or -1)))
    return where


def _over_key() -> ColumnElement[int]:
    return case((Proposal.threshold_reached_at.is_not(None), 0), else_=1)


def _ordered(stmt):
    return stmt.order_by(_over_key(), Proposal.published_at, Proposal.id)


def queue(officer: User, f: QueueFilters, page: int) -> Page:
    """One page of the queue, over-threshold first, then oldest first: two queries (the proposal's process,
    ward and author come joined)."""
    policy.require(officer, "proposal.answer")
    return paginate(_ordered(select(Proposal).where(*conditions(f))), page, PER_PAGE)


def drafts_waiting(officer: User) -> int:
    """How many draft answers wait to be published, on proposals residents can see (one query)."""
    policy.require(officer, "proposal.answer")
    return db.session.scalar(select(func.count()).select_from(AnswerDraft).join(
        Proposal, Proposal.id == AnswerDraft.proposal_id).where(
        Proposal.state == "published", Proposal.hidden_at.is_(None))) or 0


def drafts_for(officer: User, proposals: Sequence[Proposal]) -> dict[int, AnswerDraft]:
    """The draft answers of a page of the queue, by proposal id (one query whatever the page)."""
    policy.require(officer, "proposal.answer")
    ids = [p.id for p in proposals]
    if not ids:
        return {}
    return {d.proposal_id: d for d in db.session.scalars(select(AnswerDraft).where(AnswerDraft.proposal_id.in_(ids)))}


def next_after(officer: User, proposal: Proposal, f: QueueFilters) -> Proposal | None:
    """The proposal after ``proposal`` in the queue's order with the same filters (one query), or None."""
    policy.require(officer, "proposal.answer")
    mine = 0 if proposal.threshold_reached_at is not None else 1
    published = proposal.published_at
    after = or_(_over_key() > mine,
                and_(_over_key() == mine,
                     or_(Proposal.published_at > published,
                         and_(Proposal.published_at == published, Proposal.id > proposal.id))))
    stmt = _ordered(select(Proposal).where(*conditions(f), after, Proposal.id != proposal.id)).limit(1)
    return db.session.scalar(stmt)


def filter_choices() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The processes and wards to filter by (two queries)."""
    processes = [("", "Every process")] + [
        (p.slug, p.title) for p in db.session.scalars(select(Process).order_by(Process.title))]
    wards = [("", "Every ward")] + [(str(w.id), w.name) for w in db.session.scalars(select(Ward).order_by(Ward.name))]
    return processes, wards


def categories_of(slug: str) -> list[Category]:
    """The categories of one process (for the bulk "add a category", only when the queue shows one process)."""
    if not slug:
        return []
    return list(db.session.scalars(select(Category).join(Process, Process.id == Category.process_id)
                                   .where(Process.slug == slug).order_by(Category.name)))


# Bulk actions -----------------------------------------------------------------------------------------------

BULK_ACTIONS = {"publish": "Publish their draft answers",
                "evaluating": "Mark as “Being evaluated” with the text below",
                "category": "Add the category chosen below"}


@dataclass
class BulkResult:
    done: list[Proposal]
    refused: list[tuple[Proposal, str]]


def _selected(officer: User, ids: Sequence[int]) -> list[Proposal]:
    policy.require(officer, "proposal.answer")
    ids = sorted({i for i in ids if isinstance(i, int) and 0 < i < 2**31})
    if not ids:
        raise RuleViolation("Tick at least one proposal.", field="ids")
    if len(ids) > BULK_LIMIT:
        raise RuleViolation(f"Choose at most {BULK_LIMIT} proposals at once.", field="ids")
    return list(db.session.scalars(select(Proposal).where(Proposal.id.in_(ids)).order_by(Proposal.id)))


def bulk_evaluating(officer: User, ids: Sequence[int], text: str) -> BulkResult:
    """Mark many proposals "Being evaluated" with one text, each audit-logged and told as one answer is; a proposal
    that cannot be answered now (its phase, a draft) is listed as refused and the others go on."""
    text = (text or "").strip()
    if not text:
        raise RuleViolation("Write the text residents will read on each proposal.", field="text")
    result = BulkResult([], [])
    for proposal in _selected(officer, ids):
        try:
            with db.session.begin_nested():
                answers.answer(officer, proposal, "evaluating", text)
        except DomainError as e:
            result.refused.append((proposal, e.message))
        else:
            result.done.append(proposal)
    return result


def publish_drafts(officer: User, ids: Sequence[int]) -> BulkResult:
    """Publish the draft answers of many proposals together: each is answered as a single answer is (audit entry,
    ``proposal.answered``, so its author and followers are told once each), in a savepoint of its own; a proposal
    without a draft, or that cannot be answered now, is listed as refused and the others go on."""
    proposals = _selected(officer, ids)
    drafts = {d.proposal_id: d for d in db.session.scalars(
        select(AnswerDraft).where(AnswerDraft.proposal_id.in_([p.id for p in proposals])))}
    result = BulkResult([], [])
    for proposal in proposals:
        draft = drafts.get(proposal.id)
        if draft is None:
            result.refused.append((proposal, "It has no draft answer to publish."))
            continue
        try:
            with db.session.begin_nested():
                answers.answer(officer, proposal, draft.state, draft.text, cost=draft.cost,
                               delivery=draft.delivery)
        except DomainError as e:
            result.refused.append((proposal, e.message))
        else:
            result.done.append(proposal)
    return result


def bulk_category(officer: User, ids: Sequence[int], category_id: int | None) -> BulkResult:
    """Add one category to many proposals of its process (audit-logged); proposals of other processes are
    refused, those that already have it are left as they are."""
    category = db.session.get(Category, category_id) if category_id else None
    if category is None:
        raise RuleViolation("Choose the category to add.", field="category")
    result = BulkResult([], [])
    for proposal in _selected(officer, ids):
        if proposal.process_id != category.process_id:
            result.refused.append((proposal, "It is in another process, which does not have this category."))
            continue
        if category in proposal.categories:
            result.done.append(proposal)
            continue
        try:
            with db.session.begin_nested():
                db.session.add(ProposalCategoryLink(proposal_id=proposal.id, category_id=category.id))
                db.session.flush()
        except IntegrityError:  # a concurrent officer added it: the same outcome
            pass
        db.session.expire(proposal, ["categories"])
        audit(officer, "proposal.category_add", "proposal", proposal.id, label=proposal.title,
              after={"category": category.name})
        result.done.append(proposal)
    return result


# The officers' home ---------------------------------------------------------------------------------------


def _over_threshold_count():
    return select(func.count(), func.min(Proposal.threshold_reached_at)).where(
        Proposal.state == "published", Proposal.hidden_at.is_(None), Proposal.answer_state == "not_answered",
        Proposal.threshold_reached_at.is_not(None))


WORK_QUEUES = (
    WorkQueue("proposals.over_threshold", "proposal.answer", "proposals_admin.awaiting",
              "%(n)d proposal over its threshold awaiting an answer",
              "%(n)d proposals over their threshold awaiting an answer", _over_threshold_count, {"over": "1"},
              position=40),
)
