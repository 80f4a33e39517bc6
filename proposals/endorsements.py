"""Endorsements: a public "I back this", by a person or by a community group one of its organisers speaks for.

``proposals.endorsements_count`` changes only in SQL; each write runs in a savepoint, and one endorsement per
person and per group is kept by a unique key (``endorser_key``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from civic.accounts.models import User
from civic.db import Page, db, paginate
from civic.errors import PermissionDenied, RuleViolation
from civic.groups.models import Group
from civic.groups.services import is_organiser
from civic.spaces.services import require_phase
from proposals.models import Endorsement, Proposal, execute
from proposals.policy import SIGN_IN, Refusal, person_refusal, phase_refusal, proposal_refusal, refuse, signed_in

ENDORSEMENTS_PER_PAGE = 50


@dataclass
class EndorsementPanel:
    page: Page
    refusal: Refusal | None
    endorsed_as_self: bool = False
    #: (group, already endorsed by it) for each group the viewer organises.
    groups: list[tuple[Group, bool]] = field(default_factory=list)


def endorse_refusal(user: Any, proposal: Proposal) -> Refusal | None:
    """Why ``user`` may not endorse ``proposal`` now (as anyone). No query."""
    return (proposal_refusal(proposal, "endorsed") or phase_refusal(proposal.process, "endorse")
            or person_refusal(user, "endorse"))


def _endorser_key(user: User, group: Group | None) -> str:
    return f"g:{group.id}" if group is not None else f"u:{user.id}"


def _require_endorser(user: User, proposal: Proposal, group: Group | None) -> None:
    if not signed_in(user):
        raise PermissionDenied(SIGN_IN)
    require_phase(proposal.process, "endorse")
    refusal = endorse_refusal(user, proposal)
    if refusal:
        refuse(refusal)
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
            count = execute(update(Proposal).where(Proposal.id == proposal.id)
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
        gone = execute(delete(Endorsement).where(Endorsement.proposal_id == proposal.id,
                                                  Endorsement.endorser_key == _endorser_key(user, group))
                        .returning(Endorsement.id)).scalar_one_or_none()
        if gone is None:
            return False
        count = execute(update(Proposal).where(Proposal.id == proposal.id)
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
