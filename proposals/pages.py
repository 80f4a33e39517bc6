"""Read-models of the proposal page, each in a fixed number of queries (tested): the proposal itself with its
co-authors, the viewer's role and similar proposals (``proposal_view``), and its support, endorsement and
answer panels (``page_context``, also used by the JSON API). The list of proposals is ``proposals.listing``.

Nothing here writes, and nothing reads the request: views pass what they parsed (a page number, a user).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import selectinload

from civic.db import db
from civic.errors import NotFound
from civic.groups.models import Group, Membership
from civic.spaces.services import visible as space_visible
from proposals.answers import answer_panel
from proposals.coauthors import groups_to_name
from proposals.endorsements import EndorsementPanel, endorse_refusal, endorsements_page
from proposals.models import Coauthor, Endorsement, Proposal, ProposalSettings, Support, SupportBudget
from proposals.policy import role_of, signed_in
from proposals.services import edit_deadline, edit_refusal
from proposals.settings import settings_for
from proposals.similar import SimilarProposal, similar, similar_cached
from proposals.supports import build_support_panel


@dataclass
class ProposalView:
    proposal: Proposal
    coauthors: list[Coauthor]
    role: str | None  # the viewer: author, coauthor, invited or None
    settings: ProposalSettings
    hidden_from_viewer: bool = False  # hidden by moderation, and this viewer is not its author or an officer
    edit_refusal: str | None = None  # why the viewer (an author) cannot edit it now
    edit_deadline: datetime | None = None
    similar: list[SimilarProposal] = field(default_factory=list)
    groups_to_name: list[Group] = field(default_factory=list)

    @property
    def is_author(self) -> bool:
        return self.role in ("author", "coauthor")

    @property
    def accepted(self) -> list[Coauthor]:
        return [c for c in self.coauthors if c.status == "accepted"]

    @property
    def invited(self) -> list[Coauthor]:
        return [c for c in self.coauthors if c.status != "accepted"]


def proposal_view(user: Any, proposal_id: int) -> ProposalView:
    """Everything the proposal page shows about the proposal itself, in a fixed number of queries.

    Drafts, and everything in an unpublished process, are NotFound for anyone but their authors, invited
    co-authors and officers (an unpublished process: officers only); a proposal hidden by moderation is shown to
    others only as hidden."""
    proposal = db.session.scalar(select(Proposal).where(Proposal.id == proposal_id)
                                 .options(selectinload(Proposal.categories)))
    if proposal is None or not space_visible(user, proposal.process):  # an unpublished process: officers only
        raise NotFound("We could not find that proposal.")
    coauthors = list(db.session.scalars(select(Coauthor).where(Coauthor.proposal_id == proposal.id)
                                        .order_by(Coauthor.id)))
    role = role_of(user, proposal, coauthors)
    officer = bool(getattr(user, "is_officer", False))
    if proposal.state == "draft" and role is None and not officer:
        raise NotFound("We could not find that proposal.")
    settings = settings_for(proposal.process)
    view = ProposalView(proposal, coauthors, role, settings)
    if proposal.hidden_at is not None and role is None and not officer:
        view.hidden_from_viewer = True
        return view
    if view.is_author:
        view.edit_refusal = edit_refusal(proposal, settings)
        view.edit_deadline = edit_deadline(proposal, settings)
    if role == "author" and proposal.state != "withdrawn":
        view.groups_to_name = groups_to_name(user, proposal, coauthors)
    view.similar = similar(proposal) if proposal.state == "draft" else similar_cached(proposal)
    return view


def page_context(user: Any, proposal: Proposal, endorsements_page_number: int = 1) -> dict[str, Any]:
    """What the proposal page's support, endorsement and answer partials need, in a fixed number of queries:
    3 for a visitor, 5 for a signed-in person, whatever the number of supports, endorsements or groups.

    ``endorsements_page_number``: the page of the endorsers' list to show (the view reads it from the request)."""
    settings = settings_for(proposal.process)  # 1
    counted = used = mine = None
    groups: list[tuple[Group, bool]] = []
    if signed_in(user):
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
    endorse_panel = EndorsementPanel(page=endorsements_page(proposal, endorsements_page_number),  # 4, 5
                                     refusal=endorse_refusal(user, proposal), endorsed_as_self=mine is not None,
                                     groups=groups)
    return {"proposal_settings": settings,
            "support_panel": build_support_panel(user, proposal, settings, counted, used),
            "endorse_panel": endorse_panel, "answer_panel": answer_panel(user, proposal)}
