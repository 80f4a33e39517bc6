"""Writing proposals: making a draft, editing, publishing and withdrawing it, and the rules of each (the
proposal limit, the editing window, the fields); also which proposals and fields go on the map (the points and
the GeoJSON are the core's map kit, :mod:`civic.maps`).

Every write checks here who may do it (``policy.require``, rules in ``proposals.policy``) and whether the
process's phase allows it (``civic.spaces.services.require_phase``), so the HTML views and the JSON API share
one set of rules. Services add and flush; the request commits. Co-authors, supports, endorsements, answers,
settings and categories have modules of their own; the pages' read-models are ``pages`` and ``listing``.
Points and GeoJSON come from the core's map kit (:mod:`civic.maps`); only which proposals and which fields are
decided here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import url_for
from sqlalchemy import exists, func, select
from sqlalchemy import update as sql_update
from werkzeug.datastructures import FileStorage

from civic import events, maps, policy, uploads
from civic.accounts.models import User
from civic.db import after_commit, after_rollback, db, utcnow
from civic.errors import PermissionDenied, RuleViolation
from civic.spaces.models import Process, Ward
from civic.spaces.services import require_phase
from proposals.answers import ANSWER_LABELS
from proposals.categories import categories_for
from proposals.listing import Filters, conditions
from proposals.models import Proposal, ProposalSettings, Support
from proposals.settings import settings_for

TITLE_MIN, TITLE_MAX = 15, 150
BODY_MAX = 10_000
ADDRESS_MAX = 200
ALT_MAX = 300


# Proposals and their choices --------------------------------------------------------------------------------


def wards_for(process: Process) -> list[Ward]:
    """The wards a proposal in this process may be in: the process's own, or all 18 for the whole city."""
    if not process.whole_city and process.wards:
        return list(process.wards)
    return list(db.session.scalars(select(Ward).order_by(Ward.name)))


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


@dataclass
class ProposalFields:
    """What a person fills in to make or edit a proposal."""

    title: str = ""
    body: str = ""
    ward_id: int | str | None = None
    address: str = ""
    latitude: Any = None
    longitude: Any = None
    point_confirmed: bool = False  # "the point is right", when it lies far outside the ward
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
    ward = next((w for w in wards_for(process) if w.id == ward_id), None) if ward_id is not None else None
    if ward is None:
        raise RuleViolation("Choose the ward where your proposal would happen.", field="ward")
    address = " ".join(_text(data.address).split())
    if len(address) > ADDRESS_MAX:
        raise RuleViolation(f"The address must be {ADDRESS_MAX} characters or fewer.", field="address")
    point = maps.parse_point(data.latitude, data.longitude)
    if point != (proposal.latitude, proposal.longitude) or ward_id != proposal.ward_id:  # asked once
        maps.question_point(point, ward.name, confirmed=data.point_confirmed)
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


# The map ----------------------------------------------------------------------------------------------------


GEOJSON_LIMIT = 5000


def geojson_features(process: Process, f: Filters, bbox: maps.Bounds | None = None) -> Iterator[dict[str, Any]]:
    """The filtered set's located proposals (inside ``bbox``, when given) as GeoJSON features of public fields with
    absolute addresses, read in batches (one query); one more than ``GEOJSON_LIMIT`` at most, so the map kit can
    say the collection was cut."""
    where = conditions(process, f)
    if bbox is not None:
        where += [Proposal.latitude.between(bbox.south, bbox.north),
                  Proposal.longitude.between(bbox.west, bbox.east)]
    rows = db.session.execute(
        select(Proposal.id, Proposal.title, Proposal.latitude, Proposal.longitude, Proposal.state,
               Proposal.answer_state, Proposal.supports_count, Proposal.comments_count, Ward.name)
        .join(Ward, Ward.id == Proposal.ward_id)
        .where(*where, Proposal.latitude.is_not(None), Proposal.longitude.is_not(None))
        .order_by(Proposal.id).limit(GEOJSON_LIMIT + 1).execution_options(yield_per=500))
    url = url_for("proposals.show", proposal_id=0, _external=True)
    prefix, suffix = url.rsplit("0", 1)
    try:
        for pid, title, lat, lng, state, answer, supports, comments, ward in rows:
            yield maps.feature(pid, lat, lng, {
                "id": pid, "title": title, "url": f"{prefix}{pid}{suffix}",
                "ward": ward, "state": state, "answer_state": answer,
                "status": "Withdrawn" if state == "withdrawn" else ANSWER_LABELS[answer],
                "supports_count": supports, "comments_count": comments,
            })
    finally:
        rows.close()  # the server-side cursor, also when the reader stops early


# Comments ---------------------------------------------------------------------------------------------------


def on_comment_count(proposal: Proposal, delta: int) -> None:
    """Keep the denormalised comment counter right, in SQL (comments are added concurrently)."""
    db.session.execute(sql_update(Proposal).where(Proposal.id == proposal.id)
                       .values(comments_count=Proposal.comments_count + delta))
