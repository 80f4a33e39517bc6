"""Notification mail: one message straight away, or daily and weekly digests grouped by space.

Both run outside the request (a job, or ``flask civic send-digests``). Each notification is claimed
before its mail is built (``emailed_at`` set by a conditional UPDATE), and each digest by a unique
(person, period, start) row, so running twice, or two workers at once, never sends anything twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import Message
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from sqlalchemy import and_, select, update

from civic import mail
from civic.accounts.models import User
from civic.db import db, utcnow
from civic.notifications import registry, services
from civic.notifications.models import DigestRun, Notification, NotificationEvent

log = logging.getLogger("civic.notifications")
LONDON = ZoneInfo("Europe/London")
PERIODS = ("daily", "weekly")
BATCH = 500


def _recipients() -> Any:
    return and_(User.blocked_at.is_(None), User.deleted_at.is_(None), User.email.is_not(None),
                User.email_confirmed_at.is_not(None))


def unsubscribe_headers(base_url: str, user_id: int, kind: str) -> tuple[str, dict[str, str]]:
    path = url_for("notifications.unsubscribe", token=services.unsubscribe_token(user_id, kind))
    link = base_url + path
    return link, {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                  "Auto-Submitted": "auto-generated"}  # RFC 3834: no out-of-office replies to notifications


def _dispatch(msg: Message) -> None:
    mail.queue(msg)


# Straight away ----------------------------------------------------------------------------------------------


def build_immediate(n: Notification, user: User, base_url: str) -> Message:
    k = registry.get_kind(n.kind)
    text = services.sentence(n.kind, n.event)
    unsubscribe, headers = unsubscribe_headers(base_url, user.id, n.kind)
    return mail.build(user.email, text, "notification", headers=headers, user=user, sentence=text,
                      event=n.event, link=base_url + n.event.url, why=k.label if k else "",
                      link_text=k.link_text if k else "",
                      preferences=base_url + url_for("notifications.preferences"), unsubscribe=unsubscribe)


def send_immediate(event_id: int, base_url: str) -> int:
    """Job: mail everyone who wants this event straight away and has not had it yet. Returns how many."""
    sent = 0
    with current_app.test_request_context(base_url=base_url):
        rows = db.session.execute(
            select(Notification, User).join(User, User.id == Notification.user_id).join(Notification.event)
            .where(Notification.event_id == event_id, Notification.email == "immediate",
                   Notification.emailed_at.is_(None), NotificationEvent.hidden.is_(False), _recipients())
            .order_by(Notification.id)).all()
        messages = []
        for n, user in rows:
            claimed = db.session.execute(update(Notification)
                                         .where(Notification.id == n.id, Notification.emailed_at.is_(None))
                                         .values(emailed_at=utcnow())
                                         .execution_options(synchronize_session=False)).rowcount
            if not claimed:
                continue
            try:
                messages.append(build_immediate(n, user, base_url))
            except (ValueError, LookupError):  # one bad message must not stop the others
                log.exception("could not build notification mail %s for user %s", n.id, user.id)
        db.session.commit()
        for msg in messages:
            _dispatch(msg)
            sent += 1
    return sent


# Digests ----------------------------------------------------------------------------------------------------


def period_start(period: str, now: datetime) -> datetime:
    """Midnight (London) today for daily digests, of this week's Monday for weekly ones, in UTC."""
    local = now.astimezone(LONDON)
    day = local.date() - (timedelta(days=local.weekday()) if period == "weekly" else timedelta())
    return datetime(day.year, day.month, day.day, tzinfo=LONDON).astimezone(ZoneInfo("UTC"))


@dataclass
class Section:
    space: str
    items: list[tuple[str, str, str]] = field(default_factory=list)  # sentence, link, excerpt


@dataclass
class DigestResult:
    period: str
    users: int = 0
    notifications: int = 0
    skipped: int = 0  # people whose digest for this period was already sent


def _pending_users(period: str, after_id: int) -> Sequence[int]:
    return db.session.scalars(
        select(Notification.user_id).distinct().join(Notification.event).join(User, User.id == Notification.user_id)
        .where(Notification.email == period, Notification.emailed_at.is_(None), NotificationEvent.hidden.is_(False),
               Notification.user_id > after_id, _recipients())
        .order_by(Notification.user_id).limit(BATCH)).all()


def _claim(counts: dict[int, int], period: str, start: datetime) -> set[int]:
    """Insert the (person, period, start) rows; those that already existed were sent by an earlier run."""
    rows = [{"user_id": uid, "period": period, "period_start": start, "items": n, "created_at": utcnow()}
            for uid, n in counts.items()]
    stmt = services._insert(DigestRun).values(rows).on_conflict_do_nothing().returning(DigestRun.user_id)
    return set(db.session.scalars(stmt))


def build_digest(user: User, period: str, notifications: list[Notification], base_url: str) -> Message:
    sections: dict[str, Section] = {}
    for n in notifications:
        section = sections.setdefault(n.event.space or "Other news", Section(n.event.space or "Other news"))
        section.items.append((services.sentence(n.kind, n.event), base_url + n.event.url, n.event.excerpt))
    unsubscribe, headers = unsubscribe_headers(base_url, user.id, f"digest:{period}")
    count = len(notifications)
    subject = f"Your {period} summary: {count} update{'s' if count != 1 else ''}"
    return mail.build(user.email, subject, "digest", headers=headers, user=user, period=period,
                      sections=list(sections.values()), count=count, unsubscribe=unsubscribe,
                      preferences=base_url + url_for("notifications.preferences"),
                      centre=base_url + url_for("notifications.index"))


def send_digests(period: str, now: datetime | None = None, *, base_url: str | None = None,
                 dispatch: Any = None) -> DigestResult:
    """Build and hand over every pending digest for ``period``; commits per batch of people."""
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}")
    now = now or utcnow()
    base_url = (base_url or current_app.config["BASE_URL"]).rstrip("/")
    dispatch = dispatch or _dispatch
    result = DigestResult(period)
    start = period_start(period, now)
    after = 0
    with current_app.test_request_context(base_url=base_url):
        while batch := list(_pending_users(period, after)):
            after = batch[-1]
            pending = db.session.scalars(
                select(Notification).join(Notification.event)
                .where(Notification.user_id.in_(batch), Notification.email == period,
                       Notification.emailed_at.is_(None), NotificationEvent.hidden.is_(False),
                       Notification.created_at <= now)
                .order_by(Notification.user_id, Notification.id)).all()
            by_user: dict[int, list[Notification]] = {}
            for n in pending:
                by_user.setdefault(n.user_id, []).append(n)
            claimed = _claim({uid: len(items) for uid, items in by_user.items()}, period, start) if by_user else set()
            result.skipped += len(by_user) - len(claimed)
            users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(claimed)))} if claimed else {}
            messages = [build_digest(users[uid], period, items, base_url)
                        for uid, items in by_user.items() if uid in claimed]
            ids = [n.id for uid, items in by_user.items() if uid in claimed for n in items]
            for chunk in range(0, len(ids), 1000):
                db.session.execute(update(Notification).where(Notification.id.in_(ids[chunk:chunk + 1000]))
                                   .values(emailed_at=now).execution_options(synchronize_session=False))
            db.session.commit()
            for msg in messages:
                dispatch(msg)
            result.users += len(messages)
            result.notifications += len(ids)
            db.session.expunge_all()
    return result
