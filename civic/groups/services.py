"""Community group rules: creating and editing groups, memberships, invitations, join requests, the badge.

Every write checks its permission here (``policy.require``) for the very object it touches, so a view
cannot forget it. ``members_count`` counts *active* memberships and is only ever changed in SQL, in the
same statement sequence that moves a membership into or out of ``active``; moves are conditional
``UPDATE``/``DELETE`` statements (``WHERE status = ...``) so a double click or two organisers acting at
once never count a member twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.exc import IntegrityError, InvalidRequestError

from civic import events, policy, resources, slugs
from civic.accounts.models import User
from civic.audit import audit
from civic.db import Page, db, paginate, utcnow
from civic.errors import NotFound, PermissionDenied, RuleViolation
from civic.groups.models import Group, Membership
from civic.spaces.models import Ward

MEMBER, ORGANISER = "member", "organiser"
ACTIVE, INVITED, REQUESTED = "active", "invited", "requested"

NAME_MAX = 120
DESCRIPTION_MAX = 10_000
WEBSITE_MAX = 300
#: Slugs that would clash with the blueprint's own addresses (/groups/new, /groups/mine).
RESERVED_SLUGS = frozenset({"new", "mine"})

LAST_ORGANISER = ("A group must always have at least one organiser. Make another member an organiser "
                  "first.")

EVENTS = {
    "group.invited": "An organiser invited someone (subject: the group; user_id, actor_id, membership_id)",
    "group.join_requested": "Someone asked to join (subject: the group; actor_id, membership_id)",
    "group.joined": "Someone became a member, by an accepted request or invitation (subject: the group; user_id, "
                    "actor_id, membership_id, via: \"request\" or \"invitation\")",
}
for _name, _description in EVENTS.items():
    if _name not in events.event_types():
        events.declare(_name, _description)


# Policy -----------------------------------------------------------------------------------------------------


def is_organiser(user: User | None, group: Group | None = None) -> bool:
    """Whether ``user`` is an active organiser of ``group`` (of any group when ``group`` is None).

    This is how the platform knows the derived role "group organiser".
    """
    if user is None or not getattr(user, "is_authenticated", False) or getattr(user, "id", None) is None:
        return False
    stmt = select(Membership.id).where(Membership.user_id == user.id, Membership.role == ORGANISER,
                                       Membership.status == ACTIVE)
    if group is not None:
        stmt = stmt.where(Membership.group_id == group.id)
    return db.session.scalar(stmt.limit(1)) is not None


@policy.rule("group.manage")
def _may_manage(user: User, group: Group | None) -> bool | str:
    if user.is_admin:
        return True
    if group is None:
        return "Only the group's organisers can do that."
    return is_organiser(user, group) or "Only the group's organisers can do that."


# Reading ----------------------------------------------------------------------------------------------------


def groups_of(user: User) -> list[Group]:
    """Groups the user is an active member of."""
    return list(db.session.scalars(
        select(Group).join(Membership, Membership.group_id == Group.id)
        .where(Membership.user_id == user.id, Membership.status == "active").order_by(Group.name)))


def get_by_slug(slug: str) -> Group:
    group = db.session.scalar(select(Group).where(Group.slug == slug))
    if group is None:
        raise NotFound("We could not find that group.")
    return group


def get_membership(group: Group, membership_id: int) -> Membership:
    """A membership of *this* group (an id from another group is simply not found)."""
    membership = db.session.scalar(select(Membership).where(Membership.id == membership_id,
                                                            Membership.group_id == group.id))
    if membership is None:
        raise NotFound("That person is not in this group's list any more.")
    return membership


def search_query(*, text: str = "", ward_id: int | None = None, verified_only: bool = False,
                 unverified_only: bool = False, archived: bool = False) -> Select:
    """The groups index: a statement to paginate (one query for the page, one for the count)."""
    stmt = select(Group).order_by(func.lower(Group.name), Group.id)
    text = " ".join((text or "").split())
    if text:
        stmt = stmt.where(func.lower(Group.name).contains(text.lower(), autoescape=True))
    if ward_id:
        stmt = stmt.where(Group.ward_id == ward_id)
    if verified_only:
        stmt = stmt.where(Group.verified_at.is_not(None))
    if unverified_only:  # officers' list of groups waiting for the badge
        stmt = stmt.where(Group.verified_at.is_(None))
    # Archived groups are off the list; officers list them on their own.
    stmt = stmt.where(Group.archived_at.is_not(None) if archived else Group.archived_at.is_(None))
    return stmt


def wards() -> list[Ward]:
    return list(db.session.scalars(select(Ward).order_by(Ward.name)))


def membership_of(user: User | None, group: Group) -> Membership | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(Membership).where(Membership.group_id == group.id,
                                                      Membership.user_id == user.id))


def members(group: Group, page: int, per_page: int = 50) -> Page:
    """Active members, organisers first, then by name."""
    stmt = (select(Membership).join(User, Membership.user_id == User.id)
            .where(Membership.group_id == group.id, Membership.status == ACTIVE)
            .order_by((Membership.role == ORGANISER).desc(), func.lower(User.display_name), Membership.id))
    return paginate(stmt, page, per_page)


def pending(group: Group, status: str, page: int, per_page: int = 20) -> Page:
    """Join requests (``requested``) or invitations not yet answered (``invited``), oldest first.

    Only organisers see these lists.
    """
    if status not in (INVITED, REQUESTED):
        raise ValueError(status)
    stmt = (select(Membership).where(Membership.group_id == group.id, Membership.status == status)
            .order_by(Membership.created_at, Membership.id))
    return paginate(stmt, page, per_page)


@dataclass
class MyGroups:
    groups: Page  # active memberships
    invitations: Page
    requests: Page


def my_groups(user: User, *, page: int = 1, invitations_page: int = 1, requests_page: int = 1,
              per_page: int = 20) -> MyGroups:
    def of(status: str, n: int) -> Page:
        stmt = (select(Membership).join(Group, Membership.group_id == Group.id)
                .where(Membership.user_id == user.id, Membership.status == status)
                .order_by(func.lower(Group.name), Membership.id))
        return paginate(stmt, n, per_page)

    return MyGroups(groups=of(ACTIVE, page), invitations=of(INVITED, invitations_page),
                    requests=of(REQUESTED, requests_page))


# Creating and editing ---------------------------------------------------------------------------------------


def _free_slug(name: str) -> str:
    return slugs.free_slug(Group.slug, name, fallback="group", reserved=RESERVED_SLUGS)


@dataclass
class GroupDetails:
    name: str
    description: str
    ward_id: int | None
    website: str | None


def _clean(name: str | None, description: str | None, ward_id: int | str | None, website: str | None,
           *, group: Group | None = None) -> GroupDetails:
    name = " ".join((name or "").split())
    if not name:
        raise RuleViolation("Enter the group's name.", field="name")
    if len(name) > NAME_MAX:
        raise RuleViolation(f"Use at most {NAME_MAX} characters for the name.", field="name")
    clash = select(Group.id).where(func.lower(Group.name) == name.lower())
    if group is not None:
        clash = clash.where(Group.id != group.id)
    if db.session.scalar(clash) is not None:
        raise RuleViolation(f"A group called “{name}” already exists. Choose another name.", field="name")

    description = (description or "").strip()
    if not description:
        raise RuleViolation("Say what the group does.", field="description")
    if len(description) > DESCRIPTION_MAX:
        raise RuleViolation(f"Use at most {DESCRIPTION_MAX:,} characters for the description.",
                            field="description")

    ward: int | None = None
    if ward_id not in (None, ""):
        ward = int(ward_id) if str(ward_id).isascii() and str(ward_id).isdigit() else None
        if ward is None or db.session.get(Ward, ward) is None:
            raise RuleViolation("Choose one of Westminster's wards, or none.", field="ward")

    website = (website or "").strip() or None
    if website is not None:
        if len(website) > WEBSITE_MAX:
            raise RuleViolation(f"Use at most {WEBSITE_MAX} characters for the website.", field="website")
        parts = urlsplit(website)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname or any(c.isspace() for c in website):
            raise RuleViolation("Enter a website address starting with http:// or https://, like "
                                "https://example.org.", field="website")
    return GroupDetails(name, description, ward, website)


def _flush_checking_name() -> None:
    """Flush; a name or slug taken by a simultaneous request is reported like any other clash."""
    savepoint = db.session.begin_nested()
    try:
        db.session.flush()
    except IntegrityError:
        savepoint.rollback()
        raise RuleViolation("A group with this name was created a moment ago. Choose another name.",
                            field="name") from None
    savepoint.commit()


def create_group(user: User, *, name: str, description: str, ward_id: int | str | None = None,
                 website: str | None = None) -> Group:
    """A new group, with its creator as its first (active) organiser."""
    policy.require(user, "account.participate")
    details = _clean(name, description, ward_id, website)
    group = Group(slug=_free_slug(details.name), name=details.name, description=details.description,
                  ward_id=details.ward_id, website=details.website, created_by_id=user.id, members_count=0)
    db.session.add(group)
    _flush_checking_name()
    db.session.add(Membership(group_id=group.id, user_id=user.id, role=ORGANISER, status=ACTIVE))
    db.session.flush()
    _count(group.id, +1)
    return group


def update_group(actor: User, group: Group, *, name: str, description: str, ward_id: int | str | None = None,
                 website: str | None = None) -> Group:
    """Change the details. The address (slug) stays, so links already shared keep working."""
    policy.require(actor, "group.manage", group)
    details = _clean(name, description, ward_id, website, group=group)
    group.name, group.description = details.name, details.description
    group.ward_id, group.website = details.ward_id, details.website
    _flush_checking_name()
    db.session.expire(group, ["ward"])
    return group


# Memberships ------------------------------------------------------------------------------------------------


def _count(group_id: int, delta: int) -> None:
    db.session.execute(update(Group).where(Group.id == group_id)
                       .values(members_count=Group.members_count + delta))


def _lock(group: Group) -> None:
    """Serialise changes to one group's organisers (SELECT ... FOR UPDATE; SQLite writes one at a time)."""
    db.session.execute(select(Group.id).where(Group.id == group.id).with_for_update())


def _reload(membership: Membership) -> None:
    """Read role and status again (after taking the group's lock): someone may have just changed them."""
    try:
        db.session.refresh(membership, ["role", "status"])
    except InvalidRequestError:  # deleted meanwhile
        raise RuleViolation("That person is not in this group's list any more.") from None


def _move(membership: Membership, from_status: str, to_status: str, *, stale: str) -> None:
    """Change the status only if it is still ``from_status``, keeping the active count right."""
    result = db.session.execute(
        update(Membership).where(Membership.id == membership.id, Membership.status == from_status)
        .values(status=to_status))
    if result.rowcount != 1:
        raise RuleViolation(stale)
    if ACTIVE in (from_status, to_status) and from_status != to_status:
        _count(membership.group_id, +1 if to_status == ACTIVE else -1)


def _drop(membership: Membership, from_status: str, *, stale: str) -> None:
    """Delete the membership only if it is still ``from_status``, keeping the active count right."""
    result = db.session.execute(
        delete(Membership).where(Membership.id == membership.id, Membership.status == from_status))
    if result.rowcount != 1:
        raise RuleViolation(stale)
    if from_status == ACTIVE:
        _count(membership.group_id, -1)


def _organiser_count(group: Group) -> int:
    return db.session.scalar(select(func.count()).select_from(Membership).where(
        Membership.group_id == group.id, Membership.role == ORGANISER, Membership.status == ACTIVE)) or 0


def _keep_an_organiser(membership: Membership, message: str = LAST_ORGANISER) -> None:
    """Refuse when ``membership`` is the group's only active organiser (call with the group locked)."""
    if membership.role == ORGANISER and membership.status == ACTIVE and _organiser_count(membership.group) <= 1:
        raise RuleViolation(message)


def _find_user(nickname: str) -> User:
    wanted = (nickname or "").strip().lstrip("@").lower()
    if not wanted:
        raise RuleViolation("Enter the nickname of the person to invite.", field="nickname")
    user = db.session.scalar(select(User).where(User.nickname == wanted))
    if user is None or not user.is_active:
        raise RuleViolation(f"No one has the nickname @{wanted}. Check the spelling on their profile page.",
                            field="nickname")
    return user


def looks_like_email(text: str) -> bool:
    """Meant as an email address rather than a nickname (``@name`` is a nickname): an ``@`` after the start."""
    return "@" in (text or "").strip().lstrip("@")


def _valid_email(text: str) -> bool:
    local, _at, domain = text.rpartition("@")
    return bool(local) and "." in domain.strip(".") and not any(c.isspace() for c in text)


def invite_by_email(actor: User, group: Group, email: str) -> Membership | None:
    """An organiser invites someone by their email address. When the address is an active account's and that
    person is not yet in the group, the invitation is made as by nickname (notice and mail); otherwise nothing
    happens. The caller says the same thing either way, so an organiser never learns whether an address has an
    account (or whether its owner is already in the group)."""
    policy.require(actor, "group.manage", group)
    _not_archived(group)
    wanted = (email or "").strip().lower()
    if not _valid_email(wanted):
        raise RuleViolation(_("Enter an email address like name@example.com."), field="nickname")
    invitee = db.session.scalar(select(User).where(User.email == wanted))
    if invitee is None or not invitee.is_active or membership_of(invitee, group) is not None:
        return None
    return _invite(actor, group, invitee)


def invite(actor: User, group: Group, nickname: str) -> Membership:
    """An organiser invites someone by nickname; they accept or decline on "My groups"."""
    policy.require(actor, "group.manage", group)
    _not_archived(group)
    invitee = _find_user(nickname)
    existing = membership_of(invitee, group)
    if existing is not None:
        message = {
            ACTIVE: f"@{invitee.nickname} is already a member of this group.",
            INVITED: f"@{invitee.nickname} has already been invited and has not answered yet.",
            REQUESTED: f"@{invitee.nickname} has asked to join: accept their request under “Join requests”.",
        }[existing.status]
        raise RuleViolation(message, field="nickname")
    return _invite(actor, group, invitee)


def _invite(actor: User, group: Group, invitee: User) -> Membership:
    membership = Membership(group_id=group.id, user_id=invitee.id, role=MEMBER, status=INVITED,
                            invited_by_id=actor.id)
    db.session.add(membership)
    db.session.flush()
    events.publish("group.invited", group, user_id=invitee.id, actor_id=actor.id, membership_id=membership.id)
    return membership


def _own_invitation(user: User, membership: Membership) -> None:
    if membership.user_id != user.id:
        raise PermissionDenied("That invitation is for someone else.")
    if membership.status != INVITED:
        raise RuleViolation("That invitation has already been answered.")


def accept_invitation(user: User, membership: Membership) -> None:
    policy.require(user, "account.participate")
    _own_invitation(user, membership)
    _move(membership, INVITED, ACTIVE, stale="That invitation has already been answered.")
    events.publish("group.joined", membership.group, user_id=user.id, actor_id=user.id,
                   membership_id=membership.id, via="invitation")


def decline_invitation(user: User, membership: Membership) -> None:
    _own_invitation(user, membership)
    _drop(membership, INVITED, stale="That invitation has already been answered.")


def request_to_join(user: User, group: Group) -> Membership:
    """Ask to join. Someone already invited joins at once: the organisers asked them."""
    policy.require(user, "account.participate")
    _not_archived(group)
    existing = membership_of(user, group)
    if existing is None:
        membership = Membership(group_id=group.id, user_id=user.id, role=MEMBER, status=REQUESTED)
        savepoint = db.session.begin_nested()
        db.session.add(membership)
        try:
            db.session.flush()
        except IntegrityError:  # the same person's double click
            savepoint.rollback()
            raise RuleViolation("You have already asked to join this group.") from None
        savepoint.commit()
        events.publish("group.join_requested", group, actor_id=user.id, membership_id=membership.id)
        return membership
    if existing.status == INVITED:
        _move(existing, INVITED, ACTIVE, stale="Your invitation has already been answered.")
        events.publish("group.joined", group, user_id=user.id, actor_id=user.id, membership_id=existing.id,
                       via="invitation")
        return existing
    if existing.status == ACTIVE:
        raise RuleViolation("You are already a member of this group.")
    raise RuleViolation("You have already asked to join this group. An organiser will answer.")


def withdraw_request(user: User, group: Group) -> None:
    existing = membership_of(user, group)
    if existing is None or existing.status != REQUESTED:
        raise RuleViolation("You have no request to join this group waiting.")
    _drop(existing, REQUESTED, stale="Your request has already been answered.")


def leave(user: User, group: Group) -> None:
    _lock(group)
    existing = membership_of(user, group)
    if existing is None or existing.status != ACTIVE:
        raise RuleViolation("You are not a member of this group.")
    _reload(existing)
    _keep_an_organiser(existing, "You are this group's only organiser, so you cannot leave yet. Make another "
                                 "member an organiser first.")
    _drop(existing, ACTIVE, stale="You are not a member of this group any more.")


def accept_request(actor: User, membership: Membership) -> None:
    policy.require(actor, "group.manage", membership.group)
    if membership.status != REQUESTED:
        raise RuleViolation("That request has already been answered.")
    _move(membership, REQUESTED, ACTIVE, stale="That request has already been answered.")
    events.publish("group.joined", membership.group, user_id=membership.user_id, actor_id=actor.id,
                   membership_id=membership.id, via="request")


def refuse_request(actor: User, membership: Membership) -> None:
    policy.require(actor, "group.manage", membership.group)
    if membership.status != REQUESTED:
        raise RuleViolation("That request has already been answered.")
    _drop(membership, REQUESTED, stale="That request has already been answered.")


def promote(actor: User, membership: Membership) -> None:
    _lock(membership.group)
    policy.require(actor, "group.manage", membership.group)
    _reload(membership)
    if membership.status != ACTIVE:
        raise RuleViolation("Only members can be made organisers.")
    if membership.role == ORGANISER:
        raise RuleViolation(f"{membership.user.public_name} is already an organiser.")
    db.session.execute(update(Membership).where(Membership.id == membership.id).values(role=ORGANISER))
    membership.role = ORGANISER


def demote(actor: User, membership: Membership) -> None:
    _lock(membership.group)  # first, so the permission check below sees the organisers as they are now
    policy.require(actor, "group.manage", membership.group)
    _reload(membership)
    if membership.status != ACTIVE or membership.role != ORGANISER:
        raise RuleViolation(f"{membership.user.public_name} is not an organiser.")
    _keep_an_organiser(membership)
    db.session.execute(update(Membership).where(Membership.id == membership.id).values(role=MEMBER))
    membership.role = MEMBER


def remove(actor: User, membership: Membership) -> None:
    """Remove a member, or withdraw an invitation not yet answered."""
    _lock(membership.group)
    policy.require(actor, "group.manage", membership.group)
    _reload(membership)
    if membership.status == REQUESTED:
        raise RuleViolation("Answer a join request with “Accept” or “Refuse”.")
    if membership.status == ACTIVE:
        _keep_an_organiser(membership)
    _drop(membership, membership.status, stale="That person is not in this group's list any more.")


# The council's badge ----------------------------------------------------------------------------------------


def _badge(group: Group) -> dict:
    return {"verified": group.is_verified,
            "verified_at": group.verified_at.isoformat() if group.verified_at else None,
            "verified_by_id": group.verified_by_id}


def set_verified(officer: User, group: Group, verified: bool, reason: str) -> None:
    """An officer gives or takes back the "Verified by the council" badge; written to the audit log."""
    policy.require(officer, "group.verify", group)
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation("Say why, for the audit log.", field="reason")
    if verified == group.is_verified:
        raise RuleViolation("This group is already verified." if verified else "This group is not verified.")
    before = _badge(group)
    group.verified_at = utcnow() if verified else None
    group.verified_by_id = officer.id if verified else None
    db.session.flush()
    audit(officer, "group.verify" if verified else "group.unverify", "group", group.id, label=group.name,
          before=before, after=_badge(group), reason=reason)


# Groups as a resource: people follow them ---------------------------------------------------------------------

GROUP = resources.register(resources.ResourceType(
    "group", Group, "Group", url=resources.Link("groups.show", "slug", "slug"), title=lambda g: g.name,
    visible=lambda user, g: True, space=lambda g: g.name, follows=resources.FollowHooks()))


# Archiving (officers) -----------------------------------------------------------------------------------------

ARCHIVED = "This group is archived by the council: it takes no new members."


def _not_archived(group: Group) -> None:
    if group.archived_at is not None:
        raise RuleViolation(ARCHIVED)


def set_archived(officer: User, group: Group, archived: bool, reason: str) -> None:
    """An officer archives a group (off the list, no new members; its page and members stay) or restores it;
    written to the audit log."""
    policy.require(officer, "group.verify", group)
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation("Say why, for the audit log.", field="reason")
    if archived == group.is_archived:
        raise RuleViolation("This group is already archived." if archived else "This group is not archived.")
    before = {"archived": group.is_archived}
    group.archived_at = utcnow() if archived else None
    db.session.flush()
    audit(officer, "group.archive" if archived else "group.unarchive", "group", group.id, label=group.name,
          before=before, after={"archived": archived}, reason=reason)


def people_named(text: str, limit: int = 10) -> list[User]:
    """Active people whose name or nickname holds ``text`` (public on their profiles), for an organiser who does
    not know the exact nickname: "Invite" beside each. One query."""
    text = " ".join((text or "").split()).lstrip("@").lower()
    if len(text) < 2:
        return []
    like = f"%{text}%"
    return list(db.session.scalars(
        select(User).where(User.deleted_at.is_(None), User.blocked_at.is_(None),
                           func.lower(User.display_name).like(like) | User.nickname.like(like))
        .order_by(User.display_name, User.id).limit(limit)))
