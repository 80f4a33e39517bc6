"""What consultations tell people: one opening in their wards (area alerts), closing in 24 hours (eligible people
who have not voted), results published (followers); and a participatory budget's project funded by the official
outcome (the followers of the proposal it came from, named through the core's resource registry)."""

from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy import select

from civic.accounts import roles
from civic.accounts.models import User, UserRole
from civic.db import db
from civic.notifications.registry import AreaWatchers, Followers, Kind, Notice, Users
from consultations.models import BudgetProject, Consultation, RollEntry
from consultations.resource import CONSULTATION

FOLLOWING, AREA, PERSONAL = "Things you follow", "Your area", "About you"

KINDS = (
    Kind("consultation_opened", "A consultation opens in your area", "A consultation opened in your area: “{title}”",
         email_default="immediate", group=AREA, position=55),
    Kind("consultation_closing", "A consultation you can vote in closes in 24 hours",
         "“{title}” closes in 24 hours and you have not voted yet", email_default="immediate", group=PERSONAL,
         position=15),
    Kind("consultation_results", "The results of a consultation you follow are published",
         "The results of “{title}” are published", email_default="immediate", group=FOLLOWING, position=36),
    Kind("budget_project_funded", "A proposal you follow is funded in a participatory budget",
         "“{title}”, which you follow, is funded in a participatory budget", email_default="immediate",
         group=FOLLOWING, position=37, link_text="See the budget's results"),
)


def _notice(consultation: Consultation, key: str, audiences: list, **extra: Any) -> Notice | None:
    if not consultation.is_published or consultation.hidden_at is not None:
        return None
    return Notice(key=f"consultation:{consultation.id}:{key}", title=consultation.title,
                  url=CONSULTATION.url(consultation), audiences=audiences,
                  space=consultation.process.title if consultation.process else "Consultations",
                  resource=("consultation", consultation.id), subject=("consultation", consultation.id), **extra)


def _opened(consultation: Consultation, **_: Any) -> Notice | None:
    programme = consultation.process.programme_id if consultation.process else None
    ward_ids = [w.id for w in consultation.wards]
    return _notice(consultation, "opened", [AreaWatchers("consultation_opened", ward_ids, programme,
                                                         everywhere=consultation.whole_city)])


def eligible_non_voters(consultation: Consultation) -> list[int]:
    """Verified residents (of its wards) who are not on the roll: those told that it closes soon."""
    voted = select(RollEntry.user_id).where(RollEntry.consultation_id == consultation.id,
                                            RollEntry.user_id.is_not(None))
    stmt = (select(User.id).join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == roles.VERIFIED, User.deleted_at.is_(None), User.blocked_at.is_(None),
                   User.id.not_in(voted)))
    if not consultation.whole_city:
        stmt = stmt.where(User.ward_id.in_([w.id for w in consultation.wards]))
    return list(db.session.scalars(stmt.distinct()))


def _closing(consultation: Consultation, **_: Any) -> Notice | None:
    return _notice(consultation, f"closing:{consultation.closes_at.isoformat()}",
                   [Users("consultation_closing", eligible_non_voters(consultation))])


def _results(consultation: Consultation, **_: Any) -> Notice | None:
    return _notice(consultation, "results", [Followers("consultation_results", "consultation", consultation.id)])


def _funded(project: BudgetProject, **_: Any) -> Notice | None:
    """The followers of the project's source (a proposal, by its resource name: never an import of proposals)."""
    consultation = project.budget.consultation
    if project.source_type is None or not consultation.is_published or consultation.hidden_at is not None:
        return None
    return Notice(key=f"budget_project:{project.id}:funded", title=project.title,
                  url=url_for("consultations_budget_results.results", budget_id=project.budget_id),
                  audiences=[Followers("budget_project_funded", project.source_type, project.source_id)],
                  space=consultation.title, resource=(project.source_type, project.source_id),
                  subject=("consultation", consultation.id))


BUILDERS = {
    "consultation.opened": _opened,
    "consultation.closing": _closing,
    "consultation.results_published": _results,
    "budget.project_funded": _funded,
}
