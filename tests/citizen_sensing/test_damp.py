"""Damp and mould (citizen_sensing/damp.py): the dew point against published values, hours at mould risk and the
daily summary on constructed series, the outdoor comparison, and the device and campaign pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from citizen_sensing import damp, ingest
from citizen_sensing.models import Campaign
from civic.db import db, utcnow
from tests.support.pages import text_of

DAY = date(2026, 11, 10)  # a winter day: UK time is UTC
MIDNIGHT = datetime(2026, 11, 10, tzinfo=UTC)


@pytest.mark.parametrize(("temperature", "humidity", "expected"), [
    # Published dew points (psychrometric tables over water, to 0.1 °C).
    (20.0, 50.0, 9.3), (25.0, 60.0, 16.7), (10.0, 80.0, 6.7), (30.0, 90.0, 28.2), (0.0, 50.0, -9.2),
    (18.0, 80.0, 14.5), (20.0, 100.0, 20.0)])
def test_dew_point_matches_published_values(temperature, humidity, expected):
    assert damp.dew_point(temperature, humidity) == pytest.approx(expected, abs=0.1)


def test_dew_point_magnus_exact_figures_and_missing_values():
    assert damp.dew_point(20.0, 50.0) == pytest.approx(9.255, abs=0.001)  # Sonntag's constants
    assert damp.dew_point(20.0, 100.0) == pytest.approx(20.0, abs=1e-9)  # saturated air: the temperature itself
    assert damp.dew_point(None, 50.0) is None
    assert damp.dew_point(20.0, None) is None
    assert damp.dew_point(20.0, 0.0) is None
    assert damp.dew_point(15.0, 40.0) < damp.dew_point(15.0, 60.0) < damp.dew_point(15.0, 80.0)


def _wiggle(value: float, i: int) -> float:
    """Values around ``value`` with mean ``value`` over four readings, never twelve equal in a row (a flat run
    would be flagged and left out)."""
    return round(value + (0.1, -0.1, 0.2, -0.2)[i % 4], 2)


def humidity_of_hour(hour: int) -> list[float]:
    """The constructed day: 6 hours at 85 %, 4 at 75 %, one whose mean is exactly 80 %, one at 69.9 %, one at
    exactly 70 %, then 60 %."""
    if hour < 6:
        return [_wiggle(85.0, i) for i in range(4)]
    if hour < 10:
        return [_wiggle(75.0, i) for i in range(4)]
    if hour == 10:
        return [78.0, 82.0, 79.0, 81.0]  # mean 80.0: at risk (80 % or more)
    if hour == 11:
        return [69.8, 70.0, 69.9, 69.9]  # mean 69.9: below the band
    if hour == 12:
        return [69.0, 71.0, 70.5, 69.5]  # mean 70.0: in the band
    return [_wiggle(60.0, i) for i in range(4)]


def temperature_of_hour(hour: int) -> list[float]:
    base = 16.0 if hour == 0 else 21.0 if hour == 23 else 18.0
    return [_wiggle(base, i) for i in range(4)]


def send_day(device, midnight: datetime = MIDNIGHT, humidity=humidity_of_hour, temperature=temperature_of_hour,
             hours: int = 24) -> None:
    sensors = damp.sensors_of(device)
    items = []
    for hour in range(hours):
        for i, (t, rh) in enumerate(zip(temperature(hour), humidity(hour), strict=True)):
            when = midnight + timedelta(hours=hour, minutes=15 * i)
            items.append(ingest.Item("t", sensors[damp.TEMPERATURE], t, when))
            items.append(ingest.Item("rh", sensors[damp.HUMIDITY], rh, when))
    result = ingest.ingest(device, items, source="upload")
    assert result.accepted == len(items)
    db.session.commit()


def test_hours_at_mould_risk_and_the_daily_summary(make_campaign, make_device):
    device, _token = make_device(make_campaign())
    send_day(device)
    start, end = damp.uk_window(DAY, DAY)
    s = damp.summary(device, start, end)
    assert len(s.hours) == 24
    (day,) = s.days
    assert day.day == DAY
    assert day.hours == 24
    assert day.hours_80 == 7  # six at 85 %, one whose mean is exactly 80 %
    assert day.hours_70 == 12  # and four at 75 %, one at exactly 70 % (69.9 % is not)
    assert day.band_70 == 5
    assert day.t_min == pytest.approx(15.8)  # the lowest reading, not the lowest hourly mean
    assert day.t_max == pytest.approx(21.2)
    assert day.t_mean == pytest.approx((16 + 21 + 18 * 22) / 24, abs=1e-6)
    assert day.rh_min == pytest.approx(59.8)
    assert day.rh_max == pytest.approx(85.2)
    assert day.rh_mean == pytest.approx((85 * 6 + 75 * 4 + 80 + 69.9 + 70 + 60 * 11) / 24, abs=1e-6)
    hourly_dews = [damp.dew_point(h.temperature, h.humidity) for h in s.hours]
    assert day.dew_point == pytest.approx(sum(hourly_dews) / 24)
    assert s.hours[0].dew_point == pytest.approx(damp.dew_point(16.0, 85.0), abs=1e-6)
    assert s.totals["hours_80"] == 7 and s.totals["hours_70"] == 12 and s.totals["days_80_6h"] == 1
    assert s.totals["share_80"] == pytest.approx(7 / 24)
    assert s.outdoor is None


def test_flagged_readings_are_left_out(make_campaign, make_device):
    device, _token = make_device(make_campaign())
    sensors = damp.sensors_of(device)
    items = [ingest.Item("rh", sensors[damp.HUMIDITY], 85.0 + (i % 2) * 0.2, MIDNIGHT + timedelta(minutes=10 * i))
             for i in range(6)]
    # Flagged (below the expected range), and alone in its hour.
    items.append(ingest.Item("odd", sensors[damp.HUMIDITY], 2.0, MIDNIGHT + timedelta(hours=1)))
    ingest.ingest(device, items, source="upload")
    db.session.commit()
    s = damp.summary(device, *damp.uk_window(DAY, DAY))
    assert [h.humidity for h in s.hours] == [pytest.approx(85.1)]  # the flagged hour's only reading is left out
    assert s.days[0].hours_80 == 1
    assert s.days[0].dew_point is None  # no temperature, no dew point


def test_days_are_uk_days_in_summer():
    start, end = damp.uk_window(date(2026, 7, 1), date(2026, 7, 1))
    assert start == datetime(2026, 6, 30, 23, tzinfo=UTC)  # British Summer Time
    assert end == datetime(2026, 7, 1, 23, tzinfo=UTC)
    hours = [damp.Hour(start + timedelta(hours=h), 20.0, 50.0, 20.0, 20.0, 50.0, 50.0, 1, 1) for h in range(24)]
    assert [d.day for d in damp.daily(hours)] == [date(2026, 7, 1)]


def test_outdoor_comparison_with_a_device_of_the_same_ward(make_campaign, make_device):
    campaign = make_campaign()
    home, _ = make_device(campaign, ward="Church Street")
    send_day(home)
    outside, _ = make_device(make_campaign(), setting="outdoor", privacy="exact", point=(51.523, -0.17),
                             ward="Church Street")
    send_day(outside, humidity=lambda h: [_wiggle(90.0, i) for i in range(4)],
             temperature=lambda h: [_wiggle(6.0, i) for i in range(4)], hours=12)  # only the first 12 hours
    elsewhere, _ = make_device(campaign, setting="outdoor", privacy="exact", point=(51.51, -0.19), ward="Bayswater")
    send_day(elsewhere, humidity=lambda h: [_wiggle(40.0, i) for i in range(4)])
    s = damp.summary(home, *damp.uk_window(DAY, DAY))
    assert s.outdoor is not None and s.outdoor.devices == 1 and s.outdoor.ward == "Church Street"
    (day,) = s.days
    assert day.outdoor_t == pytest.approx(6.0)
    assert day.outdoor_rh == pytest.approx(90.0)
    outdoor_dew = damp.dew_point(6.0, 90.0)
    assert day.outdoor_dew_point == pytest.approx(outdoor_dew, abs=1e-6)
    indoor_dews = [h.dew_point for h in s.hours[:12]]  # compared at the hours both have
    assert day.dew_point_excess == pytest.approx(sum(indoor_dews) / 12 - outdoor_dew, abs=1e-6)
    assert s.totals["outdoor_hours"] == 12


def test_outdoor_devices_of_unpublished_campaigns_or_other_wards_are_not_compared(make_campaign, make_device):
    home, _ = make_device(make_campaign())
    send_day(home, hours=2)
    proposed, _ = make_device(make_campaign(status="proposed"), setting="outdoor", privacy="exact",
                              point=(51.523, -0.17))
    send_day(proposed, hours=2)
    humidity_only, _ = make_device(make_campaign(quantities=("relative_humidity",)), setting="outdoor",
                                   privacy="exact", point=(51.523, -0.17))
    assert damp.summary(home, *damp.uk_window(DAY, DAY)).outdoor is None


def test_only_indoor_devices_measuring_both_apply(make_campaign, make_device):
    campaign = make_campaign()
    assert damp.applies_to(make_device(campaign)[0])
    assert not damp.applies_to(make_device(campaign, setting="outdoor", privacy="fuzzed", point=(51.52, -0.17))[0])
    assert not damp.applies_to(make_device(campaign, sensors={"air_temperature": None})[0])


def test_device_page_shows_the_last_30_days_with_tables(client_as, make_campaign, make_device):
    client, owner = client_as("resident")
    device, _ = make_device(make_campaign(), owner=owner)
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    send_day(device, midnight=today - timedelta(days=2), hours=12)
    page = client.get(f"/sensing/devices/{device.id}")
    assert page.status_code == 200
    text = text_of(page)
    assert "Damp and mould: the last 30 days" in text
    assert "Hours at mould risk (mean relative humidity 80 % or more)" in text
    assert "Daily risk summary" in text
    assert "Make an evidence pack" in text
    assert page.data.count(b"<svg") == 3  # the three damp charts (the default day, today, has no readings)


def test_campaign_page_summarises_each_indoor_device(client, make_campaign, make_device):
    campaign = make_campaign()
    wet, _ = make_device(campaign)
    dry, _ = make_device(campaign)
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    send_day(wet, midnight=today - timedelta(days=2))
    send_day(dry, midnight=today - timedelta(days=2), humidity=lambda h: [_wiggle(50.0, i) for i in range(4)])
    risks = damp.campaign_risk(db.session.get(Campaign, campaign.id))
    assert [(r.name, r.hours, r.hours_80, r.hours_70) for r in risks] == [(wet.name, 24, 7, 12),
                                                                          (dry.name, 24, 0, 0)]
    text = text_of(client.get(f"/sensing/{campaign.slug}"))
    assert "Damp and mould risk: the last 30 days" in text
    assert "Damp and mould risk per indoor device" in text


def test_campaign_risk_is_one_query_whatever_the_devices(make_campaign, make_device, count_queries):
    campaign = make_campaign()
    for _ in range(3):
        device, _ = make_device(campaign)
        send_day(device, midnight=utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(days=1),
                 hours=2)
    found = db.session.get(Campaign, campaign.id)
    with count_queries() as counted:
        risks = damp.campaign_risk(found)
    assert len(risks) == 3
    assert counted.count == 1


def test_summary_reads_the_hourly_aggregates_in_three_queries(make_campaign, make_device, count_queries):
    campaign = make_campaign()
    home, _ = make_device(campaign)
    outside, _ = make_device(campaign, setting="outdoor", privacy="exact", point=(51.523, -0.17))
    for days in range(3):
        send_day(home, midnight=MIDNIGHT + timedelta(days=days))
        send_day(outside, midnight=MIDNIGHT + timedelta(days=days))
    with count_queries() as counted:
        s = damp.summary(home, *damp.uk_window(DAY, DAY + timedelta(days=2)))
    assert len(s.days) == 3 and s.outdoor is not None
    assert counted.count == 3  # the device's hours; the ward's outdoor sensors; their hours
