"""Notifications: follows, fan-out of events to people, the notification centre, preferences and alerts.

Fan-out is set-based: one ``INSERT ... SELECT`` per audience, in the audiences' priority order, each
leaving out people already told about the event (a unique key on person and event makes that hold under
concurrency too). Nobody is told about their own action, blocked and deleted people are never told, and
an event about hidden content is never made (and is hidden when its content is hidden later).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_request_context
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    delete,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from civic import db as civic_db
from civic import events, jobs, maps, resources
from civic.accounts import tokens
from civic.accounts.models import User
from civic.db import Page, UTCDateTime, after_commit, db, paginate, utcnow
from civic.errors import NotFound, RuleViolation
from civic.moderation.models import Moderation
from civic.notifications import registry
from civic.notifications.models import (
    EMAIL_CHOICES,
    AlertProgramme,
    AlertWard,
    Follow,
    Notification,
    NotificationEvent,
    NotificationPreference,
    NotificationSettings,
)
from civic.notifications.registry import AreaWatchers, Followers, Notice, Users
from civic.spaces.models import Programme, Ward
from civic.web import MAX_ID

log = logging.getLogger("civic.notifications")

EMAIL_LABELS = {"immediate": "Straight away", "daily": "In a daily summary", "weekly": "In a weekly summary",
                "never": "Never by email"}
assert set(EMAIL_LABELS) == set(EMAIL_CHOICES)
RADIUS_CHOICES = (250, 500, 1000, 2000, 5000)
#: Metres per degree of latitude (and of longitude at the equator), near enough for a few kilometres.
M_PER_DEG_LAT = 111_320.0
UNSUBSCRIBE_PURPOSE = "unsubscribe"


def _insert(model: Any):
    """An INSERT that can ignore conflicts, on PostgreSQL and on SQLite."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


# Follows ----------------------------------------------------------------------------------------------------


def followable(resource_type: str) -> resources.ResourceType:
    rt = resources.find(resource_type)
    if rt is None or rt.follows is None:
        raise NotFound("That cannot be followed.")
    return rt


def load_followable(user: Any, resource_type: str, resource_id: int) -> tuple[resources.ResourceType, Any]:
    """The resource, if it can be followed and this person may see it."""
    rt = followable(resource_type)
    obj = resources.load_visible(rt, user, resource_id)
    if obj is None:
        raise NotFound("We could not find that.")
    return rt, obj


def follow(user: User, resource_type: str, resource_id: int) -> bool:
    """Follow (idempotent). True when a new follow was made."""
    load_followable(user, resource_type, resource_id)
    if resource_type == "user" and resource_id == user.id:
        raise RuleViolation("You cannot follow yourself.")
    return _add_follow(user.id, resource_type, resource_id)


def _add_follow(user_id: int, resource_type: str, resource_id: int) -> bool:
    stmt = _insert(Follow).values(user_id=user_id, resource_type=resource_type, resource_id=resource_id,
                                  created_at=utcnow()).on_conflict_do_nothing()
    return bool(db.session.execute(stmt).rowcount)


def unfollow(user: User, resource_type: str, resource_id: int) -> bool:
    followable(resource_type)
    return bool(db.session.execute(
        delete(Follow).where(Follow.user_id == user.id, Follow.resource_type == resource_type,
                             Follow.resource_id == resource_id)).rowcount)


def is_following(user: Any, resource_type: str, resource_id: int) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(db.session.scalar(select(exists().where(
        Follow.user_id == user.id, Follow.resource_type == resource_type, Follow.resource_id == resource_id))))


def followers_count(resource_type: str, resource_id: int) -> int:
    return db.session.scalar(select(func.count()).where(
        Follow.resource_type == resource_type, Follow.resource_id == resource_id)) or 0


@dataclass
class FollowedItem:
    follow: Follow
    label: str
    title: str
    url: str | None


def following_page(user: User, page: int, per_page: int = 20) -> tuple[Page, list[FollowedItem]]:
    """What this person follows, newest first; one query per resource type on the page."""
    result = paginate(select(Follow).where(Follow.user_id == user.id).order_by(Follow.id.desc()), page, per_page)
    by_type: dict[str, list[int]] = {}
    for f in result.items:
        by_type.setdefault(f.resource_type, []).append(f.resource_id)
    objects: dict[tuple[str, int], Any] = {}
    for type_name, ids in by_type.items():
        rt = resources.find(type_name)
        if rt is None:
            continue
        for obj in db.session.scalars(select(rt.model).where(rt.model.id.in_(ids))):
            objects[(type_name, obj.id)] = obj
    items = []
    for f in result.items:
        rt = resources.find(f.resource_type)
        obj = objects.get((f.resource_type, f.resource_id))
        if rt is None or obj is None:
            items.append(FollowedItem(f, rt.label if rt else f.resource_type, "No longer available", None))
            continue
        if not rt.is_visible(user, obj):
            items.append(FollowedItem(f, rt.label, "No longer available", None))
            continue
        items.append(FollowedItem(f, rt.label, rt.title(obj) if rt.title is not None else str(obj),
                                  rt.url_of(obj)))
    return result, items


# Settings and preferences -----------------------------------------------------------------------------------


def settings_for(user: User) -> NotificationSettings:
    """The person's settings row, or an unsaved one with the defaults."""
    row = db.session.get(NotificationSettings, user.id)
    return row if row is not None else NotificationSettings(user_id=user.id, follow_own=True,
                                                           follow_commented=True, alerts_enabled=False)


def _settings_row(user: User) -> NotificationSettings:
    """The person's row, made if missing (an upsert: two first saves at once make one row)."""
    db.session.execute(_insert(NotificationSettings).values(
        user_id=user.id, follow_own=True, follow_commented=True, alerts_enabled=False).on_conflict_do_nothing())
    return db.session.get(NotificationSettings, user.id, populate_existing=True)


def preferences(user: User) -> dict[str, str]:
    """kind -> email choice, defaults filled in (one query)."""
    chosen = dict(db.session.execute(select(NotificationPreference.kind, NotificationPreference.email)
                                     .where(NotificationPreference.user_id == user.id)).all())
    return {k.key: chosen.get(k.key, k.email_default) for k in registry.kinds()}


def set_preferences(user: User, choices: dict[str, str], *, follow_own: bool | None = None,
                    follow_commented: bool | None = None) -> None:
    for key, email in choices.items():
        if registry.get_kind(key) is None:
            raise RuleViolation("Unknown kind of notification.", field=key)
        if email not in EMAIL_CHOICES:
            raise RuleViolation("Choose how you want to hear about this.", field=key)
    for key, email in choices.items():
        db.session.execute(_insert(NotificationPreference).values(user_id=user.id, kind=key, email=email)
                           .on_conflict_do_update(index_elements=["user_id", "kind"], set_={"email": email}))
        # What is still waiting follows the new choice (a kind switched to "never" leaves the next digest).
        db.session.execute(update(Notification)
                           .where(Notification.user_id == user.id, Notification.kind == key,
                                  Notification.emailed_at.is_(None), Notification.email != "never")
                           .values(email=email).execution_options(synchronize_session=False))
    if follow_own is not None or follow_commented is not None:
        row = _settings_row(user)
        if follow_own is not None:
            row.follow_own = follow_own
        if follow_commented is not None:
            row.follow_commented = follow_commented
        row.updated_at = utcnow()
    db.session.flush()


@dataclass
class Alerts:
    enabled: bool
    ward_ids: list[int]
    programme_ids: list[int]
    latitude: float | None
    longitude: float | None
    radius_m: int | None


def alerts_for(user: User) -> Alerts:
    row = settings_for(user)
    wards = list(db.session.scalars(select(AlertWard.ward_id).where(AlertWard.user_id == user.id)))
    progs = list(db.session.scalars(select(AlertProgramme.programme_id).where(AlertProgramme.user_id == user.id)))
    return Alerts(bool(row.alerts_enabled), wards, progs, row.latitude, row.longitude, row.radius_m)


def save_alerts(user: User, *, ward_ids: Iterable[int], programme_ids: Iterable[int],
                latitude: float | None = None, longitude: float | None = None, radius_m: int | None = None,
                enabled: bool = True) -> Alerts:
    """Replace the person's area alert. A point needs a radius; wards or a point are needed to switch it on."""
    ward_ids = sorted(set(ward_ids))
    programme_ids = sorted(set(programme_ids))
    # A number above the largest id is no row's (and PostgreSQL would refuse it as "integer out of range").
    known_wards = set(db.session.scalars(select(Ward.id).where(Ward.id.in_(
        [i for i in ward_ids if 0 < i <= MAX_ID])))) if ward_ids else set()
    if set(ward_ids) - known_wards:
        raise RuleViolation("Choose wards from the list.", field="wards")
    known_progs = (set(db.session.scalars(select(Programme.id).where(Programme.id.in_(
        [i for i in programme_ids if 0 < i <= MAX_ID])))) if programme_ids else set())
    if set(programme_ids) - known_progs:
        raise RuleViolation("Choose programmes from the list.", field="programmes")
    if (latitude is None) != (longitude is None):
        raise RuleViolation("Give both latitude and longitude, or neither.", field="latitude")
    if latitude is not None:
        if not maps.LONDON.contains(latitude, longitude):  # type: ignore[arg-type]
            raise RuleViolation("Choose a place in London.", field="latitude")
        if radius_m not in RADIUS_CHOICES:
            raise RuleViolation("Choose how far from the place.", field="radius_m")
    else:
        radius_m = None
    if enabled and not ward_ids and latitude is None:
        raise RuleViolation("Choose at least one ward, or a place on the map, to get alerts.", field="wards")
    row = _settings_row(user)
    row.alerts_enabled = enabled
    row.latitude, row.longitude, row.radius_m = latitude, longitude, radius_m
    row.cos_latitude = math.cos(math.radians(latitude)) if latitude is not None else None
    row.updated_at = utcnow()
    db.session.execute(delete(AlertWard).where(AlertWard.user_id == user.id))
    db.session.execute(delete(AlertProgramme).where(AlertProgramme.user_id == user.id))
    if ward_ids:
        db.session.execute(_insert(AlertWard).values([{"user_id": user.id, "ward_id": w} for w in ward_ids])
                           .on_conflict_do_nothing())
    if programme_ids:
        db.session.execute(_insert(AlertProgramme).values(
            [{"user_id": user.id, "programme_id": p} for p in programme_ids]).on_conflict_do_nothing())
    db.session.flush()
    return alerts_for(user)


def stop_alerts(user: User) -> None:
    row = _settings_row(user)
    row.alerts_enabled = False
    row.updated_at = utcnow()
    db.session.flush()


# Fan-out ----------------------------------------------------------------------------------------------------


def _eligible(user_ids: ColumnElement | Select) -> ColumnElement[bool]:
    return and_(User.id.in_(user_ids), User.blocked_at.is_(None), User.deleted_at.is_(None))


def _audience_ids(audience: registry.Audience) -> Select:
    """The ids of the people an audience names (before removing the actor, blocked people...)."""
    if isinstance(audience, Users):
        return select(User.id).where(User.id.in_(list(audience.user_ids) or [-1]))
    if isinstance(audience, Followers):
        return select(Follow.user_id).where(Follow.resource_type == audience.resource_type,
                                            Follow.resource_id == audience.resource_id)
    if isinstance(audience, AreaWatchers):
        s = NotificationSettings
        place: ColumnElement[bool] = true() if audience.everywhere else false()
        if audience.ward_ids and not audience.everywhere:
            place = exists().where(AlertWard.user_id == s.user_id, AlertWard.ward_id.in_(list(audience.ward_ids)))
        if audience.latitude is not None and audience.longitude is not None:
            # Equirectangular distance, in metres, compared squared: plain arithmetic on every database.
            dy = (literal(audience.latitude) - s.latitude) * M_PER_DEG_LAT
            dx = (literal(audience.longitude) - s.longitude) * M_PER_DEG_LAT * s.cos_latitude
            place = or_(place, and_(s.latitude.is_not(None), dx * dx + dy * dy <= s.radius_m * s.radius_m))
        programme: ColumnElement[bool] = true()
        if audience.programme_id is not None:
            programme = or_(~exists().where(AlertProgramme.user_id == s.user_id),
                            exists().where(AlertProgramme.user_id == s.user_id,
                                           AlertProgramme.programme_id == audience.programme_id))
        return select(s.user_id).where(s.alerts_enabled.is_(True), place, programme)
    raise TypeError(f"unknown audience {audience!r}")


def _fan_out(event_id: int, audience: registry.Audience, actor_id: int | None) -> int:
    k = registry.get_kind(audience.kind)
    if k is None:
        raise ValueError(f"undeclared notification kind {audience.kind!r}")
    email = (select(NotificationPreference.email)
             .where(NotificationPreference.user_id == User.id, NotificationPreference.kind == k.key)
             .scalar_subquery())
    already = exists().where(Notification.user_id == User.id, Notification.event_id == event_id)
    conditions = [_eligible(_audience_ids(audience)), ~already]
    if actor_id is not None:
        conditions.append(User.id != actor_id)
    chosen = literal("never") if k.email_fixed else func.coalesce(email, k.email_default)
    now = literal(utcnow(), UTCDateTime())
    source = select(User.id, literal(event_id), literal(k.key), chosen, now).where(*conditions)
    stmt = (_insert(Notification)
            .from_select(["user_id", "event_id", "kind", "email", "created_at"], source)
            .on_conflict_do_nothing())
    return db.session.execute(stmt).rowcount or 0


def deliver(event_type: str, notice: Notice) -> int | None:
    """Make the event once (by its key) and tell its audiences. Returns the event's id, or None."""
    values = dict(key=notice.key[:120], event_type=event_type, actor_id=notice.actor_id, title=notice.title[:300],
                  url=notice.url[:500], space=notice.space[:200], excerpt=notice.excerpt[:500],
                  subject_type=notice.subject[0] if notice.subject else None,
                  subject_id=notice.subject[1] if notice.subject else None,
                  resource_type=notice.resource[0] if notice.resource else None,
                  resource_id=notice.resource[1] if notice.resource else None,
                  hidden=False, created_at=utcnow())
    db.session.execute(_insert(NotificationEvent).values(**values).on_conflict_do_nothing())
    event = db.session.execute(select(NotificationEvent.id, NotificationEvent.hidden)
                               .where(NotificationEvent.key == values["key"])).one()
    if event.hidden:
        return None
    told = 0
    for audience in notice.audiences:
        told += _fan_out(event.id, audience, notice.actor_id)
    for user_id, resource_type, resource_id, why in notice.follows:
        _auto_follow(user_id, resource_type, resource_id, why)
    if told and db.session.scalar(select(exists().where(Notification.event_id == event.id,
                                                        Notification.email == "immediate",
                                                        Notification.emailed_at.is_(None)))):
        after_commit(_enqueue_immediate, event.id)
    return event.id


def _auto_follow(user_id: int, resource_type: str, resource_id: int, why: str) -> None:
    column = NotificationSettings.follow_own if why == "own" else NotificationSettings.follow_commented
    refused = db.session.scalar(select(exists().where(NotificationSettings.user_id == user_id, column.is_(False))))
    if not refused:
        _add_follow(user_id, resource_type, resource_id)


def discard_after_commit(session: Session | None = None) -> None:
    """Mail nobody straight away about what was made in this transaction (a seeder's history)."""
    civic_db.discard_after_commit(_enqueue_immediate, session)


def send_waiting_immediate(older_than_seconds: int = 60) -> int:
    """Hand over immediate mail that nobody queued (events made outside a request, e.g. by a CLI command).

    Returns how many events were queued. ``flask civic tick`` runs it.
    """
    from datetime import timedelta

    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    ids = db.session.scalars(select(Notification.event_id).distinct().where(
        Notification.email == "immediate", Notification.emailed_at.is_(None),
        Notification.created_at <= cutoff)).all()
    for event_id in ids:
        civic_db.after_commit(_enqueue_immediate, event_id)  # once the tick's task has committed
    return len(ids)


def _enqueue_immediate(event_id: int) -> None:
    from civic.notifications import delivery  # delivery imports this module

    jobs.enqueue(delivery.send_immediate, event_id, _base_url(), description=f"Notification mail for event {event_id}")


def _base_url() -> str:
    """The configured address, never the request's Host header (which a sender could forge)."""
    return current_app.config["BASE_URL"]


def handle(event_type: str, subject: Any = None, **data: Any) -> None:
    """Every builder for this event type makes a notice, in a savepoint of the current transaction.

    A failure is logged (raised under test, outside a request) and the caller carries on: it never reaches
    the person whose action caused the event. The demo seeder calls it directly, inside its own transaction;
    published events reach :func:`make_notices` through the outbox (``civic/notifications/outbox.py``).
    """
    try:
        make_notices(event_type, subject, data)
    except Exception:  # noqa: BLE001 - see the docstring
        if current_app.testing and not has_request_context():
            raise
        log.exception("could not make notifications for %s", event_type)


def make_notices(event_type: str, subject: Any, data: dict[str, Any]) -> None:
    """Every builder for this event type makes a notice, in a savepoint of the current transaction; raises
    when one fails (the savepoint is then rolled back). Outside a request, a request context on BASE_URL lets
    builders use url_for (paths, as in a request)."""
    builders = registry.builders(event_type)
    if not builders:
        return
    with (nullcontext() if has_request_context() else current_app.test_request_context(base_url=_base_url())), \
            db.session.begin_nested():
        for build in builders:
            notice = build(subject, **data)
            if notice is not None:
                deliver(event_type, notice)


# Hiding -----------------------------------------------------------------------------------------------------


def _is_hidden(type_column: Any, id_column: Any) -> ColumnElement[bool]:
    return exists().where(Moderation.resource_type == type_column, Moderation.resource_id == id_column,
                          Moderation.hidden_at.is_not(None))


def set_hidden(resource_type: str, resource_id: int, hidden: bool) -> int:
    """Hide every event about this content or about what hangs on it; or, when it is shown again, work out
    each such event afresh: it stays hidden while its other half (the comment, or its proposal) is hidden."""
    e = NotificationEvent
    about = or_(and_(e.subject_type == resource_type, e.subject_id == resource_id),
                and_(e.resource_type == resource_type, e.resource_id == resource_id))
    value: Any = True if hidden else or_(_is_hidden(e.subject_type, e.subject_id),
                                         _is_hidden(e.resource_type, e.resource_id))
    return db.session.execute(update(e).where(about).values(hidden=value)
                              .execution_options(synchronize_session=False)).rowcount or 0


def refresh_excerpt(key: str, excerpt: str) -> None:
    """An edited or deleted text changes what its notifications quote."""
    db.session.execute(update(NotificationEvent).where(NotificationEvent.key == key).values(excerpt=excerpt[:500])
                       .execution_options(synchronize_session=False))


# The notification centre ------------------------------------------------------------------------------------


@dataclass
class Item:
    id: int
    sentence: str
    url: str
    space: str
    excerpt: str
    created_at: Any
    read: bool


def _visible_for(user_id: int) -> Select:
    return (select(Notification)
            .join(Notification.event)
            .where(Notification.user_id == user_id, NotificationEvent.hidden.is_(False)))


def sentence(kind_key: str, event: NotificationEvent) -> str:
    k = registry.get_kind(kind_key)
    actor = event.actor.public_name if event.actor is not None else ""
    return k.sentence(actor, event.title) if k else event.title


def _item(n: Notification) -> Item:
    return Item(n.id, sentence(n.kind, n.event), n.event.url, n.event.space, n.event.excerpt, n.created_at,
                n.read_at is not None)


def page_for(user: User, page: int, per_page: int = 20, *, unread_only: bool = False) -> tuple[Page, list[Item]]:
    """One page of the person's notifications, newest first: two queries whatever the page holds."""
    stmt = _visible_for(user.id).order_by(Notification.id.desc())
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    result = paginate(stmt, page, per_page)
    return result, [_item(n) for n in result.items]


def unread_count(user: Any) -> int:
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return db.session.scalar(select(func.count()).select_from(Notification).join(Notification.event).where(
        Notification.user_id == user.id, Notification.read_at.is_(None), NotificationEvent.hidden.is_(False))) or 0


def open_one(user: User, notification_id: int) -> str:
    """Mark one of the person's notifications read and give the address it points to."""
    n = db.session.scalar(_visible_for(user.id).where(Notification.id == notification_id))
    if n is None:  # someone else's, or about hidden content: the same answer
        raise NotFound("We could not find that notification.")
    if n.read_at is None:
        n.read_at = utcnow()
        db.session.flush()
    return n.event.url


def mark_read(user: User, notification_id: int) -> None:
    open_one(user, notification_id)


def mark_all_read(user: User) -> int:
    return db.session.execute(update(Notification)
                              .where(Notification.user_id == user.id, Notification.read_at.is_(None))
                              .values(read_at=utcnow())
                              .execution_options(synchronize_session=False)).rowcount or 0


# Unsubscribe ------------------------------------------------------------------------------------------------


def unsubscribe_token(user_id: int, kind: str) -> str:
    """A signed, non-expiring token for one person and one kind (or ``"digest:daily"``/``"digest:weekly"``)."""
    return tokens.make(UNSUBSCRIBE_PURPOSE, {"u": user_id, "k": kind})


def read_unsubscribe(token: str) -> tuple[User, str] | None:
    data = tokens.read(UNSUBSCRIBE_PURPOSE, token, max_age=10 * 365 * 24 * 3600)
    if not data or not isinstance(data.get("u"), int) or not isinstance(data.get("k"), str):
        return None
    user = db.session.get(User, data["u"])
    if user is None or user.deleted_at is not None:
        return None
    kind = data["k"]
    if kind.startswith("digest:"):
        if kind not in ("digest:daily", "digest:weekly"):
            return None
    elif registry.get_kind(kind) is None:
        return None
    return user, kind


def unsubscribe_label(kind: str) -> str:
    if kind == "digest:daily":
        return "daily summaries"
    if kind == "digest:weekly":
        return "weekly summaries"
    k = registry.get_kind(kind)
    return f"emails about: {k.label[0].lower()}{k.label[1:]}" if k else "these emails"


def unsubscribe(user: User, kind: str) -> list[str]:
    """Stop email for one kind (or every kind now sent in that digest). Returns the kinds changed."""
    prefs = preferences(user)
    if kind.startswith("digest:"):
        period = kind.split(":", 1)[1]
        keys = [k for k, email in prefs.items() if email == period]
    else:
        keys = [kind]
    set_preferences(user, {k: "never" for k in keys})
    db.session.execute(update(Notification)
                       .where(Notification.user_id == user.id, Notification.kind.in_(keys or [""]),
                              Notification.emailed_at.is_(None))
                       .values(email="never").execution_options(synchronize_session=False))
    return keys


def wards() -> Sequence[Ward]:
    return db.session.scalars(select(Ward).order_by(Ward.name)).all()


def programmes() -> Sequence[Programme]:
    return db.session.scalars(select(Programme).order_by(Programme.position, Programme.name)).all()


def subscribe_to_events() -> None:
    from civic.notifications import outbox  # outbox imports this module

    events.record_with(outbox.record)
