"""Community group rules."""

from __future__ import annotations

from sqlalchemy import select

from civic.accounts.models import User
from civic.db import db
from civic.groups.models import Group, Membership


def groups_of(user: User) -> list[Group]:
    """Groups the user is an active member of."""
    return list(db.session.scalars(
        select(Group).join(Membership, Membership.group_id == Group.id)
        .where(Membership.user_id == user.id, Membership.status == "active").order_by(Group.name)))
