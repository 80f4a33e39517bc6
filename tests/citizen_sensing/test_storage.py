"""Storage that grows (PostgreSQL): monthly partitions made ahead by the scheduled task, a backlog in the
default partition moved into its month, and the same readings read through the one table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from citizen_sensing import storage
from citizen_sensing.models import Reading
from civic.db import db


@pytest.mark.postgres
def test_partitions_are_made_ahead_and_take_the_backlog(make_campaign, make_device, post_as_device):
    _device, token = make_device(make_campaign())
    post_as_device(token, "/api/sensing/readings", {"readings": [
        {"quantity": "air_temperature", "value": 18 + d / 10, "timestamp": f"2026-11-{d:02d}T08:00:00Z"}
        for d in range(1, 29)]})
    made = storage.ensure_partitions(now=datetime(2026, 11, 15, tzinfo=UTC), ahead=2)
    assert made == ["sensing_readings_y2026m11", "sensing_readings_y2026m12", "sensing_readings_y2027m01"]
    assert storage.ensure_partitions(now=datetime(2026, 11, 15, tzinfo=UTC), ahead=2) == []
    in_november = db.session.scalar(text("SELECT count(*) FROM sensing_partitions.sensing_readings_y2026m11"))
    in_default = db.session.scalar(text("SELECT count(*) FROM sensing_partitions.sensing_readings_default"))
    assert (in_november, in_default) == (28, 0)
    assert db.session.scalar(select(func.count()).select_from(Reading)) == 28
    again = post_as_device(token, "/api/sensing/readings", {"readings": [
        {"quantity": "air_temperature", "value": 18.1, "timestamp": "2026-11-01T08:00:00Z"},
        {"quantity": "air_temperature", "value": 18.0, "timestamp": "2026-12-01T08:00:00Z"}]}).get_json()
    assert (again["accepted"], again["duplicates"]) == (1, 1)  # the key holds across partitions
    assert db.session.scalar(text("SELECT count(*) FROM sensing_partitions.sensing_readings_y2026m12")) == 1


@pytest.mark.sqlite
def test_sqlite_has_one_table(app):
    assert db.session.get_bind().dialect.name == "sqlite"
    assert storage.ensure_partitions() == []


def test_refused_items_are_forgotten_after_30_days(make_campaign, make_device, post_as_device):
    from datetime import timedelta

    from citizen_sensing.models import Rejection
    from civic.db import utcnow

    device, token = make_device(make_campaign())
    post_as_device(token, "/api/sensing/readings", {"readings": [
        {"quantity": "air_temperature", "value": 20, "timestamp": "2026-11-20T08:00:00Z"},
        {"quantity": "air_temperature", "value": "warm"}]})
    assert storage.prune_rejections(now=utcnow() + timedelta(days=29)) == 0
    assert storage.prune_rejections(now=utcnow() + timedelta(days=31)) == 1
    assert db.session.scalar(select(func.count()).select_from(Rejection)) == 0
