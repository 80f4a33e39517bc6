"""Moderation services: reports, automatic hiding, the officer queue and the transparency counts.

A resource is reportable when its type in :mod:`civic.resources` has ``moderation=ModerationHooks(...)``
(``set_hidden(obj, hidden_at)``: a time or None; ``author_id(obj)``); its ``url``, ``title`` and ``visible``
are the resource type's. The core never imports the domain: it finds the object through the
registry. See docs/moderation.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import func, literal, or_, select, union_all, update
from sqlalchemy.exc import IntegrityError

from civic import events, policy, resources
from civic.accounts.models import User
from civic.audit import AuditEntry, audit
from civic.db import Page, db, paginate, utcnow
from civic.errors import NotFound, PermissionDenied, RuleViolation
from civic.moderation.models import REPORT_REASONS, Appeal, Block, Moderation, Report
from civic.resources import ResourceType

# Reports, hiding and the queue ------------------------------------------------------------------------------

REASONS = {
    "spam": "Spam or advertising",
    "offensive": "Offensive or abusive",
    "does_not_belong": "Does not belong here",
    "illegal": "Illegal",
    "other": "Something else",
}
assert set(REASONS) == set(REPORT_REASONS)
DETAILS_MAX = 1000
NOTE_MAX = 2000
FILTERS = {"open": "Waiting for a decision", "hidden": "Hidden", "all": "All"}
AUTO_HIDE_REASON = "Hidden automatically after {n} reports from different people."

EVENTS = {
    "moderation.reported": "Someone reported content (subject: the Moderation row; report: the Report)",
    "moderation.hidden": "Content was hidden, by reports or by an officer (subject: the Moderation row)",
    "moderation.restored": "An officer showed hidden content again (subject: the Moderation row)",
    "moderation.dismissed": "An officer dismissed the reports on content (subject: the Moderation row)",
}
for _name, _description in EVENTS.items():
    if _name not in events.event_types():
        events.declare(_name, _description)


@policy.rule("moderation.report")
def _may_report(user: User, obj: Any) -> bool | str:
    if not user.email_confirmed:
        return "Please confirm your email address first."
    if obj is not None and getattr(obj, "author_id", None) == user.id:
        return "You cannot report your own content."
    return True


@policy.rule("moderation.act")
def _may_act(user: User, _obj: Any) -> bool | str:
    return user.is_officer or "Only council officers can moderate."


def _reportable(resource_type: str) -> ResourceType:
    rt = resources.find(resource_type)
    if rt is None or rt.moderation is None:
        raise NotFound("We could not find that page.")
    return rt


def find_reportable(user: Any, resource_type: str, resource_id: int) -> tuple[ResourceType, Any]:
    """The reportable object if this person may see it; else NotFound."""
    rt = _reportable(resource_type)
    obj = resources.load_visible(rt, user, resource_id)
    if obj is None:
        raise NotFound("We could not find that page.")
    return rt, obj


def title_of(rt: ResourceType, obj: Any) -> str:
    return rt.title_of(obj)


def url_of(rt: ResourceType, obj: Any) -> str | None:
    return rt.url_of(obj)


def _moderation(resource_type: str, resource_id: int) -> Moderation:
    """Get or create the resource's moderation row; a concurrent creator wins and we read its row."""
    stmt = select(Moderation).where(Moderation.resource_type == resource_type, Moderation.resource_id == resource_id)
    found = db.session.scalar(stmt)
    if found is not None:
        return found
    try:
        with db.session.begin_nested():
            row = Moderation(resource_type=resource_type, resource_id=resource_id, reports_count=0)
            db.session.add(row)
            db.session.flush()
        return row
    except IntegrityError:
        return db.session.scalars(stmt).one()


def moderation_of(resource_type: str, resource_id: int) -> Moderation | None:
    return db.session.scalar(select(Moderation).where(Moderation.resource_type == resource_type,
                                                      Moderation.resource_id == resource_id))


def has_reported(user: Any, resource_type: str, resource_id: int) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(select(func.count()).select_from(Report).join(Moderation).where(
        Moderation.resource_type == resource_type, Moderation.resource_id == resource_id,
        Report.user_id == user.id)) > 0


def _set_hidden(rt: ResourceType, obj: Any, hidden_at: datetime | None) -> None:
    if rt.moderation is None:
        raise RuleViolation(f"{rt.label} content cannot be hidden.")
    rt.moderation.set_hidden(obj, hidden_at)


def _hide_once(mod: Moderation, rt: ResourceType, obj: Any, *, by: User | None, reason: str) -> datetime | None:
    """Hide it if it is not hidden yet (a conditional UPDATE, so it happens once); the time, or None."""
    now = utcnow()
    done = db.session.execute(
        update(Moderation).where(Moderation.id == mod.id, Moderation.hidden_at.is_(None))
        .values(hidden_at=now, hidden_by_id=by.id if by else None, hidden_reason=reason, updated_at=now)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        return None
    db.session.refresh(mod)
    _set_hidden(rt, obj, now)
    return now


def report(user: User, resource_type: str, resource_id: int, reason: str, details: str = "") -> Report:
    """Report content once; at the threshold of distinct reports it is hidden at once."""
    rt, obj = report_target(user, resource_type, resource_id)
    if getattr(obj, "hidden_at", None) is not None:
        raise RuleViolation("This has already been hidden by moderation.")
    if reason not in REASONS:
        raise RuleViolation("Choose why you are reporting this.", field="reason")
    details = (details or "").strip()
    if reason == "other" and not details:
        raise RuleViolation("Tell us what is wrong, as you chose “Something else”.", field="details")
    if len(details) > DETAILS_MAX:
        raise RuleViolation(f"Keep the details to {DETAILS_MAX:,} characters or fewer.", field="details")
    mod = _moderation(rt.name, obj.id)
    row = Report(moderation_id=mod.id, user_id=user.id, reason=reason, details=details)
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        raise RuleViolation("You have already reported this. Thank you: a moderator will look at it.") from None
    count = db.session.execute(
        update(Moderation).where(Moderation.id == mod.id)
        .values(reports_count=Moderation.reports_count + 1, status="open", updated_at=utcnow())
        .returning(Moderation.reports_count)).scalar_one()
    events.publish("moderation.reported", mod, report=row, resource_type=rt.name, resource_id=obj.id)
    threshold = current_app.config.get("MODERATION_HIDE_THRESHOLD", 3)
    if threshold and count >= threshold:
        hidden_at = _hide_once(mod, rt, obj, by=None, reason=AUTO_HIDE_REASON.format(n=threshold))
        if hidden_at is not None:
            audit(None, "moderation.auto_hide", rt.name, obj.id, label=title_of(rt, obj),
                  before={"hidden": False, "reports": count - 1}, after={"hidden": True, "reports": count},
                  reason=mod.hidden_reason)
            events.publish("moderation.hidden", mod, automatic=True, resource_type=rt.name, resource_id=obj.id)
    return row


def report_target(user: User, resource_type: str, resource_id: int) -> tuple[ResourceType, Any]:
    """What this person may report (NotFound if they cannot see it; PermissionDenied for their own)."""
    rt, obj = find_reportable(user, resource_type, resource_id)
    policy.require(user, "moderation.report", obj)
    return rt, obj


def require_moderator(user: Any) -> None:
    policy.require(user, "moderation.act")


def moderator_target(officer: User, resource_type: str, resource_id: int
                     ) -> tuple[ResourceType, Any, Moderation | None]:
    rt, obj = _officer_target(officer, resource_type, resource_id)
    return rt, obj, moderation_of(rt.name, obj.id)


def open_reports(mod: Moderation | None) -> list[Report]:
    """The open reports on one item, for officers only (the caller has checked)."""
    if mod is None:
        return []
    return list(db.session.scalars(select(Report).where(Report.moderation_id == mod.id, Report.dismissed_at.is_(None))
                                   .order_by(Report.id)))


def _officer_target(officer: User, resource_type: str, resource_id: int) -> tuple[ResourceType, Any]:
    policy.require(officer, "moderation.act")
    rt = _reportable(resource_type)
    obj = db.session.get(rt.model, resource_id)
    if obj is None:
        raise NotFound("We could not find that content.")
    return rt, obj


OWN_CONTENT = ("This is your own content, so another officer must decide whether to {what}. "
               "Ask a colleague to review it.")


#: What an officer may not do to their own content, in the refusal's words.
OWN_CONTENT_ACTIONS = {"unhide": "show it again", "dismiss": "dismiss the reports on it"}


def own_content_refusal(officer: Any, rt: ResourceType, obj: Any, action: str) -> str | None:
    """Nobody judges their own case: why this officer may not ``action`` ("unhide", "dismiss") this content, which
    is their own; None when they may (anyone may hide their own content)."""
    if action not in OWN_CONTENT_ACTIONS:
        return None
    author_id = rt.moderation.author_id(obj) if rt.moderation is not None else getattr(obj, "author_id", None)
    if author_id is not None and author_id == getattr(officer, "id", None):
        return OWN_CONTENT.format(what=OWN_CONTENT_ACTIONS[action])
    return None


def _not_own(officer: User, rt: ResourceType, obj: Any, action: str) -> None:
    refusal = own_content_refusal(officer, rt, obj, action)
    if refusal is not None:
        raise PermissionDenied(refusal)


def _note(note: str | None) -> str:
    note = (note or "").strip()
    if not note:
        raise RuleViolation("Write a note saying why.", field="note")
    if len(note) > NOTE_MAX:
        raise RuleViolation(f"Keep the note to {NOTE_MAX:,} characters or fewer.", field="note")
    return note


def _state(mod: Moderation) -> dict:
    return {"hidden": mod.hidden_at is not None, "reports": mod.reports_count, "status": mod.status}


def hide(officer: User, resource_type: str, resource_id: int, note: str) -> Moderation:
    """An officer hides content, reported or not, with a note."""
    rt, obj = _officer_target(officer, resource_type, resource_id)
    note = _note(note)
    mod = _moderation(rt.name, obj.id)
    before = _state(mod)
    if _hide_once(mod, rt, obj, by=officer, reason=note) is None:
        raise RuleViolation("This is already hidden.")
    mod.status = "decided"
    db.session.flush()
    audit(officer, "moderation.hide", rt.name, obj.id, label=title_of(rt, obj), before=before, after=_state(mod),
          reason=note)
    events.publish("moderation.hidden", mod, automatic=False, resource_type=rt.name, resource_id=obj.id)
    return mod


def _dismiss_reports(mod: Moderation) -> None:
    db.session.execute(update(Report).where(Report.moderation_id == mod.id, Report.dismissed_at.is_(None))
                       .values(dismissed_at=utcnow()).execution_options(synchronize_session=False))
    db.session.execute(update(Moderation).where(Moderation.id == mod.id)
                       .values(reports_count=0, status="decided", updated_at=utcnow())
                       .execution_options(synchronize_session=False))
    db.session.refresh(mod)


def unhide(officer: User, resource_type: str, resource_id: int, note: str, *,
           appeal_id: int | None = None) -> Moderation:
    """An officer shows hidden content again; its reports are settled so it is not hidden again by them.
    Never their own content (PermissionDenied): another officer decides."""
    rt, obj = _officer_target(officer, resource_type, resource_id)
    _not_own(officer, rt, obj, "unhide")
    note = _note(note)
    mod = moderation_of(rt.name, obj.id)
    if mod is None or mod.hidden_at is None:
        raise RuleViolation("This is not hidden.")
    before = _state(mod)
    db.session.execute(update(Moderation).where(Moderation.id == mod.id)
                       .values(hidden_at=None, hidden_by_id=None, hidden_reason="")
                       .execution_options(synchronize_session=False))
    _dismiss_reports(mod)
    _set_hidden(rt, obj, None)
    audit(officer, "moderation.unhide", rt.name, obj.id, label=title_of(rt, obj), before=before, after=_state(mod),
          reason=note)
    events.publish("moderation.restored", mod, resource_type=rt.name, resource_id=obj.id, appeal_id=appeal_id,
                   restored_at=utcnow().isoformat())
    return mod


def dismiss(officer: User, resource_type: str, resource_id: int, note: str) -> Moderation:
    """An officer dismisses the open reports: the content stays as it is. Never on their own content."""
    rt, obj = _officer_target(officer, resource_type, resource_id)
    _not_own(officer, rt, obj, "dismiss")
    note = _note(note)
    mod = moderation_of(rt.name, obj.id)
    if mod is None or mod.reports_count == 0:
        raise RuleViolation("There are no open reports to dismiss.")
    before = _state(mod)
    _dismiss_reports(mod)
    audit(officer, "moderation.dismiss", rt.name, obj.id, label=title_of(rt, obj), before=before,
          after=_state(mod), reason=note)
    events.publish("moderation.dismissed", mod, resource_type=rt.name, resource_id=obj.id)
    return mod


@dataclass
class QueueItem:
    moderation: Moderation
    label: str
    title: str
    url: str | None
    author: User | None
    reasons: dict[str, int] = field(default_factory=dict)
    details: list[str] = field(default_factory=list)


QUEUE_SORTS = {"reports": "Most reported first", "recent": "Most recent activity first",
               "oldest": "Waiting longest first"}


def queue(officer: User, status: str = "open", page: int = 1, per_page: int = 20, *, kind: str = "",
          sort: str = "reports", q: str = "") -> tuple[Page, list[QueueItem]]:
    """One page of the queue, in a fixed number of queries (plus one per resource type on the page).

    ``kind`` keeps one resource type (e.g. "comment"); ``sort`` is one of QUEUE_SORTS; ``q``: words (see
    :func:`matching`).
    """
    policy.require(officer, "moderation.act")
    stmt = select(Moderation)
    if kind:
        stmt = stmt.where(Moderation.resource_type == kind)
    if q:
        stmt = stmt.where(matching(q))
    if status == "open":
        stmt = stmt.where(Moderation.status == "open", Moderation.reports_count > 0)
    elif status == "hidden":
        stmt = stmt.where(Moderation.hidden_at.is_not(None))
    if sort == "recent":
        stmt = stmt.order_by(func.coalesce(Moderation.updated_at, Moderation.created_at).desc(), Moderation.id.desc())
    elif sort == "oldest":
        stmt = stmt.order_by(Moderation.created_at, Moderation.id)
    else:
        stmt = stmt.order_by(Moderation.reports_count.desc(), Moderation.updated_at.desc(), Moderation.id.desc())
    result = paginate(stmt, page, per_page)
    mods = list(result.items)
    ids = [m.id for m in mods]
    reasons: dict[int, dict[str, int]] = {}
    details: dict[int, list[str]] = {}
    if ids:
        for mod_id, reason, n in db.session.execute(
                select(Report.moderation_id, Report.reason, func.count()).where(
                    Report.moderation_id.in_(ids), Report.dismissed_at.is_(None))
                .group_by(Report.moderation_id, Report.reason)):
            reasons.setdefault(mod_id, {})[reason] = n
        for mod_id, text in db.session.execute(
                select(Report.moderation_id, Report.details).where(
                    Report.moderation_id.in_(ids), Report.dismissed_at.is_(None), Report.details != "")
                .order_by(Report.id)):
            details.setdefault(mod_id, []).append(text)
    objects: dict[tuple[str, int], Any] = {}
    by_type: dict[str, list[int]] = {}
    for m in mods:
        by_type.setdefault(m.resource_type, []).append(m.resource_id)
    for name, rids in by_type.items():
        rt = resources.find(name)
        if rt is not None:
            for obj in db.session.scalars(select(rt.model).where(rt.model.id.in_(rids))):
                objects[(name, obj.id)] = obj
    author_ids = {getattr(o, "author_id", None) for o in objects.values()} - {None}
    authors = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(author_ids)))} if author_ids else {}
    items = []
    for m in mods:
        rt = resources.find(m.resource_type)
        obj = objects.get((m.resource_type, m.resource_id))
        if rt is None or obj is None:
            items.append(QueueItem(m, m.resource_type, f"{m.resource_type} {m.resource_id} (gone)", None, None,
                                   reasons.get(m.id, {}), details.get(m.id, [])))
            continue
        items.append(QueueItem(m, rt.label, title_of(rt, obj), url_of(rt, obj),
                               authors.get(getattr(obj, "author_id", None)), reasons.get(m.id, {}),
                               details.get(m.id, [])))
    return result, items


def hidden_notice(resource_type: str, resource_id: int) -> Moderation | None:
    """The moderation row of hidden content (for telling its author why)."""
    mod = moderation_of(resource_type, resource_id)
    return mod if mod is not None and mod.hidden_at is not None else None


# Transparency -----------------------------------------------------------------------------------------------


def _month(column: Any) -> Any:
    if db.engine.dialect.name == "sqlite":
        return func.strftime("%Y-%m", column)
    return func.to_char(column, "YYYY-MM")


TRANSPARENCY_KINDS = {"hides": "Hidden", "restores": "Restored", "blocks": "People blocked", "appeals": "Appeals"}


def transparency() -> tuple[list[str], dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """Monthly counts, newest month first, in two grouped queries: reports by reason, and decisions by kind."""
    by_reason: dict[str, dict[str, int]] = {}
    for month, reason, n in db.session.execute(
            select(_month(Report.created_at).label("m"), Report.reason, func.count())
            .group_by("m", Report.reason)):
        by_reason.setdefault(month, {})[reason] = n
    decisions = union_all(
        select(_month(AuditEntry.at).label("m"), literal("hides").label("k"))
        .where(AuditEntry.action.in_(("moderation.hide", "moderation.auto_hide"))),
        select(_month(AuditEntry.at).label("m"), literal("restores").label("k"))
        .where(AuditEntry.action == "moderation.unhide"),
        select(_month(Block.created_at).label("m"), literal("blocks").label("k")),
        select(_month(Appeal.created_at).label("m"), literal("appeals").label("k")),
    ).subquery()
    by_kind: dict[str, dict[str, int]] = {}
    for month, kind, n in db.session.execute(
            select(decisions.c.m, decisions.c.k, func.count()).group_by(decisions.c.m, decisions.c.k)):
        by_kind.setdefault(month, {})[kind] = n
    months = sorted(set(by_reason) | set(by_kind), reverse=True)
    return months, by_reason, by_kind


# Tools: search, finding content to hide, bulk decisions --------------------------------------------------------

SEARCH_MAX = 100
FIND_PER_KIND = 20
BULK_LIMIT = 50
BULK_ACTIONS = {"hide": "Hide", "dismiss": "Dismiss the reports"}


def _words(q: str | None) -> str:
    return " ".join((q or "").split())[:SEARCH_MAX]


def matching(q: str) -> Any:
    """Moderation rows whose content's words match (through the search index, when one runs), whose reports'
    details say it, or whose content's author has that nickname."""
    q = _words(q)
    like = f"%{q.lower()}%"
    either = [Moderation.id.in_(select(Report.moderation_id).where(func.lower(Report.details).like(like)))]
    for rt in resources.with_capability("reportable"):
        ids = resources.find_ids(rt.name, q, 500)
        if ids:
            either.append((Moderation.resource_type == rt.name) & Moderation.resource_id.in_(ids))
        author = resources.author_column(rt.model)
        if author is not None:
            either.append((Moderation.resource_type == rt.name) & Moderation.resource_id.in_(
                select(rt.model.id).join(User, User.id == author)
                .where(User.nickname == q.lower().lstrip("@"))))
    return or_(*either)


@dataclass
class Found:
    label: str
    resource_type: str
    resource_id: int
    title: str
    url: str | None
    hidden: bool


def find_content(officer: User, q: str) -> list[Found]:
    """Content officers may hide, found by its words (reported or not), best first within each kind: one query per
    kind of content and one for the moderation rows, whatever is found."""
    policy.require(officer, "moderation.act")
    q = _words(q)
    if not q:
        return []
    found: list[tuple[ResourceType, Any]] = []
    for rt in resources.with_capability("reportable"):
        ids = resources.find_ids(rt.name, q, FIND_PER_KIND)
        if not ids:
            continue
        rank = {ident: i for i, ident in enumerate(ids)}
        objs = sorted(db.session.scalars(select(rt.model).where(rt.model.id.in_(ids))),
                      key=lambda o: rank.get(o.id, 0))
        found.extend((rt, o) for o in objs)
    if not found:
        return []
    hidden = {(m.resource_type, m.resource_id) for m in db.session.scalars(
        select(Moderation).where(Moderation.hidden_at.is_not(None), or_(*[
            (Moderation.resource_type == rt.name) & (Moderation.resource_id == o.id) for rt, o in found])))}
    return [Found(rt.label, rt.name, o.id, title_of(rt, o), url_of(rt, o), (rt.name, o.id) in hidden)
            for rt, o in found]


def parse_items(values: list[str]) -> list[tuple[str, int]]:
    """``["comment:12", "proposal:3"]`` -> [("comment", 12), ("proposal", 3)]; anything else is left out."""
    items = []
    for value in values:
        kind, _sep, ident = (value or "").partition(":")
        if kind and ident.isascii() and ident.isdigit() and 0 < int(ident) < 2**31:
            items.append((kind, int(ident)))
    return list(dict.fromkeys(items))


def bulk(officer: User, action: str, items: list[tuple[str, int]], note: str
         ) -> tuple[list[str], list[tuple[str, str]]]:
    """One decision on many items with one note: each goes through :func:`hide` or :func:`dismiss` (audit entry,
    event, the author told), in a savepoint of its own; one that is refused (already hidden, nothing to
    dismiss, the officer's own content) is listed with the reason and the others go on.
    Returns (titles done, [(title, why) refused])."""
    policy.require(officer, "moderation.act")
    if action not in BULK_ACTIONS:
        raise RuleViolation("Choose what to do with the ticked items.", field="action")
    if not items:
        raise RuleViolation("Tick at least one item.", field="items")
    if len(items) > BULK_LIMIT:
        raise RuleViolation(f"Choose at most {BULK_LIMIT} items at once.", field="items")
    note = _note(note)
    do = hide if action == "hide" else dismiss
    done: list[str] = []
    refused: list[tuple[str, str]] = []
    for resource_type, resource_id in items:
        try:
            rt, obj = _officer_target(officer, resource_type, resource_id)
            title = title_of(rt, obj)
        except (NotFound, PermissionDenied) as e:
            refused.append((f"{resource_type} {resource_id}", e.message))
            continue
        try:
            with db.session.begin_nested():
                do(officer, rt.name, obj.id, note)
        except (RuleViolation, PermissionDenied) as e:
            refused.append((title, e.message))
        else:
            done.append(title)
    return done, refused
