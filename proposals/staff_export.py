"""The staff export of a process's proposals: everything the public download has not (the answer's cost and
delivery note, who answered and when, the author, moderation), for the council's own reports. Officers only,
never open data, never cached; CSV, with an Excel variant (``?excel=1``, a byte order mark).

Rows are read in batches (``yield_per``), each batch's categories in one query, as the public export does.
Drafts stay private to their authors and are not in it; withdrawn and hidden proposals are, with a column
saying so.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import aliased

from civic.accounts.models import User
from civic.db import db
from civic.exports import timestamp as iso
from civic.spaces.models import Ward
from proposals.models import Category, Proposal, ProposalCategoryLink

BATCH = 500
FIELDS = ("id", "title", "url", "ward", "categories", "state", "hidden", "author", "published_at",
          "supports_count", "threshold_reached_at", "comments_count", "endorsements_count", "answer_state",
          "answer_text", "answer_cost_gbp", "answer_delivery", "answered_at", "answered_by")
#: Cells people wrote (a spreadsheet must not run them as formulas).
GUARDED = [name in ("title", "categories", "answer_text", "answer_delivery", "author", "answered_by", "ward")
           for name in FIELDS]


def rows(process_id: int) -> Iterator[list[Any]]:
    author, officer = aliased(User), aliased(User)
    stmt = (select(Proposal.id, Proposal.title, Ward.name, Proposal.state, Proposal.hidden_at, author.nickname,
                   Proposal.published_at, Proposal.supports_count, Proposal.threshold_reached_at,
                   Proposal.comments_count, Proposal.endorsements_count, Proposal.answer_state,
                   Proposal.answer_text, Proposal.answer_cost, Proposal.answer_delivery, Proposal.answered_at,
                   officer.nickname)
            .join(Ward, Ward.id == Proposal.ward_id)
            .join(author, author.id == Proposal.author_id)
            .outerjoin(officer, officer.id == Proposal.answered_by_id)
            .where(Proposal.process_id == process_id, Proposal.state != "draft")
            .order_by(Proposal.id)
            .execution_options(yield_per=BATCH))
    url = url_for("proposals.show", proposal_id=0, _external=True)
    prefix, suffix = url.rsplit("0", 1)
    for batch in db.session.execute(stmt).partitions():
        names: dict[int, list[str]] = {}
        for pid, name in db.session.execute(
                select(ProposalCategoryLink.proposal_id, Category.name)
                .join(Category, Category.id == ProposalCategoryLink.category_id)
                .where(ProposalCategoryLink.proposal_id.in_([r[0] for r in batch])).order_by(Category.name)):
            names.setdefault(pid, []).append(name)
        for (pid, title, ward, state, hidden_at, author_name, published_at, supports, reached, comments,
             endorsements, answer_state, answer_text, cost, delivery, answered_at, officer_name) in batch:
            yield [pid, title, f"{prefix}{pid}{suffix}", ward, "; ".join(names.get(pid, [])), state,
                   "yes" if hidden_at else "no", author_name or "", iso(published_at) or "", supports,
                   iso(reached) or "", comments, endorsements, answer_state, answer_text,
                   f"{cost:.2f}" if cost is not None else "", delivery, iso(answered_at) or "", officer_name or ""]
