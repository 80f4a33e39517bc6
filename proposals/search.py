"""Proposals in the platform's search (declared in ``proposals/manifest.py``)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, lazyload

from civic import search
from civic.spaces.models import Process
from proposals.answers import ANSWER_LABELS
from proposals.models import Proposal
from proposals.resource import PROPOSAL


def _document(proposal: Proposal) -> search.Document | None:
    """Published (or withdrawn) proposals that moderation has not hidden, in a published process."""
    if not proposal.is_visible or proposal.process.published_at is None:
        return None
    process = proposal.process
    return search.Document(
        title=proposal.title, body=search.plain(f"{proposal.body}\n\n{proposal.address}"),
        ward=proposal.ward.slug, programme=process.programme.slug if process.programme else None,
        state="withdrawn" if proposal.state == "withdrawn" else proposal.answer_state,
        date=proposal.published_at, parent=f"process:{proposal.process_id}")


def _load(session: Session, ids: Sequence[int]) -> list[Proposal]:
    """Only what a document needs: the process (with its programme) and the ward, in one query."""
    return list(session.scalars(
        select(Proposal).where(Proposal.id.in_(list(ids)))
        .options(lazyload("*"), joinedload(Proposal.ward),
                 joinedload(Proposal.process).options(lazyload("*"), joinedload(Process.programme)))
        .execution_options(populate_existing=True)).unique())  # the rows as they are now, not the session's copy


def _children(parent_type: str, ids: Sequence[int]):
    if parent_type == "process":
        return select(Proposal.id).where(Proposal.process_id.in_(list(ids)))
    return None


PROPOSALS = search.SearchType(
    name="proposal", label="Proposal", plural="Proposals", model=Proposal, to_document=_document, load=_load,
    url=PROPOSAL.url, children=_children,
    indexed_columns=frozenset({"title", "body", "address", "ward_id", "state", "answer_state", "published_at",
                               "withdrawn_at", "hidden_at", "process_id"}),
    states={**ANSWER_LABELS, "withdrawn": "Withdrawn"}, position=20)

