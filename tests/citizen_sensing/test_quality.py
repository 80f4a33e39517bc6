"""Quality control flags, never deletes: spikes, stuck sensors, values outside the expected range; flagged
readings stay out of the aggregates but are shown and exported; organisers flag and unflag by hand
(audit-logged), only in their own campaigns."""

from __future__ import annotations

from sqlalchemy import select

from citizen_sensing.models import Aggregate, Reading
from civic.audit import AuditEntry
from civic.db import db


def send(post_as_device, token, pairs, quantity="air_temperature"):
    body = {"readings": [{"quantity": quantity, "value": v, "timestamp": t} for t, v in pairs]}
    response = post_as_device(token, "/api/sensing/readings", body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def flags(device) -> dict[str, str | None]:
    return {t.strftime("%H:%M"): f for t, f in db.session.execute(
        select(Reading.measured_at, Reading.flag).where(Reading.device_id == device.id).order_by(Reading.measured_at))}


def day_count(device) -> int:
    sensor = next(s for s in device.sensors if s.quantity.key == "air_temperature")
    return db.session.scalar(select(Aggregate.count).where(Aggregate.sensor_id == sensor.id,
                                                           Aggregate.period == "day")) or 0


def test_a_spike_is_flagged_kept_and_left_out_of_aggregates(make_campaign, make_device, post_as_device):
    device, token = make_device(make_campaign())
    body = send(post_as_device, token, [("2026-11-20T08:00:00Z", 18.0), ("2026-11-20T08:01:00Z", 18.2),
                                        ("2026-11-20T08:02:00Z", 35.0), ("2026-11-20T08:03:00Z", 18.3)])
    assert [i.get("flag") for i in body["items"]] == [None, None, "spike", None]
    assert flags(device)["08:02"] == "spike"
    assert day_count(device) == 3


def test_a_stuck_sensor_is_flagged_flat(make_campaign, make_device, post_as_device):
    device, token = make_device(make_campaign())
    send(post_as_device, token, [(f"2026-11-20T08:{m:02d}:00Z", 17.0) for m in range(14)])
    got = flags(device)
    assert [got[f"08:{m:02d}"] for m in range(14)] == [None] * 11 + ["flat"] * 3


def test_outside_the_expected_range_is_flagged(make_campaign, make_device, post_as_device):
    device, token = make_device(make_campaign())
    send(post_as_device, token, [("2026-11-20T08:00:00Z", 45.0)])
    assert flags(device) == {"08:00": "expected_range"}
    assert day_count(device) == 0


def test_organisers_flag_by_hand_audit_logged_and_aggregates_follow(make_campaign, make_device, post_as_device,
                                                                   client_as, make_user):
    organiser_client, organiser = client_as("organiser")
    campaign = make_campaign(organiser)
    device, token = make_device(campaign)
    send(post_as_device, token, [("2026-11-20T08:00:00Z", 18.0), ("2026-11-20T08:10:00Z", 19.0)])
    sensor = next(s for s in device.sensors if s.quantity.key == "air_temperature")
    form = {"sensor": str(sensor.id), "measured_at": "2026-11-20T08:10:00+00:00", "flagged": "1", "reason": "Sun"}
    assert organiser_client.post(f"/sensing/{campaign.slug}/flag", data=form).status_code == 302
    assert flags(device)["08:10"] == "manual"
    assert day_count(device) == 1
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "sensing.reading_flagged"))
    assert (entry.actor_id, entry.reason) == (organiser.id, "Sun")
    assert organiser_client.post(f"/sensing/{campaign.slug}/flag", data={**form, "flagged": "0"}).status_code == 302
    assert flags(device)["08:10"] is None and day_count(device) == 2
    # Another group's organiser may not, not even through their own campaign's address.
    other_client, other = client_as("organiser")
    own = make_campaign(other)
    assert other_client.post(f"/sensing/{campaign.slug}/flag", data=form).status_code == 403
    assert other_client.post(f"/sensing/{own.slug}/flag", data=form).status_code == 403
    assert flags(device)["08:10"] is None


def test_rebuild_gives_what_the_batches_kept(app, make_campaign, make_device, post_as_device):
    from citizen_sensing import aggregates
    device, token = make_device(make_campaign())
    send(post_as_device, token, [(f"2026-11-20T{h:02d}:{m:02d}:00Z", 15 + h + m / 100)
                                 for h in range(8, 11) for m in (0, 20, 40)])
    sensor_ids = [s.id for s in device.sensors]

    def snapshot():
        return sorted(tuple(r) for r in db.session.execute(
            select(Aggregate.sensor_id, Aggregate.period, Aggregate.starts_at, Aggregate.count, Aggregate.min_value,
                   Aggregate.max_value, Aggregate.sum_value).where(Aggregate.sensor_id.in_(sensor_ids))))

    before = snapshot()
    assert aggregates.rebuild(sensor_ids) == len(before)
    after = snapshot()
    assert [r[:6] for r in after] == [r[:6] for r in before]
    assert all(abs(a[6] - b[6]) < 1e-9 for a, b in zip(after, before, strict=True))
