"""Who may do what to a proposal: the policy rules, a person's role on a proposal, and refusals.

The rules (``RULES``) are declared in ``proposals/manifest.py`` and checked through the core's
``civic.policy`` (``policy.require(user, "proposal.edit", proposal)``). A ``Refusal`` says why someone cannot act
now (the proposal's state, the process's phase, their account), for the page (with an optional link) and for the
error message; supports, endorsements and answers build theirs from the helpers here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from civic import policy
from civic.accounts.models import User
from civic.errors import PermissionDenied, RuleViolation
from civic.spaces.models import Process
from civic.spaces.services import require_phase
from civic.spaces.services import visible as space_visible
from proposals.coauthors import coauthors_of
from proposals.models import Coauthor, Proposal

SIGN_IN = "Please sign in first."


def role_of(user: Any, proposal: Proposal, coauthors: Sequence[Coauthor] | None = None) -> str | None:
    """``"author"``, ``"coauthor"`` (accepted), ``"invited"`` (not answered yet) or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if user.id == proposal.author_id:
        return "author"
    rows = coauthors_of(proposal) if coauthors is None else coauthors
    for row in rows:
        if row.user_id == user.id:
            return "coauthor" if row.status == "accepted" else "invited"
    return None


def _may_create(user: User, _process: Process | None) -> bool | str:
    return user.email_confirmed or "Please confirm your email address before making a proposal."


def _may_edit(user: User, proposal: Proposal) -> bool | str:
    return role_of(user, proposal) in ("author", "coauthor") or "Only the proposal's authors can edit it."


def _may_withdraw(user: User, proposal: Proposal) -> bool | str:
    return user.id == proposal.author_id or "Only the person who made the proposal can withdraw it."


def _may_manage_coauthors(user: User, proposal: Proposal) -> bool | str:
    return user.id == proposal.author_id or "Only the person who made the proposal can name its co-authors."


def _may_view_draft(user: User, proposal: Proposal) -> bool | str:
    return user.is_officer or role_of(user, proposal) is not None or "This draft is private to its authors."


def _may_answer(user: User, _proposal: Any) -> bool | str:
    return user.is_officer or "Only council officers can answer proposals."


def _may_change_settings(user: User, _process: Any) -> bool | str:
    return user.is_officer or "Only council officers can change the proposal settings of a process."


#: The rules, declared in proposals/manifest.py.
RULES = {
    "proposal.create": _may_create,
    "proposal.edit": _may_edit,
    "proposal.withdraw": _may_withdraw,
    "proposal.coauthors": _may_manage_coauthors,
    "proposal.view_draft": _may_view_draft,
    "proposal.answer": _may_answer,
    "proposal.settings": _may_change_settings,
}


def visible(user: Any, proposal: Proposal) -> bool:
    """The one rule of who sees a proposal, wherever it is shown (pages, API, comments, reports, follows).

    Its process first: the content of an unpublished process is for officers only, whoever wrote it. Then the
    proposal: published (or withdrawn) and not hidden; otherwise only its authors and officers see it."""
    if not space_visible(user, proposal.process):
        return False
    return proposal.is_visible or policy.can(user, "proposal.view_draft", proposal)


# Refusals ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """Why someone cannot do something, for the page (with an optional link) and for the error message."""

    code: str
    message: str
    action_text: str = ""

    def __str__(self) -> str:
        return f"{self.message} {self.action_text}." if self.action_text else self.message


def signed_in(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and getattr(user, "id", None) is not None


def phase_refusal(process: Process, action: str) -> Refusal | None:
    """The process's phase does not open ``action`` now. No query."""
    try:
        require_phase(process, action)
    except RuleViolation as e:
        return Refusal("phase", e.message)
    return None


def proposal_refusal(proposal: Proposal, doing: str) -> Refusal | None:
    """The proposal's state (a draft, withdrawn, hidden) does not allow it to be ``doing`` (e.g. "supported")."""
    if proposal.state == "draft":
        return Refusal("draft", f"Only published proposals can be {doing}.")
    if proposal.state == "withdrawn":
        return Refusal("withdrawn", f"This proposal was withdrawn by its author, so it can no longer be {doing}.")
    if proposal.hidden_at is not None:
        return Refusal("hidden", f"This proposal was hidden by a moderator, so it cannot be {doing}.")
    return None


def person_refusal(user: Any, doing: str) -> Refusal | None:
    """The person cannot ``doing`` (e.g. "support") a proposal: signed out, inactive or unconfirmed."""
    if not signed_in(user):
        return Refusal("sign_in", f"Sign in to {doing} this proposal.")
    if not user.is_active:
        return Refusal("inactive", "Your account cannot do this.")
    if not user.email_confirmed:
        return Refusal("confirm", "Please confirm your email address first.")
    return None


def refuse(refusal: Refusal) -> NoReturn:
    """Raise the refusal: PermissionDenied for the signed out, RuleViolation (with its message) otherwise."""
    if refusal.code == "sign_in":
        raise PermissionDenied(SIGN_IN)
    raise RuleViolation(str(refusal))
