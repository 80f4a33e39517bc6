"""The campaign's summary (issue 17, speed): per campaign, quantity and hour/day, kept by every batch and computed
again with hand flags and the rebuild command. What the campaign page shows from it equals a recount from the
raw readings."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select

from citizen_sensing import aggregates, pages
from citizen_sensing.models import CampaignAggregate, Reading
from civic.db import db, utcnow


def summary(campaign_id: int, period: str) -> dict:
    """The campaign's rows, its stripes added up: (start, quantity) -> (count, min, max, sum)."""
    out: dict = {}
    for r in db.session.scalars(select(CampaignAggregate).where(CampaignAggregate.campaign_id == campaign_id,
                                                                CampaignAggregate.period == period)):
        c, lo, hi, total = out.get((r.starts_at, r.quantity_id), (0, r.min_value, r.max_value, 0.0))
        out[(r.starts_at, r.quantity_id)] = (c + r.count, min(lo, r.min_value), max(hi, r.max_value),
                                             total + r.sum_value)
    return out


def assert_same(kept: dict, recount: dict) -> None:
    assert sorted(kept) == sorted(recount)
    for key, (count, low, high, total) in recount.items():
        assert kept[key][:3] == (count, low, high), key
        assert abs(kept[key][3] - total) < 1e-6, key


def assert_summary_is_a_recount(campaign_id: int) -> None:
    for period in ("hour", "day"):
        assert_same(summary(campaign_id, period), aggregates.campaign_recount(campaign_id, period))


def readings(start, minutes, base: float, humidity: float = 60.0) -> dict:
    out = []
    for m in minutes:
        stamp = (start + timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append({"quantity": "air_temperature", "value": round(base + (m % 13) / 10, 2), "timestamp": stamp})
        out.append({"quantity": "relative_humidity", "value": humidity + m % 9, "timestamp": stamp})
    return {"readings": out}


def test_the_campaign_page_shows_a_recount_of_the_readings(client_as, make_campaign, make_device, post_as_device):
    organiser_client, organiser = client_as("organiser")
    campaign = make_campaign(organiser)
    start = (utcnow() - timedelta(hours=5)).replace(minute=0, second=0, microsecond=0)
    (first, first_token), (second, second_token) = make_device(campaign), make_device(campaign)
    other_campaign = make_campaign(organiser)
    _elsewhere, elsewhere_token = make_device(other_campaign)
    assert post_as_device(first_token, "/api/sensing/readings",
                          readings(start, range(0, 180, 7), 15)).status_code == 201
    assert post_as_device(second_token, "/api/sensing/readings",
                          readings(start, range(3, 200, 11), 16, 70)).status_code == 201
    # A re-sent batch (duplicates, counted once), a value outside the expected range (flagged, left out), and
    # another campaign's readings at the same times (not counted here).
    assert post_as_device(first_token, "/api/sensing/readings",
                          readings(start, range(0, 180, 7), 15)).status_code == 201
    spike = {"readings": [{"quantity": "air_temperature", "value": 45.0,
                           "timestamp": (start + timedelta(minutes=201)).strftime("%Y-%m-%dT%H:%M:%SZ")}]}
    assert post_as_device(second_token, "/api/sensing/readings", spike).get_json()["items"][0]["flag"] == \
        "expected_range"
    assert post_as_device(elsewhere_token, "/api/sensing/readings",
                          readings(start, range(0, 60), 30)).status_code == 201
    assert_summary_is_a_recount(campaign.id)

    # A hand flag and a hand unflag: the hour's and day's rows follow.
    sensor = next(s for s in first.sensors if s.quantity.key == "air_temperature")
    form = {"sensor": str(sensor.id), "measured_at": (start + timedelta(minutes=70)).isoformat(), "flagged": "1"}
    assert organiser_client.post(f"/sensing/{campaign.slug}/flag", data=form).status_code == 302
    assert_summary_is_a_recount(campaign.id)
    form2 = {**form, "measured_at": (start + timedelta(minutes=201)).isoformat(), "flagged": "0",
             "sensor": str(next(s for s in second.sensors if s.quantity.key == "air_temperature").id)}
    assert organiser_client.post(f"/sensing/{campaign.slug}/flag", data=form2).status_code == 302
    assert_summary_is_a_recount(campaign.id)

    # The page's figures: the readings counted, the charts' points, the latest readings.
    unflagged = db.session.scalar(select(func.count()).select_from(Reading).where(
        Reading.device_id.in_([first.id, second.id]), Reading.flag.is_(None)))
    # Both quantities of both batches; the spike unflagged (+1), the reading at minute 70 flagged (-1).
    assert unflagged == 2 * (len(range(0, 180, 7)) + len(range(3, 200, 11)))
    view = pages.campaign_view(campaign)
    assert view.readings == unflagged
    hours = aggregates.campaign_recount(campaign.id, "hour")
    for series in pages.chart(campaign, "week"):
        expected = sorted((start_, total / count, low, high, count)
                          for (start_, quantity), (count, low, high, total) in hours.items()
                          if quantity == series.quantity.id)
        assert [p[0] for p in series.points] == [e[0] for e in expected]
        assert [(round(p[1], 9), p[2], p[3], p[4]) for p in series.points] == \
            [(round(e[1], 9), e[2], e[3], e[4]) for e in expected]
    all_rows = db.session.execute(select(Reading.measured_at, Reading.sensor_id)
                                  .where(Reading.device_id.in_([first.id, second.id]))).all()
    newest_hour = max(t for t, _q in hours).replace(minute=0)
    expected_latest = sorted(((t, s) for t, s in all_rows if t >= newest_hour), key=lambda r: (-r[0].timestamp(),
                                                                                                 r[1]))[:10]
    assert [(r.measured_at, s.id) for r, s, _q, _d in view.latest] == expected_latest
    page = organiser_client.get(f"/sensing/{campaign.slug}").get_data(as_text=True)
    assert f"{unflagged:,} readings (quality-controlled)" in page


def test_the_rebuild_command_computes_the_summary_again(app, make_campaign, make_device, post_as_device):
    campaign = make_campaign()
    start = (utcnow() - timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    for base in (12, 14):
        _device, token = make_device(campaign)
        assert post_as_device(token, "/api/sensing/readings",
                              readings(start, range(0, 1500, 7), base)).status_code == 201
    kept = {p: summary(campaign.id, p) for p in ("hour", "day")}
    assert len(kept["day"]) >= 4 and len(kept["hour"]) > 40
    db.session.execute(delete(CampaignAggregate).where(CampaignAggregate.campaign_id == campaign.id))
    db.session.execute(CampaignAggregate.__table__.insert().values(
        campaign_id=campaign.id, period="day", starts_at=start, quantity_id=campaign.quantities[0].id, stripe=0,
        count=7, sum_value=1.0))
    db.session.commit()
    runner = app.test_cli_runner()
    out = runner.invoke(args=["citizen_sensing", "rebuild-aggregates", "--campaigns-only"])
    assert out.exit_code == 0, out.output
    assert "campaign summary rows written" in out.output
    db.session.expire_all()
    for period in ("hour", "day"):
        assert_same(summary(campaign.id, period), {k: v for k, v in kept[period].items()})
    assert_summary_is_a_recount(campaign.id)
    out = runner.invoke(args=["citizen_sensing", "rebuild-aggregates"])
    assert out.exit_code == 0, out.output
    db.session.expire_all()
    assert_summary_is_a_recount(campaign.id)


def test_one_call_for_devices_of_several_campaigns_keeps_each_summary(make_campaign, make_device):
    """The MQTT bridge's ``ingest_many``: devices of two campaigns in one call; each campaign's rows count its own
    devices' readings only, each in its device's stripe."""
    from citizen_sensing import formats, ingest
    first, second = make_campaign(), make_campaign()
    devices = [make_device(first)[0], make_device(first)[0], make_device(second)[0]]
    start = (utcnow() - timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
    batches = [(d, formats.ours_json(d, readings(start, range(0, 90, 5 + n), 15 + n)).items)
               for n, d in enumerate(devices)]
    results = ingest.ingest_many(batches, source="test")
    assert [r.accepted for r in results] == [2 * len(range(0, 90, 5 + n)) for n in range(3)]
    assert_summary_is_a_recount(first.id)
    assert_summary_is_a_recount(second.id)
    stripes = {r.stripe for r in db.session.scalars(select(CampaignAggregate)
                                                    .where(CampaignAggregate.campaign_id == first.id))}
    assert stripes == {d.id % 8 for d in devices[:2]}
