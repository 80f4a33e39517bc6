"""Proposal rules: drafts, publishing, editing, withdrawal, co-authors, the listing, the map and similar proposals.

Every write checks here who may do it (``policy.require``) and whether the process's phase allows it
(``civic.spaces.services.require_phase``), so the HTML views and the JSON API share one set of rules.
Services add and flush; the request commits.
"""

from __future__ import annotations

import math
import random
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, url_for
from sqlalchemy import BigInteger, ColumnElement, Select, case, cast, exists, func, literal, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage

from civic import events, policy, search, uploads
from civic.accounts.models import User
from civic.db import Page, after_commit, after_rollback, db, utcnow
from civic.errors import NotFound, PermissionDenied, RuleViolation
from civic.groups.models import Group, Membership
from civic.spaces.models import Process, Ward
from civic.spaces.services import require_phase
from proposals.models import (
    ANSWER_STATES,
    Category,
    Coauthor,
    Proposal,
    ProposalCategoryLink,
    ProposalSettings,
    Support,
)

TITLE_MIN, TITLE_MAX = 15, 150
BODY_MAX = 10_000
ADDRESS_MAX = 200
ALT_MAX = 300
PER_PAGE = 20
#: The list's text filter takes at most this many of the search's best matches (and every literal match).
SEARCH_LIMIT = 1000
#: Greater London, generously: a point outside this box is a mistake (or not a London proposal).
LONDON_BOUNDS = {"south": 51.28, "north": 51.70, "west": -0.52, "east": 0.34}
#: Westminster's centre, where maps open.
MAP_CENTRE = (51.5145, -0.1575)

ANSWER_LABELS = {"not_answered": "Not answered", "evaluating": "Being evaluated", "accepted": "Accepted",
                 "rejected": "Rejected"}
#: The listing's state filter: the council's answer, or the author's withdrawal.
STATE_FILTERS = {**ANSWER_LABELS, "withdrawn": "Withdrawn"}
ORDERS = {"random": "Random", "most_supported": "Most supported", "newest": "Newest",
          "most_commented": "Most commented"}


# Who may do what --------------------------------------------------------------------------------------------


def coauthors_of(proposal: Proposal) -> list[Coauthor]:
    """All co-authors (people and groups, invited and accepted), in the order they were named: one query."""
    return list(db.session.scalars(select(Coauthor).where(Coauthor.proposal_id == proposal.id)
                                   .order_by(Coauthor.id)))


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


@policy.rule("proposal.create")
def _may_create(user: User, _process: Process | None) -> bool | str:
    return user.email_confirmed or "Please confirm your email address before making a proposal."


@policy.rule("proposal.edit")
def _may_edit(user: User, proposal: Proposal) -> bool | str:
    return role_of(user, proposal) in ("author", "coauthor") or "Only the proposal's authors can edit it."


@policy.rule("proposal.withdraw")
def _may_withdraw(user: User, proposal: Proposal) -> bool | str:
    return user.id == proposal.author_id or "Only the person who made the proposal can withdraw it."


@policy.rule("proposal.coauthors")
def _may_manage_coauthors(user: User, proposal: Proposal) -> bool | str:
    return user.id == proposal.author_id or "Only the person who made the proposal can name its co-authors."


@policy.rule("proposal.view_draft")
def _may_view_draft(user: User, proposal: Proposal) -> bool | str:
    return user.is_officer or role_of(user, proposal) is not None or "This draft is private to its authors."


def visible(user: Any, proposal: Proposal) -> bool:
    """Published (or withdrawn) and not hidden; otherwise only its authors and officers see it."""
    return proposal.is_visible or policy.can(user, "proposal.view_draft", proposal)


# Processes, settings and choices ----------------------------------------------------------------------------


def get_process(slug: str, user: Any) -> Process:
    """A published process (officers also see unpublished ones), or NotFound."""
    process = db.session.scalar(select(Process).where(Process.slug == slug))
    if process is None or (not process.is_published and not getattr(user, "is_officer", False)):
        raise NotFound("We could not find that process.")
    return process


def get_proposal(proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound("We could not find that proposal.")
    return proposal


def settings_for(process: Process) -> ProposalSettings:
    """The process's proposal settings; the defaults (unsaved) when officers have not set any."""
    found = db.session.scalar(select(ProposalSettings).where(ProposalSettings.process_id == process.id))
    if found is not None:
        return found
    return ProposalSettings(process_id=process.id, support_limit=0, min_supports=0, threshold=0,
                            close_at_threshold=False, proposal_limit=0, verified_only=True, ward_only=False,
                            edit_window_minutes=10)


def wards_for(process: Process) -> list[Ward]:
    """The wards a proposal in this process may be in: the process's own, or all 18 for the whole city."""
    if not process.whole_city and process.wards:
        return list(process.wards)
    return list(db.session.scalars(select(Ward).order_by(Ward.name)))


def categories_for(process: Process) -> list[Category]:
    return list(db.session.scalars(select(Category).where(Category.process_id == process.id)
                                   .order_by(Category.name)))


# Creating, editing, publishing ------------------------------------------------------------------------------


def _published_count(user: User, process: Process) -> int:
    return db.session.scalar(select(func.count()).select_from(Proposal).where(
        Proposal.author_id == user.id, Proposal.process_id == process.id, Proposal.state == "published")) or 0


def _check_limit(user: User, process: Process, settings: ProposalSettings) -> None:
    limit = settings.proposal_limit
    if limit and _published_count(user, process) >= limit:
        plural = "proposal" if limit == 1 else "proposals"
        raise RuleViolation(f"You have already published {limit} {plural} in this process, the most each "
                            "participant may publish here. You can withdraw one of yours to make another.")


def creation_refusal(user: Any, process: Process) -> str | None:
    """Why this person cannot make a proposal here now (None when they can): for the "new" page."""
    try:
        policy.require(user, "proposal.create", process)
        require_phase(process, "propose")
        _check_limit(user, process, settings_for(process))
    except (PermissionDenied, RuleViolation) as e:
        return e.message
    return None


def _text(value: str | None) -> str:
    return (value or "").strip()


def parse_point(latitude: Any, longitude: Any) -> tuple[float, float] | None:
    """A map point from the form's hidden fields: both or neither, numbers, inside Greater London."""
    lat_raw, lng_raw = _text(str(latitude) if latitude is not None else ""), \
        _text(str(longitude) if longitude is not None else "")
    if not lat_raw and not lng_raw:
        return None
    try:
        lat, lng = float(lat_raw), float(lng_raw)
    except ValueError:
        raise RuleViolation("The point on the map was not understood. Choose it again, or clear it.",
                            field="address") from None
    if not (math.isfinite(lat) and math.isfinite(lng)):
        raise RuleViolation("The point on the map was not understood. Choose it again, or clear it.",
                            field="address")
    b = LONDON_BOUNDS
    if not (b["south"] <= lat <= b["north"] and b["west"] <= lng <= b["east"]):
        raise RuleViolation("The point on the map is outside Greater London. Choose a point in London, or "
                            "clear it.", field="address")
    return round(lat, 6), round(lng, 6)


@dataclass
class ProposalFields:
    """What a person fills in to make or edit a proposal."""

    title: str = ""
    body: str = ""
    ward_id: int | str | None = None
    address: str = ""
    latitude: Any = None
    longitude: Any = None
    photo: FileStorage | None = None
    photo_alt: str = ""
    remove_photo: bool = False
    category_ids: Iterable[int | str] = field(default_factory=tuple)


def _has_file(upload: FileStorage | None) -> bool:
    return upload is not None and bool(upload.filename)


def _after_request(fn) -> None:
    """Run ``fn(ok)`` once the transaction ends (``ok``: it committed; see :func:`civic.db.after_commit`)."""
    after_commit(fn, True)
    after_rollback(fn, False)


def _apply(proposal: Proposal, process: Process, data: ProposalFields) -> None:
    """Check everything, then set it on the proposal; the photo is saved last, when all else is right."""
    title = " ".join(_text(data.title).split())
    if len(title) < TITLE_MIN:
        raise RuleViolation(f"The title must be at least {TITLE_MIN} characters: say what you propose.",
                            field="title")
    if len(title) > TITLE_MAX:
        raise RuleViolation(f"The title must be {TITLE_MAX} characters or fewer.", field="title")
    body = _text(data.body)
    if not body:
        raise RuleViolation("Describe your proposal.", field="body")
    if len(body) > BODY_MAX:
        raise RuleViolation(f"The description must be {BODY_MAX:,} characters or fewer.", field="body")
    try:
        ward_id = int(data.ward_id) if data.ward_id not in (None, "") else None
    except (TypeError, ValueError):
        ward_id = None
    if ward_id is None or ward_id not in {w.id for w in wards_for(process)}:
        raise RuleViolation("Choose the ward where your proposal would happen.", field="ward")
    address = " ".join(_text(data.address).split())
    if len(address) > ADDRESS_MAX:
        raise RuleViolation(f"The address must be {ADDRESS_MAX} characters or fewer.", field="address")
    point = parse_point(data.latitude, data.longitude)
    try:
        wanted = {int(c) for c in data.category_ids}
    except (TypeError, ValueError):
        raise RuleViolation("Choose categories from the list.", field="categories") from None
    categories = [c for c in categories_for(process) if c.id in wanted] if wanted else []
    if len(categories) != len(wanted):
        raise RuleViolation("Choose categories from the list.", field="categories")
    new_photo = _has_file(data.photo)
    keeps_photo = proposal.photo_path is not None and not data.remove_photo
    alt = " ".join(_text(data.photo_alt).split())
    if len(alt) > ALT_MAX:
        raise RuleViolation(f"The description of the photo must be {ALT_MAX} characters or fewer.",
                            field="photo_alt")
    if (new_photo or keeps_photo) and not alt:
        raise RuleViolation("Describe the photo for people who cannot see it.", field="photo_alt")

    proposal.title, proposal.body, proposal.ward_id, proposal.address = title, body, ward_id, address
    proposal.latitude, proposal.longitude = point if point else (None, None)
    proposal.categories = categories
    old_photo = proposal.photo_path
    if new_photo:
        name = uploads.save_image(data.photo, "proposals", field="photo")
        proposal.photo_path = name
        _after_request(lambda ok: uploads.delete_image(old_photo if ok else name))
    elif data.remove_photo and old_photo:
        proposal.photo_path = None
        _after_request(lambda ok: uploads.delete_image(old_photo) if ok else None)
    proposal.photo_alt = alt if proposal.photo_path else ""


def create_draft(user: User, process: Process, data: ProposalFields) -> Proposal:
    """A new proposal, saved as a draft that only its authors (and officers) can see."""
    policy.require(user, "proposal.create", process)
    require_phase(process, "propose")
    _check_limit(user, process, settings_for(process))
    proposal = Proposal(process_id=process.id, author_id=user.id, state="draft", title="", body="", address="",
                        photo_alt="")
    proposal.process = process
    _apply(proposal, process, data)
    db.session.add(proposal)
    db.session.flush()
    return proposal


def has_supports(proposal: Proposal) -> bool:
    """Any support at all, counted or not yet counted (see ProposalSettings.min_supports)."""
    if proposal.supports_count > 0:
        return True
    return bool(db.session.scalar(select(exists().where(Support.proposal_id == proposal.id))))


def edit_refusal(proposal: Proposal, settings: ProposalSettings | None = None,
                 now: datetime | None = None) -> str | None:
    """Why the proposal can no longer be edited (None when it can): drafts always can; a published one
    only while the propose phase is open, within the process's edit window and until its first support."""
    if proposal.state == "draft":
        return None
    if proposal.state == "withdrawn":
        return "This proposal was withdrawn, so it can no longer be edited."
    try:
        require_phase(proposal.process, "propose", now)
    except RuleViolation as e:
        return f"Proposals can be edited only while making proposals is open. {e.message}"
    settings = settings or settings_for(proposal.process)
    minutes = settings.edit_window_minutes
    now = now or utcnow()
    if has_supports(proposal):
        return "This proposal can no longer be edited: people have started supporting it as it is."
    if proposal.published_at is None or now >= proposal.published_at + timedelta(minutes=minutes):
        if minutes == 0:
            return "Proposals in this process cannot be edited once published."
        unit = "minute" if minutes == 1 else "minutes"
        return (f"Proposals can be edited for {minutes} {unit} after publishing, and that time has passed. "
                "You can comment on your proposal to add to it.")
    return None


def edit_deadline(proposal: Proposal, settings: ProposalSettings) -> datetime | None:
    if proposal.state != "published" or proposal.published_at is None:
        return None
    return proposal.published_at + timedelta(minutes=settings.edit_window_minutes)


def update(user: User, proposal: Proposal, data: ProposalFields) -> Proposal:
    policy.require(user, "proposal.edit", proposal)
    refusal = edit_refusal(proposal)  # the phase, the window, the first support
    if refusal:
        raise RuleViolation(refusal)
    _apply(proposal, proposal.process, data)
    if proposal.state != "draft":
        proposal.updated_at = utcnow()
    db.session.flush()
    return proposal


def _lock_author(user: User) -> None:
    """Serialise one person's publishing in a process, so two parallel requests cannot pass the limit.

    PostgreSQL locks the user's row; SQLite serialises every write anyway (and ignores FOR UPDATE)."""
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())


def publish(user: User, proposal: Proposal) -> Proposal:
    """The draft becomes public (``proposal.published``), within the propose phase and the proposal limit."""
    policy.require(user, "proposal.edit", proposal)
    if proposal.state != "draft":
        raise RuleViolation("This proposal is already published.")
    require_phase(proposal.process, "propose")
    author = db.session.get(User, proposal.author_id)
    _lock_author(author)
    _check_limit(author, proposal.process, settings_for(proposal.process))
    proposal.state = "published"
    proposal.published_at = utcnow()
    db.session.flush()
    events.publish("proposal.published", proposal, actor_id=user.id)
    return proposal


def withdraw(user: User, proposal: Proposal) -> str:
    """A draft is deleted; a published proposal becomes "withdrawn" (still shown, marked, no more supports).

    Returns what happened: ``"deleted"`` or ``"withdrawn"``."""
    policy.require(user, "proposal.withdraw", proposal)
    if proposal.state == "draft":
        photo = proposal.photo_path
        db.session.delete(proposal)
        db.session.flush()
        _after_request(lambda ok: uploads.delete_image(photo) if ok else None)
        return "deleted"
    if proposal.state == "withdrawn":
        raise RuleViolation("You have already withdrawn this proposal.")
    proposal.state = "withdrawn"
    proposal.withdrawn_at = utcnow()
    db.session.flush()
    events.publish("proposal.withdrawn", proposal, actor_id=user.id)
    return "withdrawn"


# Co-authors -------------------------------------------------------------------------------------------------


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
    wanted = _text(nickname).lstrip("@").lower()
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


def groups_to_name(user: User, proposal: Proposal, coauthors: Sequence[Coauthor]) -> list[Group]:
    """The author's groups not yet named as co-authors."""
    named = {c.group_id for c in coauthors if c.group_id}
    groups = db.session.scalars(
        select(Group).join(Membership, Membership.group_id == Group.id)
        .where(Membership.user_id == user.id, Membership.status == "active").order_by(Group.name))
    return [g for g in groups if g.id not in named]


# Similar proposals ------------------------------------------------------------------------------------------

_STOP_WORDS = """
a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having
he her here hers him his how i if in into is it its itself just let me more most my no nor not now of off on
once only or other our ours out over own please propose proposal proposals same she should so some such
than that the their theirs them then there these they this those through to too under until up upon us very
was we were what when where which while who whom why will with would you your yours
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())
SIMILAR_LIMIT = 5
SIMILAR_THRESHOLD = 0.12
#: At most this many candidates (those sharing most words of the title) are scored, on the start of their
#: body, so the page stays fast with 20,000 proposals in a process (scoring one takes ~50 µs).
SIMILAR_CANDIDATES = 200
SIMILAR_BODY_CHARS = 600
_WORD = re.compile(r"[a-z0-9]+")


def tokens(text: str) -> set[str]:
    """Lower-cased words minus stop words and very short words, with a plain plural folded (trees -> tree)."""
    out = set()
    for word in _WORD.findall((text or "").lower()):
        if len(word) < 3 or word in STOP_WORDS:
            continue
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        out.add(word)
    return out


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


@dataclass
class SimilarProposal:
    id: int
    title: str
    supports_count: int
    answer_state: str
    score: float


def similar(proposal: Proposal, limit: int = SIMILAR_LIMIT, threshold: float = SIMILAR_THRESHOLD
            ) -> list[SimilarProposal]:
    """Published proposals of the same process most like this one (Jaccard on title and body words).

    One query: the candidates are the process's visible published proposals sharing a word of this one's
    title (at most ``SIMILAR_CANDIDATES``, those sharing most words first); each is scored on its title and
    the start of its body.
    """
    mine = tokens(f"{proposal.title} {proposal.body}")
    keys = sorted(tokens(proposal.title), key=lambda w: (-len(w), w))[:8]
    if not mine or not keys:
        return []
    title = func.lower(Proposal.title)
    hits = [title.contains(k, autoescape=True) for k in keys]
    shared = sum((case((hit, 1), else_=0) for hit in hits[1:]), case((hits[0], 1), else_=0))
    rows = db.session.execute(
        select(Proposal.id, Proposal.title, func.substr(Proposal.body, 1, SIMILAR_BODY_CHARS),
               Proposal.supports_count, Proposal.answer_state)
        .where(Proposal.process_id == proposal.process_id, Proposal.id != proposal.id,
               Proposal.state == "published", Proposal.hidden_at.is_(None), or_(*hits))
        .order_by(shared.desc(), Proposal.published_at.desc(), Proposal.id.desc())
        .limit(SIMILAR_CANDIDATES)).all()
    scored = []
    for pid, ptitle, pbody, supports, answer in rows:
        score = jaccard(mine, tokens(f"{ptitle} {pbody}"))
        if score >= threshold:
            scored.append(SimilarProposal(pid, ptitle, supports, answer, round(score, 3)))
    scored.sort(key=lambda s: (-s.score, -s.supports_count, s.id))
    return scored[:limit]


#: Similar proposals of a published proposal, kept per worker for a few minutes: the scoring is the
#: costly part of the proposal page, and what is similar changes slowly. Draft previews are never cached.
#: ``CIVIC_SIMILAR_CACHE_SECONDS`` (app config ``SIMILAR_CACHE_SECONDS``), 300 by default; 0 turns it off.
_similar_cache: dict[int, tuple[float, list[SimilarProposal]]] = {}


def similar_cached(proposal: Proposal) -> list[SimilarProposal]:
    ttl = current_app.config.get("SIMILAR_CACHE_SECONDS", 300)
    if not ttl:
        return similar(proposal)
    now = time.monotonic()
    hit = _similar_cache.get(proposal.id)
    if hit is not None and hit[0] > now:
        # The scores may be a few minutes old, but what is shown must not be: drop anything hidden or
        # withdrawn since (one small query on primary keys).
        ids = [s.id for s in hit[1]]
        if not ids:
            return []
        still = set(db.session.scalars(select(Proposal.id).where(
            Proposal.id.in_(ids), Proposal.state == "published", Proposal.hidden_at.is_(None))))
        return [s for s in hit[1] if s.id in still]
    if len(_similar_cache) > 4096:
        _similar_cache.clear()
    found = similar(proposal)
    _similar_cache[proposal.id] = (now + ttl, found)
    return found


# The listing and the map ------------------------------------------------------------------------------------


@dataclass
class Filters:
    q: str = ""
    ward_id: int | None = None
    state: str | None = None  # an answer state, or "withdrawn"
    category: str | None = None  # a Category slug of the process
    order: str = "random"

    @property
    def active(self) -> bool:
        return bool(self.q or self.ward_id or self.state or self.category)


def _conditions(process: Process, f: Filters) -> list[ColumnElement[bool]]:
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
    q = " ".join(_text(f.q).split()).lower()
    if q:
        # The platform's search (stemming: "cycling" finds "cycle lane"), and the words as written, so the list
        # still finds what the index has not caught up with yet.
        found = search.matching_ids("proposal", q, parent=f"process:{process.id}", limit=SEARCH_LIMIT)
        words = or_(func.lower(Proposal.title).contains(q, autoescape=True),
                    func.lower(Proposal.body).contains(q, autoescape=True))
        where.append(or_(words, Proposal.id.in_(found)) if found else words)
    return where


#: A prime above any id we will see: ``(id * a + b) % P`` is then a different number for every id.
RANDOM_PRIME = 2_147_483_647


def random_order(seed: int) -> ColumnElement[Any]:
    """A shuffled but repeatable order of ids for one visitor (same seed, same order, on every database).

    Two rounds of ``x -> (x * a + b) mod P`` with large multipliers, so that even a handful of consecutive
    ids are mixed (one round with a small multiplier would leave them in order). Every product stays below
    2^63, so BIGINT arithmetic is exact on SQLite and PostgreSQL.
    """
    third = RANDOM_PRIME // 3
    rng = random.Random(seed)
    a, c = (third + rng.randrange(third) for _ in range(2))
    b, d = (rng.randrange(RANDOM_PRIME) for _ in range(2))
    big = lambda n: literal(n, BigInteger)  # noqa: E731
    first = (cast(Proposal.id, BigInteger) * big(a) + big(b)) % big(RANDOM_PRIME)
    return (first * big(c) + big(d)) % big(RANDOM_PRIME)


def _ordered(stmt: Select, order: str, seed: int) -> Select:
    if order == "most_supported":
        return stmt.order_by(Proposal.supports_count.desc(), Proposal.id.desc())
    if order == "newest":
        return stmt.order_by(Proposal.published_at.desc(), Proposal.id.desc())
    if order == "most_commented":
        return stmt.order_by(Proposal.comments_count.desc(), Proposal.id.desc())
    return stmt.order_by(random_order(seed), Proposal.id)


@dataclass
class Listing:
    page: Page
    located: int  # how many of the filtered set have a point on the map


def listing(process: Process, f: Filters, page: int = 1, per_page: int = PER_PAGE, seed: int = 0) -> Listing:
    """One page of the filtered set, in three queries (plus one each for its categories and authors' roles)."""
    where = _conditions(process, f)
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


GEOJSON_LIMIT = 5000


def geojson(process: Process, f: Filters) -> dict[str, Any]:
    """The filtered set's located proposals as a GeoJSON FeatureCollection of public fields: one query."""
    where = _conditions(process, f)
    rows = db.session.execute(
        select(Proposal.id, Proposal.title, Proposal.latitude, Proposal.longitude, Proposal.state,
               Proposal.answer_state, Proposal.supports_count, Proposal.comments_count, Ward.name)
        .join(Ward, Ward.id == Proposal.ward_id)
        .where(*where, Proposal.latitude.is_not(None), Proposal.longitude.is_not(None))
        .order_by(Proposal.id).limit(GEOJSON_LIMIT + 1)).all()
    features = [{
        "type": "Feature",
        "id": pid,
        "geometry": {"type": "Point", "coordinates": [lng, lat]},
        "properties": {
            "id": pid, "title": title, "url": url_for("proposals.show", proposal_id=pid),
            "ward": ward, "state": state, "answer_state": answer,
            "status": "Withdrawn" if state == "withdrawn" else ANSWER_LABELS[answer],
            "supports_count": supports, "comments_count": comments,
        },
    } for pid, title, lat, lng, state, answer, supports, comments, ward in rows[:GEOJSON_LIMIT]]
    return {"type": "FeatureCollection", "features": features, "truncated": len(rows) > GEOJSON_LIMIT}


# The proposal page ------------------------------------------------------------------------------------------


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

    Drafts are NotFound for anyone but their authors, invited co-authors and officers; a proposal hidden by
    moderation is shown to others only as hidden."""
    proposal = db.session.scalar(select(Proposal).where(Proposal.id == proposal_id)
                                 .options(selectinload(Proposal.categories)))
    if proposal is None:
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


def on_comment_count(proposal: Proposal, delta: int) -> None:
    """Keep the denormalised comment counter right, in SQL (comments are added concurrently)."""
    db.session.execute(sql_update(Proposal).where(Proposal.id == proposal.id)
                       .values(comments_count=Proposal.comments_count + delta))
