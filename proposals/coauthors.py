"""Co-authors of a proposal: people the author invites by nickname (they accept on the proposal's page) and
community groups the author belongs to (named at once).

Every write checks the ``proposal.coauthors`` rule (``proposals.policy``); services add and flush, the request
commits.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from civic import events, policy
from civic.accounts.models import User
from civic.db import db
from civic.errors import NotFound, PermissionDenied, RuleViolation
from civic.groups.models import Group, Membership
from proposals.models import Coauthor, Proposal


def coauthors_of(proposal: Proposal) -> list[Coauthor]:
    """All co-authors (people and groups, invited and accepted), in the order they were named: one query."""
    return list(db.session.scalars(select(Coauthor).where(Coauthor.proposal_id == proposal.id)
                                   .order_by(Coauthor.id)))


def groups_to_name(user: User, proposal: Proposal, coauthors: Sequence[Coauthor]) -> list[Group]:
    """The author's groups not yet named as co-authors."""
    named = {c.group_id for c in coauthors if c.group_id}
    groups = db.session.scalars(
        select(Group).join(Membership, Membership.group_id == Group.id)
        .where(Membership.user_id == user.id, Membership.status == "active").order_by(Group.name))
    return [g for g in groups if g.id not in named]


def _open_for_coauthors(proposal: Proposal) -> None:
    if proposal.state == "withdrawn":
        raise RuleViolation("This proposal was withdrawn: its co-authors can no longer change.")


def _add_coauthor(row: Coauthor, duplicate: str, field_name: str) -> Coauthor:
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        raise RuleViolation(duplicate, field=field_name) from None
    return row


def invite_coauthor(user: User, proposal: Proposal, nickname: str) -> Coauthor:
    """The author invites a person by nickname; they accept on the proposal's page."""
    policy.require(user, "proposal.coauthors", proposal)
    _open_for_coauthors(proposal)
    wanted = (nickname or "").strip().lstrip("@").lower()
    if not wanted:
        raise RuleViolation("Enter the nickname of the person to invite.", field="nickname")
    invitee = db.session.scalar(select(User).where(User.nickname == wanted))
    if invitee is None or not invitee.is_active:
        raise RuleViolation(f"No one has the nickname @{wanted}. Check the spelling on their profile page.",
                            field="nickname")
    if invitee.id == proposal.author_id:
        raise RuleViolation("You are already the author of this proposal.", field="nickname")
    existing = db.session.scalar(select(Coauthor).where(Coauthor.proposal_id == proposal.id,
                                                        Coauthor.user_id == invitee.id))
    if existing is not None:
        state = "is already a co-author" if existing.status == "accepted" else "is already invited"
        raise RuleViolation(f"@{invitee.nickname} {state}.", field="nickname")
    row = _add_coauthor(Coauthor(proposal_id=proposal.id, user_id=invitee.id, status="invited"),
                        f"@{invitee.nickname} is already invited.", "nickname")
    events.publish("proposal.coauthor_invited", proposal, user_id=invitee.id, actor_id=user.id)
    return row


def name_group(user: User, proposal: Proposal, group_id: int | str | None) -> Coauthor:
    """The author names a group they are an active member of as co-author (shown at once)."""
    policy.require(user, "proposal.coauthors", proposal)
    _open_for_coauthors(proposal)
    try:
        gid = int(group_id) if group_id not in (None, "") else None
    except (TypeError, ValueError):
        gid = None
    if gid is None:
        raise RuleViolation("Choose one of your groups.", field="group")
    group = db.session.scalar(
        select(Group).join(Membership, Membership.group_id == Group.id)
        .where(Group.id == gid, Membership.user_id == user.id, Membership.status == "active"))
    if group is None:
        raise RuleViolation("You can only name a group you are a member of.", field="group")
    if db.session.scalar(select(Coauthor.id).where(Coauthor.proposal_id == proposal.id,
                                                   Coauthor.group_id == group.id)):
        raise RuleViolation(f"{group.name} is already a co-author.", field="group")
    return _add_coauthor(Coauthor(proposal_id=proposal.id, group_id=group.id, status="accepted"),
                         f"{group.name} is already a co-author.", "group")


def _own_invitation(user: User, proposal: Proposal) -> Coauthor:
    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied(policy.NOT_SIGNED_IN)
    row = db.session.scalar(select(Coauthor).where(Coauthor.proposal_id == proposal.id,
                                                   Coauthor.user_id == user.id))
    if row is None:
        raise RuleViolation("You have no invitation to co-author this proposal.")
    return row


def accept_invitation(user: User, proposal: Proposal) -> None:
    row = _own_invitation(user, proposal)
    _open_for_coauthors(proposal)
    if row.status == "accepted":
        raise RuleViolation("You are already a co-author of this proposal.")
    row.status = "accepted"
    db.session.flush()


def decline_invitation(user: User, proposal: Proposal) -> None:
    """Decline an invitation, or stop being a co-author."""
    row = _own_invitation(user, proposal)
    db.session.delete(row)
    db.session.flush()


def remove_coauthor(user: User, proposal: Proposal, coauthor_id: int) -> Coauthor:
    policy.require(user, "proposal.coauthors", proposal)
    row = db.session.scalar(select(Coauthor).where(Coauthor.id == coauthor_id,
                                                   Coauthor.proposal_id == proposal.id))
    if row is None:
        raise NotFound("That co-author is not on this proposal any more.")
    db.session.delete(row)
    db.session.flush()
    return row
