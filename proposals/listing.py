"""The list of a process's proposals: its filters (text, ward, state, category), its orders and one page of it.

``listing()`` runs a fixed number of queries whatever the page or the size of the process (tested). The filters
are values: views (and the API) parse them from the query string and pass a ``Filters``; nothing here reads the
request.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Select, cast, func, literal, or_, select

from civic import search
from civic.api import Cursor, KeysetPage, keyset, keyset_query
from civic.db import Page, db
from civic.spaces.models import Process
from proposals.answers import ANSWER_LABELS
from proposals.models import ANSWER_STATES, Category, Proposal, ProposalCategoryLink

PER_PAGE = 20
#: The list's text filter takes at most this many of the search's best matches (and every literal match).
SEARCH_LIMIT = 1000
#: The listing's state filter: the council's answer, or the author's withdrawal.
STATE_FILTERS = {**ANSWER_LABELS, "withdrawn": "Withdrawn"}
ORDERS = {"random": "Random", "most_supported": "Most supported", "newest": "Newest",
          "most_commented": "Most commented"}


@dataclass
class Filters:
    q: str = ""
    ward_id: int | None = None
    state: str | None = None  # an answer state, or "withdrawn"
    category: str | None = None  # a Category slug of the process
    order: str = "random"  # one of ORDERS, or "id" (the API's: oldest first by id)
    #: Changed at this time or later: published, edited, answered, past the threshold or withdrawn.
    updated_since: datetime | None = None

    @property
    def active(self) -> bool:
        return bool(self.q or self.ward_id or self.state or self.category or self.updated_since)


def conditions(process: Process, f: Filters) -> list[ColumnElement[bool]]:
    """The filtered set: the process's public proposals (never drafts or hidden ones)."""
    where: list[ColumnElement[bool]] = [Proposal.process_id == process.id, Proposal.hidden_at.is_(None)]
    if f.state == "withdrawn":
        where.append(Proposal.state == "withdrawn")
    else:
        where.append(Proposal.state == "published")
        if f.state in ANSWER_STATES:
            where.append(Proposal.answer_state == f.state)
    if f.ward_id:
        where.append(Proposal.ward_id == f.ward_id)
    if f.category:
        where.append(Proposal.id.in_(
            select(ProposalCategoryLink.proposal_id)
            .join(Category, Category.id == ProposalCategoryLink.category_id)
            .where(Category.process_id == process.id, Category.slug == f.category)))
    if f.updated_since is not None:
        since = f.updated_since
        where.append(or_(*(column >= since for column in (
            Proposal.updated_at, Proposal.published_at, Proposal.answered_at, Proposal.threshold_reached_at,
            Proposal.withdrawn_at))))
    q = " ".join((f.q or "").split()).lower()
    if q:
        # The platform's search (stemming: "cycling" finds "cycle lane"), and the words as written, so the list
        # still finds what the index has not caught up with yet.
        found = search.matching_ids("proposal", q, parent=f"process:{process.id}", limit=SEARCH_LIMIT)
        words = or_(func.lower(Proposal.title).contains(q, autoescape=True),
                    func.lower(Proposal.body).contains(q, autoescape=True))
        where.append(or_(words, Proposal.id.in_(found)) if found else words)
    return where


#: A prime above any id we will see; every value below stays under it, so each square stays below 2^62.
RANDOM_PRIME = 2_147_483_647


def random_order(seed: int) -> ColumnElement[Any]:
    """A shuffled but repeatable order of ids for one visitor (same seed, same order, on every database).

    ``x -> (x * a + b) mod P`` spreads the ids, then two rounds of ``y -> (y * y + c) mod P`` mix them. Affine
    rounds alone are not enough: two of them make one, which keeps consecutive ids in an arithmetic progression
    (in order about one visit in ten); the squares break it. Products stay below 2^63, so BIGINT arithmetic is
    exact on SQLite and PostgreSQL. Ties (rare: squaring is not one-to-one) are broken by id by the caller.
    """
    rng = random.Random(seed)
    a, b, c, d = (rng.randrange(1, RANDOM_PRIME) for _ in range(4))
    big = lambda n: literal(n, BigInteger)  # noqa: E731
    p = big(RANDOM_PRIME)
    spread = (cast(Proposal.id, BigInteger) * big(a) + big(b)) % p
    mixed = (spread * spread + big(c)) % p
    return (mixed * mixed + big(d)) % p


def _ordered(stmt: Select, order: str, seed: int) -> Select:
    if order == "most_supported":
        return stmt.order_by(Proposal.supports_count.desc(), Proposal.id.desc())
    if order == "newest":
        return stmt.order_by(Proposal.published_at.desc(), Proposal.id.desc())
    if order == "id":
        return stmt.order_by(Proposal.id)
    if order == "most_commented":
        return stmt.order_by(Proposal.comments_count.desc(), Proposal.id.desc())
    return stmt.order_by(random_order(seed), Proposal.id)


@dataclass
class Listing:
    page: Page
    located: int  # how many of the filtered set have a point on the map


def listing(process: Process, f: Filters, page: int = 1, per_page: int = PER_PAGE, seed: int = 0) -> Listing:
    """One page of the filtered set, in three queries (plus one each for its categories and authors' roles)."""
    where = conditions(process, f)
    total, located = db.session.execute(
        select(func.count(), func.count(Proposal.latitude)).select_from(Proposal).where(*where)).one()
    page = max(1, min(page, max(1, math.ceil(total / per_page))))
    # Order and cut the page on ids alone (a narrow sort, even in random order at 20,000 proposals), then load
    # just those rows: one query more, whatever the size.
    ids = db.session.scalars(_ordered(select(Proposal.id).where(*where), f.order, seed)
                             .limit(per_page).offset((page - 1) * per_page)).all()
    by_id = {p.id: p for p in db.session.scalars(select(Proposal).where(Proposal.id.in_(ids)))} if ids else {}
    items = [by_id[i] for i in ids if i in by_id]
    return Listing(Page(items=items, page=page, per_page=per_page, total=total), located)


def keyset_listing(process: Process, f: Filters, cursor: Cursor, per_page: int = PER_PAGE
                   ) -> tuple[KeysetPage, int, int]:
    """A keyset page of the filtered set in id order (stable while proposals and comments are added), with the
    set's size and how many have a point; a fixed number of queries, like :func:`listing`."""
    where = conditions(process, f)
    total, located = db.session.execute(
        select(func.count(), func.count(Proposal.latitude)).select_from(Proposal).where(*where)).one()
    page = keyset(keyset_query(select(Proposal.id).where(*where), Proposal.id), cursor, per_page,
                  key=lambda ident: ident)
    ids = page.items
    by_id = {p.id: p for p in db.session.scalars(select(Proposal).where(Proposal.id.in_(ids)))} if ids else {}
    page.items = [by_id[i] for i in ids if i in by_id]
    return page, total, located
