"""Alerts: organisers' rules per campaign, evaluated at every scheduled tick and as readings arrive.

Rules (models in :mod:`citizen_sensing.alert_models`):

- ``threshold``: a quantity above (or below) a value for a duration: the sensor's latest counted reading is
  beyond the value, and so is every counted reading back to the last one at least the duration before it
  (readings flagged as spikes or by an organiser are not counted; the others are, flat or unexpected alike);
- ``offline``: the device sent nothing for the duration (its last contact, or its registration if it never
  sent anything, is at least that long ago);
- ``stuck``: a sensor gave the identical value for the duration (every reading from the last one at least the
  duration before the latest, up to the latest).

A threshold or stuck condition depends on the readings only, so a device that goes quiet keeps its alert
open until a reading says otherwise (the offline rule is what tells of the silence).

Evaluation (:func:`evaluate`) opens an alert when the condition holds and none is open for that rule and device,
and closes the open one when it no longer holds. Opening inserts with ``ON CONFLICT DO NOTHING`` against the
partial unique index ``uq_sensing_alerts_open``: of two evaluations at once, one opens the alert and publishes
``sensing.alert_opened`` (the device's owner and the campaign's organisers are told once, by the
notification core, the notice keyed by the alert), the other inserts nothing and tells nobody.

It runs:

- as the scheduled task ``citizen_sensing.alerts`` (every tick), for the active rules of the campaigns running
  today (approved, not hidden, between their dates); open alerts of rules no longer evaluated (campaign ended
  or hidden, rule switched off) are closed;
- after the commit of an ingest (:func:`readings_arrived`, called by :func:`citizen_sensing.ingest.ingest`),
  for the rules of the devices that received readings only, in a transaction of its own after the ingest's:
  the ingest's answer never waits for it to fail, and a failure is logged and left to the next tick.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from citizen_sensing.alert_models import COMPARISONS, RULE_KINDS, Alert, AlertRule
from citizen_sensing.models import Campaign, Device, Quantity, Reading, Sensor
from civic import events, policy
from civic.audit import audit
from civic.db import Page, after_commit, after_rollback, db, paginate, utcnow
from civic.errors import NotFound, RuleViolation
from civic.groups.models import Membership
from civic.notifications.registry import Kind, Notice, Users

log = logging.getLogger(__name__)

EVENT = "sensing.alert_opened"
#: Flags whose readings a threshold does not count (doubtful by rule, or by an organiser's judgement).
NOT_COUNTED = ("spike", "manual")
#: The shortest and longest duration a rule may have, in hours.
MIN_HOURS, MAX_HOURS = 0.25, 24 * 30
#: The most rules one campaign may have (each is evaluated at every tick).
MAX_RULES = 50
_ARRIVED = "citizen_sensing.alerts.arrived"


# Rules ----------------------------------------------------------------------------------------------------------


@dataclass
class RuleInput:
    kind: str | None
    quantity_id: int | None = None
    comparison: str | None = None
    value: float | None = None
    hours: float | None = None


def duration(rule: AlertRule) -> str:
    """"6 hours", "1 hour", "0.25 hours"."""
    if rule.minutes % 60 == 0:
        return ngettext("%(num)d hour", "%(num)d hours", rule.minutes // 60)
    return _("%(hours)s hours", hours=f"{rule.hours:g}")


def describe(rule: AlertRule) -> str:
    """The rule in words: "Relative humidity above 70 % for 6 hours"."""
    for_ = duration(rule)
    if rule.kind == "offline":
        return _("No reading for %(duration)s", duration=for_)
    if rule.kind == "stuck":
        if rule.quantity is None:
            return _("Any sensor giving the same value for %(duration)s", duration=for_)
        return _("%(quantity)s giving the same value for %(duration)s", quantity=rule.quantity.name, duration=for_)
    values = {"quantity": rule.quantity.name, "value": f"{rule.value:g}", "unit": rule.quantity.unit,
              "duration": for_}
    if rule.comparison == "below":
        return _("%(quantity)s below %(value)s %(unit)s for %(duration)s", **values)
    return _("%(quantity)s above %(value)s %(unit)s for %(duration)s", **values)


def rules_of(campaign: Campaign) -> list[AlertRule]:
    return list(db.session.scalars(select(AlertRule).where(AlertRule.campaign_id == campaign.id)
                                   .order_by(AlertRule.active.desc(), AlertRule.id)))


def open_counts(campaign: Campaign) -> dict[int, int]:
    """Rule id -> its open alerts (one query)."""
    return dict(db.session.execute(
        select(Alert.rule_id, func.count()).join(AlertRule, AlertRule.id == Alert.rule_id)
        .where(AlertRule.campaign_id == campaign.id, Alert.closed_at.is_(None)).group_by(Alert.rule_id)).all())


def add_rule(user: Any, campaign: Campaign, data: RuleInput) -> AlertRule:
    """An organiser of the campaign adds a rule (audit-logged); it is evaluated from the next tick or reading."""
    policy.require(user, "sensing.manage", campaign)
    if data.kind not in RULE_KINDS:
        raise RuleViolation(_("Choose what the rule watches for."), field="kind")
    hours = data.hours
    if hours is None or not math.isfinite(hours) or not MIN_HOURS <= hours <= MAX_HOURS:
        raise RuleViolation(_("Give a duration from a quarter of an hour to 720 hours (30 days)."), field="hours")
    allowed = {q.id: q for q in campaign.quantities}
    quantity: Quantity | None = None
    if data.kind in ("threshold", "stuck") and data.quantity_id:
        quantity = allowed.get(data.quantity_id)
        if quantity is None:
            raise RuleViolation(_("Choose one of the quantities this campaign measures."), field="quantity")
    comparison, value = None, None
    if data.kind == "threshold":
        if quantity is None:
            raise RuleViolation(_("Choose the quantity the rule watches."), field="quantity")
        if data.comparison not in COMPARISONS:
            raise RuleViolation(_("Choose above or below."), field="comparison")
        value = data.value
        if value is None or not math.isfinite(value):
            raise RuleViolation(_("Give the value as a number."), field="value")
        if not quantity.min_value <= value <= quantity.max_value:
            raise RuleViolation(_("Give a value within %(name)s's physical range (%(low)s to %(high)s %(unit)s).",
                                  name=quantity.name, low=f"{quantity.min_value:g}",
                                  high=f"{quantity.max_value:g}", unit=quantity.unit), field="value")
        comparison = data.comparison
    count = db.session.scalar(select(func.count()).select_from(AlertRule)
                              .where(AlertRule.campaign_id == campaign.id)) or 0
    if count >= MAX_RULES:
        raise RuleViolation(_("A campaign may have at most %(n)d alert rules.", n=MAX_RULES))
    rule = AlertRule(campaign_id=campaign.id, kind=data.kind, quantity_id=quantity.id if quantity else None,
                     comparison=comparison, value=value, minutes=max(1, round(hours * 60)), active=True,
                     created_by_id=user.id)
    db.session.add(rule)
    db.session.flush()
    db.session.refresh(rule)
    audit(user, "sensing.alert_rule_added", "sensing_alert_rule", rule.id, label=f"{campaign.title}: {describe(rule)}",
          after={"kind": rule.kind, "quantity": quantity.key if quantity else None, "comparison": comparison,
                 "value": value, "minutes": rule.minutes})
    return rule


def get_rule(user: Any, campaign: Campaign, rule_id: int) -> AlertRule:
    policy.require(user, "sensing.manage", campaign)
    rule = db.session.get(AlertRule, rule_id)
    if rule is None or rule.campaign_id != campaign.id:
        raise NotFound(_("We could not find that alert rule."))
    return rule


def set_active(user: Any, rule: AlertRule, active: bool) -> bool:
    """Switch a rule on or off (audit-logged); switching off closes its open alerts. Whether it changed."""
    campaign = db.session.get(Campaign, rule.campaign_id)
    policy.require(user, "sensing.manage", campaign)
    changed = db.session.execute(update(AlertRule).where(AlertRule.id == rule.id, AlertRule.active.is_(not active))
                                 .values(active=active)).rowcount
    if not changed:
        return False
    if not active:
        db.session.execute(update(Alert).where(Alert.rule_id == rule.id, Alert.closed_at.is_(None))
                           .values(closed_at=utcnow()))
    audit(user, "sensing.alert_rule_on" if active else "sensing.alert_rule_off", "sensing_alert_rule", rule.id,
          label=f"{campaign.title}: {describe(rule)}", before={"active": not active}, after={"active": active})
    db.session.refresh(rule)
    return True


# Evaluation -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """A condition that holds: the sensor concerned (None: the device), since when, the reading that made it."""

    sensor_id: int | None
    since: datetime | None
    value: float | None


@dataclass
class Tally:
    opened: int = 0
    closed: int = 0

    def add(self, other: Tally) -> None:
        self.opened += other.opened
        self.closed += other.closed


def _latest(sensor_id: int, counted: Sequence[ColumnElement[bool]], before: datetime | None = None,
            inclusive: bool = False):
    stmt = select(Reading.measured_at, Reading.value).where(Reading.sensor_id == sensor_id, *counted)
    if before is not None:
        stmt = stmt.where(Reading.measured_at <= before if inclusive else Reading.measured_at < before)
    return db.session.execute(stmt.order_by(Reading.measured_at.desc()).limit(1)).first()


def _run(sensor_id: int, minutes: int, counted: Sequence[ColumnElement[bool]], holds, breaks) -> Finding | None:
    """Whether the sensor's latest counted reading, and every one back to the last one at least ``minutes``
    before it, satisfy the condition (``holds(value)`` in Python, ``breaks(value)`` its negation in SQL for the
    latest's value). Three index range scans, each bounded by the duration."""
    latest = _latest(sensor_id, counted)
    if latest is None or not holds(latest.value, latest.value):
        return None
    anchor = _latest(sensor_id, counted, latest.measured_at - timedelta(minutes=minutes), inclusive=True)
    if anchor is None or not holds(anchor.value, latest.value):
        return None
    broken = db.session.scalar(
        select(Reading.measured_at).where(Reading.sensor_id == sensor_id, *counted,
                                          Reading.measured_at > anchor.measured_at,
                                          Reading.measured_at < latest.measured_at, breaks(latest.value)).limit(1))
    if broken is not None:
        return None
    return Finding(sensor_id, anchor.measured_at, latest.value)


def _threshold(rule: AlertRule, sensors: Sequence[Sensor]) -> Finding | None:
    counted = [or_(Reading.flag.is_(None), Reading.flag.not_in(NOT_COUNTED))]
    limit = rule.value
    if rule.comparison == "above":
        def holds(v, _latest): return v > limit
        def breaks(_latest): return Reading.value <= limit
    else:
        def holds(v, _latest): return v < limit
        def breaks(_latest): return Reading.value >= limit
    for sensor in sensors:
        if sensor.quantity_id == rule.quantity_id:
            found = _run(sensor.id, rule.minutes, counted, holds, breaks)
            if found:
                return found
    return None


def _stuck(rule: AlertRule, sensors: Sequence[Sensor]) -> Finding | None:
    for sensor in sensors:
        if rule.quantity_id is None or sensor.quantity_id == rule.quantity_id:
            found = _run(sensor.id, rule.minutes, [], lambda v, latest: v == latest,
                         lambda latest: Reading.value != latest)
            if found:
                return found
    return None


def _offline(rule: AlertRule, device: Device, now: datetime) -> Finding | None:
    last = device.last_seen_at or device.created_at
    if last is not None and last <= now - timedelta(minutes=rule.minutes):
        return Finding(None, last, None)
    return None


def condition(rule: AlertRule, device: Device, now: datetime) -> Finding | None:
    """Whether the rule's condition holds for the device now (a :class:`Finding`), or not (None)."""
    if device.retired_at is not None:
        return None
    if rule.kind == "offline":
        return _offline(rule, device, now)
    if rule.kind == "threshold":
        return _threshold(rule, device.sensors)
    return _stuck(rule, device.sensors)


def _insert(values: dict[str, Any]):
    dialect = db.session.get_bind().dialect.name
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert_(Alert).values(**values).on_conflict_do_nothing().returning(Alert.id)


def evaluate(rule: AlertRule, devices: Iterable[Device], now: datetime | None = None) -> Tally:
    """Open and close the rule's alerts for these devices (flushes; the caller commits)."""
    now = now or utcnow()
    devices = list(devices)
    tally = Tally()
    if not devices:
        return tally
    open_alerts = dict(db.session.execute(
        select(Alert.device_id, Alert.id).where(Alert.rule_id == rule.id, Alert.closed_at.is_(None),
                                                Alert.device_id.in_([d.id for d in devices]))).all())
    for device in devices:
        found = condition(rule, device, now) if rule.active else None
        alert_id = open_alerts.get(device.id)
        if found is not None and alert_id is None:
            new_id = db.session.scalar(_insert({
                "rule_id": rule.id, "device_id": device.id, "sensor_id": found.sensor_id, "opened_at": now,
                "since": found.since, "value": found.value}))
            if new_id is not None:  # None: another evaluation opened it at the same moment, and tells
                tally.opened += 1
                events.publish(EVENT, db.session.get(Alert, new_id))
        elif found is None and alert_id is not None:
            tally.closed += db.session.execute(update(Alert).where(Alert.id == alert_id, Alert.closed_at.is_(None))
                                               .values(closed_at=now)).rowcount or 0
    return tally


def _running(today) -> list[ColumnElement[bool]]:
    return [Campaign.status == "approved", Campaign.hidden_at.is_(None), Campaign.starts_on <= today,
            Campaign.ends_on >= today]


def _close_unwatched(now: datetime) -> int:
    """Close open alerts whose rule is switched off or whose campaign is not running, or whose device retired."""
    today = now.date()
    watched = select(AlertRule.id).join(Campaign, Campaign.id == AlertRule.campaign_id).where(
        AlertRule.active.is_(True), *_running(today))
    retired = select(Device.id).where(Device.retired_at.is_not(None))
    return db.session.execute(update(Alert).where(Alert.closed_at.is_(None), or_(
        Alert.rule_id.not_in(watched), Alert.device_id.in_(retired))).values(closed_at=now)).rowcount or 0


def evaluate_campaigns(now: datetime | None = None) -> Tally:
    """Every active rule of every running campaign, for each of the campaign's devices still in service."""
    now = now or utcnow()
    tally = Tally(closed=_close_unwatched(now))
    rules = list(db.session.scalars(select(AlertRule).join(Campaign, Campaign.id == AlertRule.campaign_id)
                                    .where(AlertRule.active.is_(True), *_running(now.date()))
                                    .order_by(AlertRule.campaign_id, AlertRule.id)))
    devices_of: dict[int, list[Device]] = {}
    for rule in rules:
        if rule.campaign_id not in devices_of:
            devices_of[rule.campaign_id] = list(db.session.scalars(
                select(Device).where(Device.campaign_id == rule.campaign_id, Device.retired_at.is_(None))
                .order_by(Device.id)))
        tally.add(evaluate(rule, devices_of[rule.campaign_id], now))
    return tally


def evaluate_devices(device_ids: Iterable[int], now: datetime | None = None) -> Tally:
    """The active rules of these devices' campaigns (if running), for these devices only. Without rules (most
    campaigns), one query."""
    now = now or utcnow()
    ids = sorted(set(device_ids))
    tally = Tally()
    if not ids:
        return tally
    campaigns = select(Device.campaign_id).where(Device.id.in_(ids)).scalar_subquery()
    rules = list(db.session.scalars(select(AlertRule).join(Campaign, Campaign.id == AlertRule.campaign_id)
                                    .where(AlertRule.campaign_id.in_(campaigns), AlertRule.active.is_(True),
                                           *_running(now.date())).order_by(AlertRule.id)))
    if not rules:
        return tally
    by_campaign: dict[int, list[Device]] = {}
    for device in db.session.scalars(select(Device).where(Device.id.in_(ids), Device.retired_at.is_(None))
                                     .order_by(Device.id)):
        by_campaign.setdefault(device.campaign_id, []).append(device)
    for rule in rules:
        tally.add(evaluate(rule, by_campaign.get(rule.campaign_id, []), now))
    return tally


def tick_task() -> str:
    tally = evaluate_campaigns()
    return f"{tally.opened} alerts opened, {tally.closed} closed"


# As readings arrive ----------------------------------------------------------------------------------------------


def readings_arrived(device_id: int) -> None:
    """Called by the ingest when it stored readings: the device's rules are evaluated once the ingest has
    committed (one evaluation per transaction, for every device that received readings in it)."""
    session = db.session()
    waiting = session.info.get(_ARRIVED)
    if waiting is None:
        waiting = session.info[_ARRIVED] = set()
        after_commit(_evaluate_arrived, waiting)
        after_rollback(_forget, waiting)  # rolled back: nothing arrived, and the next ingest starts afresh
    waiting.add(device_id)


def _forget(device_ids: set[int]) -> None:
    session = db.session()
    if session.info.get(_ARRIVED) is device_ids:
        del session.info[_ARRIVED]


def _evaluate_arrived(device_ids: set[int]) -> None:
    _forget(device_ids)
    try:
        evaluate_devices(device_ids)
        db.session.commit()
    except Exception:  # the readings are in; the next tick evaluates these devices again
        db.session.rollback()
        log.exception("alerts: evaluating devices %s after an ingest failed", sorted(device_ids)[:20])
        if current_app.testing:  # a mistake cannot hide under test
            raise


# Pages ---------------------------------------------------------------------------------------------------------


def campaign_alerts(campaign: Campaign, page: int, *, only_open: bool = False, per_page: int = 50) -> Page:
    """The campaign's alerts, newest first, with their rules and devices (two queries)."""
    stmt = (select(Alert).join(AlertRule, AlertRule.id == Alert.rule_id)
            .where(AlertRule.campaign_id == campaign.id).order_by(Alert.opened_at.desc(), Alert.id.desc()))
    if only_open:
        stmt = stmt.where(Alert.closed_at.is_(None))
    return paginate(stmt, page, per_page)


def device_alerts(device: Device, page: int, per_page: int = 50) -> Page:
    return paginate(select(Alert).where(Alert.device_id == device.id)
                    .order_by(Alert.opened_at.desc(), Alert.id.desc()), page, per_page)


# Notices --------------------------------------------------------------------------------------------------------

ALERTS = "About you"
KINDS = (
    Kind("sensing_alert_device", "An alert opens for your sensing device",
         "Alert for your device: {title}", email_default="immediate", group=ALERTS, position=43),
    Kind("sensing_alert_campaign", "An alert opens in a sensing campaign you organise",
         "Alert in a campaign you organise: {title}", email_default="daily", group=ALERTS, position=44),
)


def organiser_ids(campaign: Campaign) -> list[int]:
    return list(db.session.scalars(select(Membership.user_id).where(
        Membership.group_id == campaign.group_id, Membership.role == "organiser", Membership.status == "active")
        .order_by(Membership.user_id)))


def _opened(alert: Alert, **_: Any) -> Notice | None:
    device = alert.device
    campaign = db.session.get(Campaign, device.campaign_id)
    audiences = []
    if device.owner_id is not None:
        audiences.append(Users("sensing_alert_device", [device.owner_id]))
    audiences.append(Users("sensing_alert_campaign", organiser_ids(campaign)))
    return Notice(key=f"sensing_alert:{alert.id}:opened", title=f"{device.name}: {describe(alert.rule)}",
                  url=url_for("sensing_alerts.device_alerts", device_id=device.id), space=campaign.title,
                  subject=("sensing_campaign", campaign.id), audiences=audiences)


BUILDERS = {EVENT: _opened}
