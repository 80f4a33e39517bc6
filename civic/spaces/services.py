"""Participatory processes and their phases: which actions are open now, and officers' editing.

Reading: :func:`active_phase`, :func:`status`, :func:`is_open` and :func:`require_phase` (every action a
phase gates, of proposals, comments or any domain, checks its phase through ``require_phase``; the actions
themselves are registered in :mod:`civic.spaces.phases`), :func:`list_query` for the processes list,
:func:`get_visible` for a process page.

Writing (officers and admins, rule ``process.manage``; every write is audit-logged with before/after):
:func:`create_process`, :func:`update_process`, :func:`publish`, :func:`unpublish`, :func:`add_phase`,
:func:`update_phase`, :func:`remove_phase`. None of them needs a request: demo seeding and tests call them.

Times are stored in UTC. Officers enter them in UK time (Europe/London): :func:`uk_to_utc` converts and
refuses a time that does not exist in the UK (the hour skipped when the clocks go forward).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as babel_format_datetime
from sqlalchemy import Select, case, func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from civic import events, policy, resources, slugs
from civic.audit import audit
from civic.db import after_commit, db, utcnow
from civic.errors import NotFound, RuleViolation
from civic.spaces import phases as phase_actions
from civic.spaces.models import Phase, Process, ProcessWard, Programme, Ward
from civic.uploads import delete_image, register_owner, save_image

UK = ZoneInfo("Europe/London")

STATUSES = ("active", "upcoming", "past")
STATUS_LABELS = {"active": "Active", "upcoming": "Upcoming", "past": "Past"}

TITLE_MAX = 200
SUBTITLE_MAX = 300
DESCRIPTION_MAX = 20_000
BANNER_ALT_MAX = 300
SLUG_MAX = 120
PHASE_TITLE_MAX = 120
PHASE_DESCRIPTION_MAX = 5_000
#: Slugs that would clash with the blueprint's own addresses.
RESERVED_SLUGS = frozenset({"new"})


# Policy -----------------------------------------------------------------------------------------------------


@policy.rule("process.manage")
def _may_manage(user: Any, _process: Process | None) -> bool | str:
    return user.is_officer or "Only council officers can manage participatory processes."


def may_manage(user: Any) -> bool:
    return policy.can(user, "process.manage")


# Times ------------------------------------------------------------------------------------------------------


def uk_to_utc(day: date, at: time, *, field: str | None = None) -> datetime:
    """A date and time on a UK clock (GMT or BST) as an aware UTC datetime.

    A time skipped when the clocks go forward (e.g. 01:30 on the last Sunday of March) is refused; in the
    hour repeated when they go back, the first (BST) one is meant.
    """
    local = datetime.combine(day, at.replace(tzinfo=None, second=0, microsecond=0)).replace(tzinfo=UK)
    moment = local.astimezone(UTC)
    if moment.astimezone(UK).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise RuleViolation(f"{at:%H:%M} does not exist on {day.day} {day:%B %Y} in the UK: the clocks go "
                            "forward that night. Choose another time.", field=field)
    return moment


def to_uk(moment: datetime) -> datetime:
    """An aware datetime on the UK clock (for filling in forms)."""
    return moment.astimezone(UK)


def when(moment: datetime) -> str:
    """``3 March 2025 at 09:00`` on the UK clock, or only the date at midnight. Needs no request or app."""
    local = moment.astimezone(UK)
    fmt = "d MMMM yyyy" if (local.hour, local.minute) == (0, 0) else "d MMMM yyyy 'at' HH:mm"
    return babel_format_datetime(moment, fmt, tzinfo=UK, locale="en_GB")


# Phases: what is open now -----------------------------------------------------------------------------------


def active_phase(process: Process, now: datetime | None = None) -> Phase | None:
    now = now or utcnow()
    for phase in process.phases:
        if phase.starts_at <= now < phase.ends_at:
            return phase
    return None


def status(process: Process, now: datetime | None = None) -> str:
    """``upcoming``, ``active`` or ``past`` (a process between two phases is active)."""
    now = now or utcnow()
    if not process.phases:
        return "upcoming"
    if now < process.phases[0].starts_at:
        return "upcoming"
    if now >= max(p.ends_at for p in process.phases):
        return "past"
    return "active"


def is_open(process: Process, action: str, now: datetime | None = None) -> bool:
    phase = active_phase(process, now)
    return bool(process.is_published and phase is not None and phase.allows(action))


def open_actions(process: Process, now: datetime | None = None) -> list[str]:
    """The keys of the actions open now, in the registry's order."""
    return [key for key in phase_actions.action_keys() if is_open(process, key, now)]


def action_labels() -> dict[str, str]:
    """Each registered action's label, by key (in the registry's order), for pages."""
    return {a.key: a.label for a in phase_actions.actions()}


def action_help() -> dict[str, str]:
    """What opening each registered action means, by key, for pages."""
    return {a.key: a.description for a in phase_actions.actions()}


def require_phase(process: Process, action: str, now: datetime | None = None) -> Phase:
    """The open phase for ``action``, or a RuleViolation that tells a resident when (or whether) it opens.

    For example: "Supporting proposals is not open in this phase (Evaluation). It opens on 3 March 2025 at
    09:00, when the “Second round” phase starts."
    """
    phase_actions.get(action)  # ValueError for an action nobody registered
    if not process.is_published:
        raise RuleViolation("This process is not published yet.")
    now = now or utcnow()
    phase = active_phase(process, now)
    if phase is not None and phase.allows(action):
        return phase
    raise RuleViolation(_closed_message(process, action, phase, now))


def _closed_message(process: Process, action: str, phase: Phase | None, now: datetime) -> str:
    words = str(phase_actions.get(action).label)
    state = status(process, now)
    if phase is not None:
        first = f"{words} is not open in this phase ({phase.title})."
    elif state == "upcoming":
        first = f"{words} is not open yet: this process has not started."
    elif state == "past":
        return f"This process has ended, so {words[0].lower()}{words[1:]} is closed."
    else:
        first = f"{words} is not open now: this process is between two phases."
    later = next((p for p in process.phases if p.starts_at > now and p.allows(action)), None)
    if later is not None:
        return f"{first} It opens on {when(later.starts_at)}, when the “{later.title}” phase starts."
    earlier = [p for p in process.phases if p.ends_at <= now and p.allows(action)]
    if earlier:
        last = earlier[-1]
        return f"{first} It closed on {when(last.ends_at)}, at the end of the “{last.title}” phase."
    return f"{first} No phase of this process opens it."


# Reading ----------------------------------------------------------------------------------------------------


def programmes() -> list[Programme]:
    return list(db.session.scalars(select(Programme).order_by(Programme.position, Programme.name)))


def wards() -> list[Ward]:
    return list(db.session.scalars(select(Ward).order_by(Ward.name)))


def visible(user: Any, process: Process) -> bool:
    """Published processes are public; drafts only for officers."""
    return process.is_published or may_manage(user)


def _banner_visible(name: str, user: Any) -> bool:
    """A banner is served to those who may see its process (civic.uploads asks)."""
    process = db.session.scalar(select(Process).where(Process.banner_path == name))
    return process is not None and visible(user, process)


register_owner("banners", _banner_visible)


def get_by_slug(slug: str) -> Process:
    process = db.session.scalar(select(Process).where(Process.slug == slug))
    if process is None:
        raise NotFound("We could not find that process. It may have been renamed or not be published yet.")
    return process


def get_visible(user: Any, slug: str) -> Process:
    """A process this person may see; a draft is "not found" for anyone but officers."""
    process = get_by_slug(slug)
    if not visible(user, process):
        raise NotFound("We could not find that process. It may have been renamed or not be published yet.")
    return process


def get_phase(process: Process, phase_id: int) -> Phase:
    phase = db.session.scalar(select(Phase).where(Phase.id == phase_id, Phase.process_id == process.id))
    if phase is None:
        raise NotFound("That phase is not part of this process any more.")
    return phase


def _first_start():
    return select(func.min(Phase.starts_at)).where(Phase.process_id == Process.id).correlate(Process) \
        .scalar_subquery()


def _last_end():
    return select(func.max(Phase.ends_at)).where(Phase.process_id == Process.id).correlate(Process) \
        .scalar_subquery()


def _status_clause(which: str, now: datetime):
    first, last = _first_start(), _last_end()
    if which == "upcoming":
        return first.is_(None) | (first > now)
    if which == "past":
        return last <= now
    return (first <= now) & (last > now)


def _filtered(user: Any, *, programme_slug: str | None, ward_slug: str | None) -> Select:
    stmt = select(Process)
    if not may_manage(user):
        stmt = stmt.where(Process.published_at.is_not(None))
    if programme_slug:
        stmt = stmt.join(Programme, Process.programme_id == Programme.id).where(Programme.slug == programme_slug)
    if ward_slug:
        in_ward = (select(ProcessWard.id).join(Ward, ProcessWard.ward_id == Ward.id)
                   .where(ProcessWard.process_id == Process.id, Ward.slug == ward_slug).correlate(Process))
        stmt = stmt.where(Process.whole_city.is_(True) | in_ward.exists())
    return stmt


def list_query(user: Any, *, which: str | None = "active", programme_slug: str | None = None,
               ward_slug: str | None = None, now: datetime | None = None) -> Select:
    """Processes for the list: ``which`` is active, upcoming or past (None: all, latest published first);
    drafts only for officers.

    A ward filter keeps the processes for that ward and those for the whole city. Active processes come
    in the order they end, upcoming ones in the order they start, past ones latest first.
    """
    now = now or utcnow()
    stmt = _filtered(user, programme_slug=programme_slug, ward_slug=ward_slug)
    if which is None:
        return stmt.order_by(Process.published_at.desc().nulls_first(), Process.id.desc())
    if which not in STATUSES:
        raise ValueError(which)
    order = {"active": [_last_end().asc()],
             "upcoming": [_first_start().asc().nulls_last(), Process.created_at.desc()],
             "past": [_last_end().desc()]}[which]
    return stmt.where(_status_clause(which, now)).order_by(*order, Process.id.desc())


def status_counts(user: Any, *, programme_slug: str | None = None, ward_slug: str | None = None,
                  now: datetime | None = None) -> dict[str, int]:
    """How many processes each tab holds, with the same filters: one query."""
    now = now or utcnow()
    # maintain_column_froms: the sums' phase dates are correlated to Process, which must stay in the FROM even
    # when no filter names it (an officer's list), or the subqueries correlate to nothing.
    base = _filtered(user, programme_slug=programme_slug, ward_slug=ward_slug).with_only_columns(
        *[func.coalesce(func.sum(_case(_status_clause(s, now))), 0) for s in STATUSES], maintain_column_froms=True)
    row = db.session.execute(base).one()
    return {s: int(n) for s, n in zip(STATUSES, row, strict=True)}


def _case(condition):
    return case((condition, 1), else_=0)


# Creating and editing processes -----------------------------------------------------------------------------


def slugify(title: str) -> str:
    return slugs.slugify(title, SLUG_MAX - 4, "process")


def _free_slug(title: str) -> str:
    return slugs.free_slug(Process.slug, title, fallback="process", max_length=SLUG_MAX, reserved=RESERVED_SLUGS)


def _snapshot(process: Process) -> dict[str, Any]:
    return {
        "title": process.title, "subtitle": process.subtitle, "description": process.description,
        "programme": process.programme.slug if process.programme else None,
        "scope": "whole city" if process.whole_city else [w.name for w in process.wards],
        "banner": process.banner_path, "banner_alt": process.banner_alt,
        "published": process.is_published,
    }


@dataclass
class ProcessDetails:
    title: str
    subtitle: str
    description: str
    programme: Programme
    wards: list[Ward]  # empty: the whole city
    banner_alt: str


def _clean_process(title: str | None, subtitle: str | None, description: str | None, programme_slug: str | None,
                   ward_names: Iterable[str] | None, banner_alt: str | None, *, has_banner: bool) -> ProcessDetails:
    title = " ".join((title or "").split())
    if not title:
        raise RuleViolation("Enter the title of the process.", field="title")
    if len(title) > TITLE_MAX:
        raise RuleViolation(f"Use at most {TITLE_MAX} characters for the title.", field="title")
    subtitle = " ".join((subtitle or "").split())
    if len(subtitle) > SUBTITLE_MAX:
        raise RuleViolation(f"Use at most {SUBTITLE_MAX} characters for the subtitle.", field="subtitle")
    description = (description or "").strip()
    if not description:
        raise RuleViolation("Describe the process: what the council asks and what happens with the answers.",
                            field="description")
    if len(description) > DESCRIPTION_MAX:
        raise RuleViolation(f"Use at most {DESCRIPTION_MAX:,} characters for the description.",
                            field="description")
    programme = db.session.scalar(select(Programme).where(Programme.slug == (programme_slug or "")))
    if programme is None:
        raise RuleViolation("Choose the programme this process belongs to.", field="programme")
    chosen: list[Ward] = []
    if ward_names is not None:
        names = list(dict.fromkeys(ward_names))
        if names:
            chosen = list(db.session.scalars(select(Ward).where(Ward.name.in_(names)).order_by(Ward.name)))
            unknown = sorted(set(names) - {w.name for w in chosen})
            if unknown:
                raise RuleViolation(f"“{unknown[0]}” is not one of Westminster's wards.", field="wards")
    banner_alt = " ".join((banner_alt or "").split())
    if has_banner and not banner_alt:
        raise RuleViolation("Describe the banner image for people who cannot see it (its alternative text).",
                            field="banner_alt")
    if len(banner_alt) > BANNER_ALT_MAX:
        raise RuleViolation(f"Use at most {BANNER_ALT_MAX} characters for the image description.",
                            field="banner_alt")
    return ProcessDetails(title, subtitle, description, programme, chosen, banner_alt if has_banner else "")


def _has_file(banner: FileStorage | None) -> bool:
    """Whether a file was chosen (a form with no file chosen sends an empty, nameless part)."""
    return banner is not None and bool(banner.filename)


def _set_wards(process: Process, chosen: list[Ward]) -> None:
    process.whole_city = not chosen
    process.wards = list(chosen)


def create_process(actor: Any, *, title: str, subtitle: str = "", description: str, programme_slug: str,
                   ward_names: Iterable[str] | None = None, phases: Iterable[Mapping[str, Any]] = (),
                   published: bool = True, banner: FileStorage | None = None, banner_alt: str = "") -> Process:
    """A new process with its phases; ``ward_names`` None or empty means the whole city.

    Each phase is a mapping with ``title``, ``starts_at`` and ``ends_at`` (aware datetimes), and optionally
    ``description`` and ``actions`` (keys of registered phase actions; ``allow_<key>: True`` is the older
    spelling of the same).
    ``actor`` must be an officer or admin (``None`` only for the system itself: demo data, scripts).
    Works without a request (an app context is enough).
    """
    if actor is not None:
        policy.require(actor, "process.manage")
    has_banner = _has_file(banner)
    details = _clean_process(title, subtitle, description, programme_slug, ward_names, banner_alt,
                             has_banner=has_banner)
    banner_path = save_image(banner, "banners", field="banner") if has_banner else None
    process = Process(title=details.title, subtitle=details.subtitle, description=details.description,
                      programme=details.programme, banner_path=banner_path, banner_alt=details.banner_alt,
                      created_by_id=getattr(actor, "id", None), published_at=utcnow() if published else None)
    _set_wards(process, details.wards)
    try:
        _insert_with_free_slug(process)
    except RuleViolation:
        delete_image(banner_path)
        raise
    audit(actor, "process.create", "process", process.id, label=process.title, after=_snapshot(process))
    for spec in phases:
        spec = dict(spec)
        flags = {name: spec.pop(name) for name in list(spec) if name.startswith("allow_")}
        add_phase(actor, process, title=spec.pop("title"), starts_at=spec.pop("starts_at"),
                  ends_at=spec.pop("ends_at"), description=spec.pop("description", ""),
                  actions=spec.pop("actions", ()), **flags)
        if spec:
            raise TypeError(f"unknown phase keys: {sorted(spec)}")
    return process


def _insert_with_free_slug(process: Process, attempts: int = 5) -> None:
    """Flush a new process under a free slug; a slug taken at the same moment by another request is retried."""
    for _ in range(attempts):
        process.slug = _free_slug(process.title)
        savepoint = db.session.begin_nested()
        db.session.add(process)
        try:
            db.session.flush()
        except IntegrityError:
            savepoint.rollback()
            continue
        savepoint.commit()
        return
    raise RuleViolation("Another process with this title was created a moment ago. Try again.", field="title")


def update_process(actor: Any, process: Process, *, title: str, subtitle: str = "", description: str,
                   programme_slug: str, ward_names: Iterable[str] | None = None,
                   banner: FileStorage | None = None, banner_alt: str = "", remove_banner: bool = False) -> Process:
    """Change a process's details. Its address (slug) stays, so links already shared keep working.

    A new ``banner`` replaces the old image; ``remove_banner`` drops it. The alternative text is required
    whenever the process keeps or gets an image.
    """
    policy.require(actor, "process.manage", process)
    has_new = _has_file(banner)
    keeps_banner = has_new or (process.banner_path is not None and not remove_banner)
    details = _clean_process(title, subtitle, description, programme_slug, ward_names, banner_alt,
                             has_banner=keeps_banner)
    before = _snapshot(process)
    old_banner = process.banner_path
    if has_new:
        process.banner_path = save_image(banner, "banners", field="banner")
    elif remove_banner:
        process.banner_path = None
    process.title, process.subtitle, process.description = details.title, details.subtitle, details.description
    process.programme = details.programme
    process.banner_alt = details.banner_alt
    _set_wards(process, details.wards)
    db.session.flush()
    after = _snapshot(process)
    if old_banner and old_banner != process.banner_path:
        after_commit(delete_image, old_banner)  # a rolled-back change keeps its image
    if after != before:
        audit(actor, "process.update", "process", process.id, label=process.title,
              before={k: v for k, v in before.items() if after[k] != v},
              after={k: v for k, v in after.items() if before[k] != v})
    return process


EVENTS = {
    "process.published": "An officer published a process (subject: the Process; actor_id)",
    "process.unpublished": "An officer made a process a draft again (subject: the Process; actor_id)",
    "process.phase_started": "A phase of a published process began (subject: the Phase)",
}
for _name, _description in EVENTS.items():
    if _name not in events.event_types():
        events.declare(_name, _description)


def publish(actor: Any, process: Process) -> Process:
    policy.require(actor, "process.manage", process)
    if process.is_published:
        raise RuleViolation("This process is already published.")
    process.published_at = utcnow()
    db.session.flush()
    audit(actor, "process.publish", "process", process.id, label=process.title,
          before={"published": False}, after={"published": True})
    events.publish("process.published", process, actor_id=getattr(actor, "id", None))
    return process


def unpublish(actor: Any, process: Process) -> Process:
    """Back to draft: residents no longer see it, nor anything in it (kept, for officers only; domains' visibility
    rules include the process, and ``process.unpublished`` lets them take their notices back)."""
    policy.require(actor, "process.manage", process)
    if not process.is_published:
        raise RuleViolation("This process is already a draft.")
    process.published_at = None
    db.session.flush()
    audit(actor, "process.unpublish", "process", process.id, label=process.title,
          before={"published": True}, after={"published": False})
    events.publish("process.unpublished", process, actor_id=getattr(actor, "id", None))
    return process


# Phases -----------------------------------------------------------------------------------------------------


def _phase_snapshot(phase: Phase) -> dict[str, Any]:
    return {
        "title": phase.title, "description": phase.description,
        "starts_at": phase.starts_at.isoformat(), "ends_at": phase.ends_at.isoformat(),
        "actions": phase_actions.ordered(phase.actions),
    }


def _lock(process: Process) -> None:
    """Serialise phase changes of one process (SELECT ... FOR UPDATE; SQLite writes one at a time)."""
    db.session.execute(select(Process.id).where(Process.id == process.id).with_for_update())


def _clean_phase(process: Process, phase: Phase | None, *, title: str | None, description: str | None,
                 starts_at: datetime | None, ends_at: datetime | None) -> tuple[str, str, datetime, datetime]:
    title = " ".join((title or "").split())
    if not title:
        raise RuleViolation("Enter the name of the phase, like “Proposals” or “Supports”.", field="title")
    if len(title) > PHASE_TITLE_MAX:
        raise RuleViolation(f"Use at most {PHASE_TITLE_MAX} characters for the name.", field="title")
    description = (description or "").strip()
    if len(description) > PHASE_DESCRIPTION_MAX:
        raise RuleViolation(f"Use at most {PHASE_DESCRIPTION_MAX:,} characters for the description.",
                            field="description")
    if starts_at is None:
        raise RuleViolation("Enter the date and time the phase starts.", field="starts_at")
    if ends_at is None:
        raise RuleViolation("Enter the date and time the phase ends.", field="ends_at")
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValueError("phase times must be timezone-aware")
    starts_at, ends_at = starts_at.astimezone(UTC), ends_at.astimezone(UTC)
    if ends_at <= starts_at:
        raise RuleViolation(f"The phase must end after it starts ({when(starts_at)}, UK time).", field="ends_at")
    _lock(process)
    clash = select(Phase).where(Phase.process_id == process.id, Phase.starts_at < ends_at,
                                Phase.ends_at > starts_at).order_by(Phase.starts_at)
    if phase is not None and phase.id is not None:
        clash = clash.where(Phase.id != phase.id)
    other = db.session.scalars(clash).first()
    if other is not None:
        field = "starts_at" if other.starts_at <= starts_at < other.ends_at else "ends_at"
        raise RuleViolation(f"This phase would overlap the “{other.title}” phase, which runs from "
                            f"{when(other.starts_at)} until {when(other.ends_at)} (UK time). Phases of a "
                            "process cannot overlap.", field=field)
    return title, description, starts_at, ends_at


def add_phase(actor: Any, process: Process, *, title: str, starts_at: datetime, ends_at: datetime,
              description: str = "", actions: Iterable[str] = (), **flags: bool) -> Phase:
    """A new phase opening ``actions`` (registered keys, see :mod:`civic.spaces.phases`).

    ``starts_at``/``ends_at`` are aware datetimes; ``ends_at`` is exclusive. ``allow_<key>=True`` is the older
    spelling of listing ``key`` in ``actions``.
    """
    if actor is not None:
        policy.require(actor, "process.manage", process)
    chosen = phase_actions.chosen(actions, flags)
    title, description, starts_at, ends_at = _clean_phase(process, None, title=title, description=description,
                                                          starts_at=starts_at, ends_at=ends_at)
    phase = Phase(title=title, description=description, starts_at=starts_at, ends_at=ends_at)
    phase.set_actions(chosen)
    process.phases.append(phase)
    db.session.flush()
    _resort(process)
    audit(actor, "phase.create", "phase", phase.id, label=f"{process.title}: {phase.title}",
          after=_phase_snapshot(phase))
    return phase


def update_phase(actor: Any, phase: Phase, *, title: str, starts_at: datetime, ends_at: datetime,
                 description: str = "", actions: Iterable[str] = (), **flags: bool) -> Phase:
    """Change a phase; it opens exactly ``actions`` afterwards (``allow_<key>=True`` as in :func:`add_phase`)."""
    process = phase.process
    policy.require(actor, "process.manage", process)
    chosen = phase_actions.chosen(actions, flags)
    title, description, starts_at, ends_at = _clean_phase(process, phase, title=title, description=description,
                                                          starts_at=starts_at, ends_at=ends_at)
    before = _phase_snapshot(phase)
    phase.title, phase.description, phase.starts_at, phase.ends_at = title, description, starts_at, ends_at
    phase.set_actions(chosen)
    db.session.flush()
    _resort(process)
    after = _phase_snapshot(phase)
    if after != before:
        audit(actor, "phase.update", "phase", phase.id, label=f"{process.title}: {phase.title}",
              before=before, after=after)
    return phase


def remove_phase(actor: Any, phase: Phase) -> None:
    process = phase.process
    policy.require(actor, "process.manage", process)
    _lock(process)
    audit(actor, "phase.delete", "phase", phase.id, label=f"{process.title}: {phase.title}",
          before=_phase_snapshot(phase))
    process.phases.remove(phase)
    db.session.flush()


def _resort(process: Process) -> None:
    """Keep ``process.phases`` in time order in memory (the relationship orders only when loaded)."""
    process.phases.sort(key=lambda p: p.starts_at)


def next_phase_start(process: Process) -> datetime | None:
    """Where a new phase naturally starts: when the last one ends."""
    return max((p.ends_at for p in process.phases), default=None)


# Processes as a resource: people follow them -----------------------------------------------------------------

PROCESS = resources.register(resources.ResourceType(
    "process", Process, "Process", url=resources.Link("spaces.show", "slug", "slug"), title=lambda p: p.title,
    visible=visible, space=lambda p: p.title, follows=resources.FollowHooks()))
