"""The notifications proposals make: their kinds and the builders that turn proposals' events into notices
(declared in ``proposals/manifest.py``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from civic.accounts.models import UserRole
from civic.db import db
from civic.notifications import services as notifications
from civic.notifications.registry import AreaWatchers, Followers, Kind, Notice, Users
from proposals.models import Coauthor, Proposal
from proposals.resource import PROPOSAL

PERSONAL, FOLLOWING, AREA = "About you", "Things you follow", "Your area"

KINDS = (
    Kind("coauthor_invite", "Someone invites you to co-author a proposal", "{actor} invited you to co-author “{title}”",
         email_default="immediate", group=PERSONAL, position=12),
    Kind("proposal_answered", "The council answers a proposal you wrote or follow", "The council answered “{title}”",
         email_default="immediate", group=FOLLOWING, position=31),
    Kind("proposal_threshold", "A proposal you wrote or follow (or, for council staff, any proposal) reaches its "
         "support threshold",
         "“{title}” reached its support threshold", email_default="daily", group=FOLLOWING, position=32),
    Kind("proposal_withdrawn", "A proposal you follow is withdrawn", "{actor} withdrew “{title}”",
         email_default="daily", group=FOLLOWING, position=33),
    Kind("new_proposal", "New proposals in processes and from people you follow", "{actor} published “{title}”",
         email_default="daily", group=FOLLOWING, position=34),
    Kind("area_proposal", "New proposals in your area", "New proposal in your area: “{title}”",
         email_default="daily", group=AREA, position=51),
)


def _authors(proposal: Proposal) -> list[int]:
    accepted = db.session.scalars(select(Coauthor.user_id).where(
        Coauthor.proposal_id == proposal.id, Coauthor.status == "accepted", Coauthor.user_id.is_not(None)))
    return [proposal.author_id, *accepted]


def _notice(proposal: Proposal, key: str, **extra: Any) -> Notice | None:
    if proposal.hidden_at is not None or proposal.state == "draft" or not proposal.process.is_published:
        return None  # nobody is told about what they may not see (an unpublished process is for officers)
    return Notice(key=f"proposal:{proposal.id}:{key}", title=proposal.title,
                  url=PROPOSAL.url(proposal), space=proposal.process.title,
                  resource=("proposal", proposal.id), subject=("proposal", proposal.id), **extra)


def _published(proposal: Proposal, actor_id: int | None = None, **_: Any) -> Notice | None:
    notice = _notice(proposal, "published", actor_id=proposal.author_id, excerpt=proposal.body[:200], audiences=[
        Followers("new_proposal", "process", proposal.process_id),
        Followers("new_proposal", "user", proposal.author_id),
        AreaWatchers("area_proposal", [proposal.ward_id], proposal.process.programme_id,
                     proposal.latitude, proposal.longitude),
    ])
    if notice is not None:
        notice.follows = [(uid, "proposal", proposal.id, "own") for uid in _authors(proposal)]
    return notice


def _answered(proposal: Proposal, officer_id: int | None = None, **_: Any) -> Notice | None:
    stamp = proposal.answered_at.isoformat() if proposal.answered_at else "now"
    return _notice(proposal, f"answered:{stamp}", actor_id=officer_id, excerpt=proposal.answer_text[:200], audiences=[
        Users("proposal_answered", _authors(proposal)), Followers("proposal_answered", "proposal", proposal.id)])


def _officers() -> list[int]:
    """The council's staff, who answer proposals (told when one reaches its threshold, as the setting promises)."""
    return list(db.session.scalars(select(UserRole.user_id).where(UserRole.role.in_(("officer", "admin")))
                                   .distinct()))


def _threshold(proposal: Proposal, **_: Any) -> Notice | None:
    return _notice(proposal, "threshold", audiences=[
        Users("proposal_threshold", _authors(proposal)), Followers("proposal_threshold", "proposal", proposal.id),
        Users("proposal_threshold", _officers())])


def _withdrawn(proposal: Proposal, actor_id: int | None = None, **_: Any) -> Notice | None:
    if proposal.hidden_at is not None:
        return None
    return _notice(proposal, "withdrawn", actor_id=actor_id,
                   audiences=[Followers("proposal_withdrawn", "proposal", proposal.id)])


def _invited(proposal: Proposal, user_id: int, actor_id: int | None = None, **_: Any) -> Notice | None:
    if proposal.hidden_at is not None or not proposal.process.is_published:
        return None
    return Notice(key=f"proposal:{proposal.id}:invite:{user_id}", title=proposal.title,
                  url=PROPOSAL.url(proposal), actor_id=actor_id,
                  space=proposal.process.title, audiences=[Users("coauthor_invite", [user_id])],
                  resource=("proposal", proposal.id))


def _unpublished_process_hides_notices(process: Any, **_: Any) -> None:
    """Nobody keeps a notice about what they may no longer see: unpublishing a process hides the notices about its
    proposals and their comments (in notification centres and waiting digests). Makes no notice itself."""
    for proposal_id in db.session.scalars(select(Proposal.id).where(Proposal.process_id == process.id)):
        notifications.set_hidden("proposal", proposal_id, True)


def _published_process_shows_notices(process: Any, **_: Any) -> None:
    """Published (again): those notices come back, except where moderation hid their proposal or comment."""
    for proposal_id in db.session.scalars(select(Proposal.id).where(Proposal.process_id == process.id)):
        notifications.set_hidden("proposal", proposal_id, False)


BUILDERS = {
    "process.unpublished": _unpublished_process_hides_notices,
    "process.published": _published_process_shows_notices,
    "proposal.published": _published,
    "proposal.answered": _answered,
    "proposal.threshold_reached": _threshold,
    "proposal.withdrawn": _withdrawn,
    "proposal.coauthor_invited": _invited,
}
